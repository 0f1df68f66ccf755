// RDB decoder edge cases on byte streams built programmatically (rdb_builder.h): every type and
// opcode, every feeding pattern, truncation at every offset, bit flips, hostile lengths, module
// data, checksums, sink errors, and memory discipline (no allocation of announced sizes, no leak
// when destroyed mid-value, big collections streamed element by element).

#include "engine/rdb/rdb_decoder.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <new>
#include <random>
#include <string>
#include <vector>

#include "tests/engine/rdb/counting_sink.h"
#include "tests/engine/rdb/model_sink.h"
#include "tests/engine/rdb/rdb_builder.h"

// ---- Allocation tracking for this test binary ----
namespace {
std::atomic<bool> g_track{false};
std::atomic<size_t> g_max_alloc{0};
std::atomic<int64_t> g_live{0};

void* TrackedNew(size_t n) {
  if (g_track.load(std::memory_order_relaxed)) {
    size_t cur = g_max_alloc.load(std::memory_order_relaxed);
    while (n > cur && !g_max_alloc.compare_exchange_weak(cur, n)) {
    }
    g_live.fetch_add(1, std::memory_order_relaxed);
  }
  void* p = std::malloc(n ? n : 1);
  if (!p) throw std::bad_alloc();
  return p;
}
void TrackedDelete(void* p) {
  if (!p) return;
  if (g_track.load(std::memory_order_relaxed)) g_live.fetch_sub(1, std::memory_order_relaxed);
  std::free(p);
}
}  // namespace

void* operator new(size_t n) { return TrackedNew(n); }
void* operator new[](size_t n) { return TrackedNew(n); }
void operator delete(void* p) noexcept { TrackedDelete(p); }
void operator delete[](void* p) noexcept { TrackedDelete(p); }
void operator delete(void* p, size_t) noexcept { TrackedDelete(p); }
void operator delete[](void* p, size_t) noexcept { TrackedDelete(p); }

namespace redlink::engine::rdb {
namespace {

using nlohmann::json;
using testing::BuildIntset;
using testing::BuildListpack;
using testing::BuildZiplist;
using testing::BuildZipmap;
using testing::Canon;
using testing::CountingSink;
using testing::ModelSink;
using testing::ModuleId;
using testing::RdbBuilder;
using testing::ZlItem;

constexpr uint8_t kEof = 0xFF;

// Feeds `rdb` in chunks of `chunk` bytes (each in its own heap buffer) and finishes.
absl::Status Decode(RdbSink* sink, const std::string& rdb, size_t chunk = SIZE_MAX,
                    DecoderOptions options = {}) {
  RdbDecoder dec(sink, options);
  for (size_t pos = 0; pos < rdb.size() && !dec.done();) {
    size_t n = std::min(chunk, rdb.size() - pos);
    auto buf = std::make_unique<char[]>(n);
    std::memcpy(buf.get(), rdb.data() + pos, n);
    auto r = dec.Feed(std::string_view(buf.get(), n));
    if (!r.ok()) return r.status();
    pos += n;
  }
  return dec.Finish();
}

json DecodeModel(const std::string& rdb, size_t chunk = SIZE_MAX, bool raw = false) {
  ModelSink sink(raw);
  absl::Status st = Decode(&sink, rdb, chunk);
  EXPECT_TRUE(st.ok()) << st;
  return sink.model();
}

json Db(const json& model, int db = 0) {
  std::string k = std::to_string(db);
  return model["dbs"].contains(k) ? model["dbs"][k] : json::object();
}

// Stream node listpack: master entry from the first entry's fields, SAMEFIELDS when an entry's
// fields are the master's.
struct TestEntry {
  uint64_t ms, seq;
  std::vector<std::string> fv;  // f1, v1, f2, v2...
  bool deleted = false;
};
std::string BuildStreamNode(StreamId master, const std::vector<TestEntry>& entries) {
  listpack::Builder b;
  int64_t live = 0, deleted = 0;
  for (const auto& e : entries) (e.deleted ? deleted : live)++;
  std::vector<std::string> mf;
  for (size_t i = 0; i < entries[0].fv.size(); i += 2) mf.push_back(entries[0].fv[i]);
  b.AppendInt(live);
  b.AppendInt(deleted);
  b.AppendInt(static_cast<int64_t>(mf.size()));
  for (const auto& f : mf) b.Append(f);
  b.AppendInt(0);
  for (const auto& e : entries) {
    std::vector<std::string> fields;
    for (size_t i = 0; i < e.fv.size(); i += 2) fields.push_back(e.fv[i]);
    bool same = fields == mf;
    b.AppendInt((e.deleted ? 1 : 0) | (same ? 2 : 0));
    b.AppendInt(static_cast<int64_t>(e.ms - master.ms));
    b.AppendInt(static_cast<int64_t>(e.seq - master.seq));
    int64_t nf = static_cast<int64_t>(fields.size());
    if (same) {
      for (size_t i = 1; i < e.fv.size(); i += 2) b.Append(e.fv[i]);
      b.AppendInt(nf + 3);
    } else {
      b.AppendInt(nf);
      for (const auto& s : e.fv) b.Append(s);
      b.AppendInt(2 * nf + 4);
    }
  }
  return std::move(b).Finish();
}

// ---------------------------------------------------------------------------------------------
// An RDB with every type and opcode, and its expected model.

struct Fixture {
  std::string rdb;
  json expected;  // the "dbs" part of the model
};

Fixture EveryType() {
  RdbBuilder b(12);
  json db0 = json::object(), db3 = json::object();
  b.Aux("redis-ver", "7.4.0").Byte(0xFA).Str("redis-bits").IntStr(64, 1);
  b.Byte(0xF5).Str("#!lua name=lib1\nredis.register_function('f', function() return 1 end)");
  b.SelectDb(0).ResizeDb(30, 2);

  // 0: strings, raw / int8 / int16 / int32 / LZF / empty / binary key.
  b.Key(0, "s:raw").Str("hello");
  db0["s:raw"] = {{"type", "string"}, {"value", "hello"}};
  b.Key(0, "s:i8").IntStr(-100, 1);
  db0["s:i8"] = {{"type", "string"}, {"value", "-100"}};
  b.Key(0, "s:i16").IntStr(-2000, 2);
  db0["s:i16"] = {{"type", "string"}, {"value", "-2000"}};
  b.ExpireMs(1700000000123).Key(0, "s:i32").IntStr(70000, 4);
  db0["s:i32"] = {{"type", "string"}, {"value", "70000"}, {"expire_ms", 1700000000123}};
  std::string lzf_text;
  for (int i = 0; i < 400; ++i) lzf_text += "abc" + std::to_string(i % 7);
  b.Key(0, "s:lzf").LzfStr(lzf_text);
  db0["s:lzf"] = {{"type", "string"}, {"value", lzf_text}};
  b.Key(0, "s:empty").Str("");
  db0["s:empty"] = {{"type", "string"}, {"value", ""}};
  std::string bin_key("k\0\xff\n", 4);
  b.Byte(0).Str(bin_key).Str(std::string("\x01\x02", 2));
  db0[Canon(bin_key)] = {{"type", "string"}, {"value", Canon(std::string("\x01\x02", 2))}};
  // Integer-encoded key, LZF-encoded key.
  b.Byte(0).IntStr(12345, 2).Str("int key");
  db0["12345"] = {{"type", "string"}, {"value", "int key"}};
  std::string long_key(100, 'K');
  b.Byte(0).LzfStr(long_key).Str("lzf key");
  db0[long_key] = {{"type", "string"}, {"value", "lzf key"}};

  // 1: list, 2: set, 3: zset (ASCII), 4: hash, 5: zset2.
  b.Key(1, "l:1").Len(3).Str("a").IntStr(5, 1).LzfStr(std::string(50, 'z'));
  db0["l:1"] = {{"type", "list"}, {"value", {"a", "5", std::string(50, 'z')}}};
  b.Key(2, "set:2").Len(3).Str("x").Str("y").IntStr(1, 1);
  db0["set:2"] = {{"type", "set"}, {"value", testing::SetJson({"x", "y", "1"})}};
  b.Key(3, "z:3").Len(4).Str("a").Byte(3).Raw("1.5").Str("b").Byte(254).Str("c").Byte(255);
  b.Str("d").Byte(5).Raw("-2e10");
  db0["z:3"] = {
      {"type", "zset"},
      {"value", testing::ZsetJson({{"a", 1.5}, {"b", INFINITY}, {"c", -INFINITY}, {"d", -2e10}})}};
  b.Key(4, "h:4").Len(2).Str("f1").Str("v1").IntStr(7, 1).Str("seven");
  db0["h:4"] = {{"type", "hash"}, {"value", {{"f1", "v1"}, {"7", "seven"}}}};
  b.Key(5, "z:5").Len(3).Str("m3").Double(3.25).Str("m1").Double(-1).Str("m2").Double(1e300);
  db0["z:5"] = {{"type", "zset"},
                {"value", testing::ZsetJson({{"m1", -1}, {"m2", 1e300}, {"m3", 3.25}})}};

  // 9: zipmap, 10: ziplist list, 11: intset, 12: ziplist zset, 13: ziplist hash.
  b.Key(9, "zm").Str(BuildZipmap({{"a", "1"}, {"bb", std::string(300, 'q')}}, 2));
  db0["zm"] = {{"type", "hash"}, {"value", {{"a", "1"}, {"bb", std::string(300, 'q')}}}};
  b.Key(10, "zl:list").Str(BuildZiplist({std::string("e1"), int64_t{-7}, int64_t{100000}}));
  db0["zl:list"] = {{"type", "list"}, {"value", {"e1", "-7", "100000"}}};
  b.Key(11, "is").Str(BuildIntset({-3, 1, 40000}, 4));
  db0["is"] = {{"type", "set"}, {"value", testing::SetJson({"-3", "1", "40000"})}};
  b.Key(12, "zl:zset")
      .Str(BuildZiplist({std::string("one"), int64_t{1}, std::string("half"), std::string("0.5"),
                         std::string("ninf"), std::string("-inf")}));
  db0["zl:zset"] = {{"type", "zset"},
                    {"value", testing::ZsetJson({{"ninf", -INFINITY}, {"half", 0.5}, {"one", 1}})}};
  b.Key(13, "zl:hash")
      .Str(BuildZiplist({std::string("f"), int64_t{1}, int64_t{2}, std::string("two")}));
  db0["zl:hash"] = {{"type", "hash"}, {"value", {{"f", "1"}, {"2", "two"}}}};

  // 14: quicklist of ziplists (one empty node, which is skipped).
  b.Key(14, "ql1").Len(3).Str(BuildZiplist({std::string("a"), int64_t{1}}));
  b.Str(BuildZiplist({})).Str(BuildZiplist({int64_t{2}}));
  db0["ql1"] = {{"type", "list"}, {"value", {"a", "1", "2"}}};

  // 16: listpack hash, 17: listpack zset, 20: listpack set.
  b.Key(16, "lp:hash").Str(BuildListpack({"f1", "v1", "f2", "22"}));
  db0["lp:hash"] = {{"type", "hash"}, {"value", {{"f1", "v1"}, {"f2", "22"}}}};
  // "+7" is not what Redis writes, but strtod() (zzlStrtod) reads it.
  b.Key(17, "lp:zset").Str(BuildListpack({"a", "1.5", "b", "2", "c", "-inf", "d", "+7"}));
  db0["lp:zset"] = {
      {"type", "zset"},
      {"value", testing::ZsetJson({{"c", -INFINITY}, {"a", 1.5}, {"b", 2}, {"d", 7}})}};
  b.Key(20, "lp:set").Str(BuildListpack({"m1", "2", "m3"}));
  db0["lp:set"] = {{"type", "set"}, {"value", testing::SetJson({"m1", "2", "m3"})}};

  // 18: quicklist2 with a PACKED node, a PLAIN node, an LZF-compressed PACKED node.
  std::vector<std::string> packed2;
  for (int i = 0; i < 50; ++i) packed2.push_back("elem" + std::to_string(i % 3));
  b.Key(18, "ql2").Len(3);
  b.Len(2).Str(BuildListpack({"p1", "42"}));
  b.Len(1).Str(std::string("plain\0node", 10));
  b.Len(2).LzfStr(BuildListpack(packed2));
  json ql2 = {"p1", "42", Canon(std::string("plain\0node", 10))};
  for (const auto& s : packed2) ql2.push_back(s);
  db0["ql2"] = {{"type", "list"}, {"value", ql2}};

  // Opcodes between keys: IDLE, FREQ, SLOT_INFO, AUX, EXPIRETIME (seconds).
  b.Byte(0xF8).Len(1000).Byte(0xF9).Byte(5).Byte(0xF4).Len(100).Len(2).Len(0);
  b.Aux("slot-info", "x").ExpireSec(1700000000).Byte(0xF9).Byte(1).Key(0, "s:sec").Str("v");
  db0["s:sec"] = {{"type", "string"}, {"value", "v"}, {"expire_ms", 1700000000000LL}};

  // 25: listpack hash with TTLs; 24: hash with metadata; 23 and 22: the 7.4 RC layouts.
  b.Key(25, "hfe:lp").LE(1795603373391, 8);
  b.Str(BuildListpack({"a", "1", "1795603373391", "b", "2", "0"}));
  db0["hfe:lp"] = {{"type", "hash"},
                   {"value", {{"a", "1"}, {"b", "2"}}},
                   {"field_expire_ms", {{"a", 1795603373391}}}};
  b.Key(24, "hfe:ht").LE(1795553374400, 8).Len(3);
  b.Len(1).Str("f1").Str("x").Len(0).Str("f2").Str("y").Len(101).Str("f3").Str("z");
  db0["hfe:ht"] = {{"type", "hash"},
                   {"value", {{"f1", "x"}, {"f2", "y"}, {"f3", "z"}}},
                   {"field_expire_ms", {{"f1", 1795553374400}, {"f3", 1795553374500}}}};
  b.Key(23, "hfe:rc:lp").Str(BuildListpack({"k", "v", "1700000000000"}));
  db0["hfe:rc:lp"] = {
      {"type", "hash"}, {"value", {{"k", "v"}}}, {"field_expire_ms", {{"k", 1700000000000}}}};
  b.Key(22, "hfe:rc:ht").Len(2).Len(1700000000001).Str("k1").Str("v1").Len(0).Str("k2").Str("v2");
  db0["hfe:rc:ht"] = {{"type", "hash"},
                      {"value", {{"k1", "v1"}, {"k2", "v2"}}},
                      {"field_expire_ms", {{"k1", 1700000000001}}}};

  // Another DB: a type 21 stream with a group, PEL and consumers.
  b.SelectDb(3);
  StreamId m{1000, 0};
  std::vector<TestEntry> node1 = {{1000, 0, {"a", "1", "b", "2"}},
                                  {1000, 1, {"a", "3", "b", "4"}, true},
                                  {1001, 0, {"c", "5"}},
                                  {1001, 1, {"a", "-6", "b", ""}}};
  std::vector<TestEntry> node2 = {{2000, 5, {"x", "y"}}};
  b.Key(21, "st").Len(2);
  b.Len(16).StreamId(1000, 0).Str(BuildStreamNode(m, node1));
  b.Len(16).StreamId(2000, 5).Str(BuildStreamNode({2000, 5}, node2));
  b.Len(4).Len(2000).Len(5);                   // length, last id
  b.Len(1000).Len(0).Len(1000).Len(1).Len(5);  // first id, max deleted, added
  b.Len(1).Str("g1").Len(1001).Len(0).Len(3);  // group g1, last 1001-0, read 3
  b.Len(2);                                    // PEL
  b.StreamId(1000, 0).LE(1700000000000, 8).Len(2);
  b.StreamId(1001, 0).LE(1700000000001, 8).Len(1);
  b.Len(2);  // consumers
  b.Str("alice").LE(1700000000002, 8).LE(1700000000003, 8).Len(1).StreamId(1000, 0);
  b.Str("bob").LE(1700000000004, 8).LE(1700000000005, 8).Len(1).StreamId(1001, 0);
  db3["st"] = {{"type", "stream"},
               {"value",
                {{"length", 4},
                 {"last_generated_id", "2000-5"},
                 {"first_id", "1000-0"},
                 {"max_deleted_entry_id", "1000-1"},
                 {"entries_added", 5},
                 {"entries", json::array({json::array({"1000-0", {"a", "1", "b", "2"}}),
                                          json::array({"1001-0", {"c", "5"}}),
                                          json::array({"1001-1", {"a", "-6", "b", ""}}),
                                          json::array({"2000-5", {"x", "y"}})})},
                 {"groups",
                  {{{"name", "g1"},
                    {"last_delivered_id", "1001-0"},
                    {"entries_read", 3},
                    {"pending", {{"1000-0", "alice", 2}, {"1001-0", "bob", 1}}},
                    {"consumers",
                     {{{"name", "alice"}, {"pending", {"1000-0"}}},
                      {{"name", "bob"}, {"pending", {"1001-0"}}}}}}}}}}};

  // Empty values are skipped like Redis's empty keys.
  b.Key(1, "empty:list").Len(0);
  b.Key(16, "empty:lp").Str(BuildListpack({}));
  b.Key(18, "empty:ql").Len(1).Len(2).Str(BuildListpack({}));
  b.Key(10, "empty:zl").Str(BuildZiplist({}));

  Fixture f;
  f.rdb = b.Finish();
  f.expected = {{"0", db0}, {"3", db3}};
  return f;
}

TEST(RdbDecoder, EveryTypeAndOpcode) {
  Fixture f = EveryType();
  for (bool raw : {false, true}) {
    for (size_t chunk : {SIZE_MAX, size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64}}) {
      json model = DecodeModel(f.rdb, chunk, raw);
      ASSERT_EQ(model["dbs"], f.expected) << "chunk " << chunk << " raw " << raw << "\n"
                                          << json::diff(f.expected, model["dbs"]).dump();
      EXPECT_EQ(model["rdb_version"], 12);
      EXPECT_EQ(model["aux"]["redis-ver"], "7.4.0");
      EXPECT_EQ(model["aux"]["redis-bits"], "64");
      EXPECT_EQ(model["aux"]["slot-info"], "x");
      ASSERT_EQ(model["functions"].size(), 1u);
      EXPECT_EQ(model["functions"][0]["library"], "lib1");
    }
  }
}

TEST(RdbDecoder, TruncationAtEveryOffsetFailsCleanly) {
  Fixture f = EveryType();
  for (size_t cut = 0; cut < f.rdb.size(); ++cut) {
    for (size_t chunk : {SIZE_MAX, size_t{3}}) {
      CountingSink sink(cut % 2 == 0);
      absl::Status st = Decode(&sink, f.rdb.substr(0, cut), chunk);
      ASSERT_FALSE(st.ok()) << "cut " << cut;
      EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
      EXPECT_NE(FromAbsl(st.message()).find("truncated"), std::string_view::npos) << st;
      EXPECT_EQ(sink.ends, 0u);
    }
  }
}

TEST(RdbDecoder, BitFlipsNeverCrash) {
  Fixture f = EveryType();
  int errors = 0, total = 0;
  for (size_t i = 0; i < f.rdb.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = f.rdb;
      bad[i] ^= static_cast<char>(1 << bit);
      CountingSink sink(bit % 2 == 0);
      absl::Status st = Decode(&sink, bad, i % 3 == 0 ? 5 : SIZE_MAX);
      ++total;
      if (!st.ok()) {
        ++errors;
      } else {
        // Only a flip of the version digits can pass: "0012" -> "0002" is a valid RDB 2 (no
        // checksum), which Redis would load too.
        EXPECT_TRUE(i >= 5 && i < 9) << "flip at byte " << i << " bit " << bit << " accepted";
      }
    }
  }
  // With the checksum on, every other flip is caught (as corruption or a CRC mismatch).
  EXPECT_GE(errors, total - 8);
}

TEST(RdbDecoder, BitFlipsWithoutChecksumNeverCrash) {
  Fixture f = EveryType();
  for (size_t i = 9; i < f.rdb.size() - 9; ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = f.rdb;
      bad[i] ^= static_cast<char>(1 << bit);
      CountingSink sink(bit % 2 == 1);
      (void)Decode(&sink, bad, SIZE_MAX, DecoderOptions{.verify_checksum = false});
    }
  }
}

TEST(RdbDecoder, StreamLayouts15And19) {
  for (uint8_t type : {15, 19}) {
    RdbBuilder b(type == 15 ? 9 : 10);
    b.Key(type, "s").Len(1).Len(16).StreamId(5, 0);
    b.Str(BuildStreamNode(
        {5, 0},
        {{5, 0, {"f", "v"}}, {5, 1, {"f", "w"}}, {6, 0, {"9", "1", "g", "-20000", "300", "x"}}}));
    b.Len(3).Len(6).Len(0);
    if (type == 19) b.Len(5).Len(0).Len(0).Len(0).Len(3);
    b.Len(1).Str("grp").Len(5).Len(1);
    if (type == 19) b.Len(UINT64_MAX);  // entries_read unknown (-1)
    b.Len(1).StreamId(5, 1).LE(99, 8).Len(4);
    b.Len(1).Str("c").LE(77, 8).Len(1).StreamId(5, 1);
    for (bool raw : {false, true}) {
      for (size_t chunk : {SIZE_MAX, size_t{1}}) {
        json m = DecodeModel(RdbBuilder(b).Finish(), chunk, raw);
        json s = Db(m)["s"]["value"];
        EXPECT_EQ(s["length"], 3);
        EXPECT_EQ(s["entries_added"], 3);
        EXPECT_EQ(s["first_id"], type == 15 ? "0-0" : "5-0");
        EXPECT_EQ(s["entries"],
                  json::array({json::array({"5-0", {"f", "v"}}), json::array({"5-1", {"f", "w"}}),
                               json::array({"6-0", {"9", "1", "g", "-20000", "300", "x"}})}));
        EXPECT_EQ(s["groups"][0]["entries_read"], nullptr);
        EXPECT_EQ(s["groups"][0]["pending"], json({{"5-1", "c", 4}}));
      }
    }
  }
}

// Records the stream details the model drops (times).
class StreamTimesSink : public CountingSink {
 public:
  std::vector<int64_t> times;
  absl::Status StreamGroupPending(const StreamPendingEntry& p) override {
    times.push_back(p.delivery_time_ms);
    return absl::OkStatus();
  }
  absl::Status StreamConsumer(const StreamConsumerMeta& c) override {
    times.push_back(c.seen_time_ms);
    times.push_back(c.active_time_ms);
    return absl::OkStatus();
  }
};

TEST(RdbDecoder, StreamTimes) {
  Fixture f = EveryType();
  StreamTimesSink sink;
  ASSERT_TRUE(Decode(&sink, f.rdb).ok());
  EXPECT_EQ(sink.times, (std::vector<int64_t>{1700000000000, 1700000000001, 1700000000002,
                                              1700000000003, 1700000000004, 1700000000005}));
}

TEST(RdbDecoder, StreamCorruptionsAreReported) {
  auto stream_rdb = [](std::string_view node_key, const std::string& lp, int nodes = 1) {
    RdbBuilder b(11);
    b.Key(21, "st").Len(nodes);
    for (int i = 0; i < nodes; ++i) b.Str(node_key).Str(lp);
    b.Len(1).Len(1).Len(0).Len(1).Len(0).Len(0).Len(0).Len(1).Len(0);
    return b.Finish();
  };
  std::string key16(16, '\0');
  std::string good = BuildStreamNode({0, 0}, {{0, 0, {"a", "b"}}});
  {
    CountingSink sink;
    EXPECT_TRUE(Decode(&sink, stream_rdb(key16, good)).ok());
  }
  auto expect_error = [](const std::string& rdb, std::string_view what) {
    for (bool raw : {false, true}) {
      CountingSink sink(raw);
      absl::Status st = Decode(&sink, rdb);
      EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
      EXPECT_NE(FromAbsl(st.message()).find(what), std::string_view::npos) << st;
      EXPECT_NE(FromAbsl(st.message()).find("in key 'st'"), std::string_view::npos) << st;
    }
  };
  expect_error(stream_rdb("short", good), "16-byte stream ID");
  expect_error(stream_rdb(key16, good, 2), "not in ID order");
  expect_error(stream_rdb(key16, BuildListpack({})), "empty listpack inside stream");
  expect_error(stream_rdb(key16, BuildListpack({"1", "0", "1", "a", "0"})), "truncated");
  expect_error(stream_rdb(key16, BuildListpack({"1", "0", "1", "a", "1"})), "terminated by 0");
  // lp-count off by one.
  expect_error(stream_rdb(key16, BuildListpack({"1", "0", "1", "a", "0", "2", "0", "0", "b", "5"})),
               "lp-count");
  std::string trailing = BuildListpack({"1", "0", "1", "a", "0", "2", "0", "0", "b", "4", "x"});
  expect_error(stream_rdb(key16, trailing), "after the last entry");
  // Length > 0 but no nodes.
  RdbBuilder b(11);
  b.Key(21, "st").Len(0).Len(5).Len(1).Len(0).Len(0).Len(0).Len(0).Len(0).Len(0).Len(0);
  expect_error(b.Finish(), "inconsistent");
}

TEST(RdbDecoder, AsciiZsetScores) {
  {
    RdbBuilder b(6);
    b.Key(3, "z").Len(1).Str("nan").Byte(253);
    CountingSink sink;
    absl::Status st = Decode(&sink, b.Finish());
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
    EXPECT_NE(FromAbsl(st.message()).find("NaN"), std::string_view::npos) << st;
  }
  for (std::string text : {"", "abc", "1.5x", "1 "}) {
    RdbBuilder b(6);
    b.Key(3, "z").Len(1).Str("m").Byte(static_cast<uint8_t>(text.size())).Raw(text);
    CountingSink sink;
    absl::Status st = Decode(&sink, b.Finish());
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << text << ": " << st;
  }
}

TEST(RdbDecoder, HeaderErrors) {
  CountingSink sink;
  absl::Status st = Decode(&sink, RdbBuilder(13).Finish());
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(), "RDB version 13 is newer than 12");
  st = Decode(&sink, RdbBuilder(0).Finish());
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  st = Decode(&sink, "REDIX0009\xff");
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_NE(FromAbsl(st.message()).find("signature"), std::string_view::npos);
  st = Decode(&sink, "REDIS00a9\xff");
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  st = Decode(&sink, "REDIS");
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_NE(FromAbsl(st.message()).find("truncated"), std::string_view::npos);
  // Every version 1..12 is accepted.
  for (int v = 1; v <= 12; ++v) {
    CountingSink s;
    RdbBuilder b(v);
    b.Key(0, "k").Str("v");
    EXPECT_TRUE(Decode(&s, b.Finish()).ok()) << v;
    EXPECT_EQ(s.keys, 1u);
  }
}

TEST(RdbDecoder, ModuleDataNamesTheModule) {
  {
    RdbBuilder b(11);
    b.Key(7, "json:1").Len(ModuleId("ReJSON-RL", 3)).Len(5).Str("{}").Len(0);
    CountingSink sink;
    absl::Status st = Decode(&sink, b.Finish());
    EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented) << st;
    EXPECT_NE(FromAbsl(st.message()).find("module 'ReJSON-RL'"), std::string_view::npos) << st;
    EXPECT_NE(FromAbsl(st.message()).find("json:1"), std::string_view::npos) << st;
  }
  {
    RdbBuilder b(11);
    b.Aux("redis-ver", "7.2.0").Byte(0xF7).Len(ModuleId("graphdata", 1)).Len(2).Len(1).Len(0);
    CountingSink sink;
    absl::Status st = Decode(&sink, b.Finish());
    EXPECT_EQ(st.code(), absl::StatusCode::kUnimplemented) << st;
    EXPECT_NE(FromAbsl(st.message()).find("module 'graphdata' data (module aux) cannot be loaded"),
              std::string_view::npos)
        << st;
  }
  {
    RdbBuilder b(8);
    b.Key(6, "old").Len(1);
    CountingSink sink;
    EXPECT_EQ(Decode(&sink, b.Finish()).code(), absl::StatusCode::kUnimplemented);
  }
  {
    RdbBuilder b(10);
    b.Byte(0xF6).Str("lib");
    CountingSink sink;
    EXPECT_EQ(Decode(&sink, b.Finish()).code(), absl::StatusCode::kUnimplemented);
  }
}

TEST(RdbDecoder, Checksums) {
  RdbBuilder b(10);
  b.Key(0, "k").Str("v");
  std::string good = RdbBuilder(b).Finish();
  std::string zero = RdbBuilder(b).Finish(/*checksum=*/false);
  std::string wrong = RdbBuilder(b).FinishWithCrc(0x1234);
  CountingSink sink;
  EXPECT_TRUE(Decode(&sink, good).ok());
  EXPECT_TRUE(Decode(&sink, zero).ok());  // 0 = written with rdbchecksum no
  absl::Status st = Decode(&sink, wrong);
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(FromAbsl(st.message()).find("checksum mismatch"), std::string_view::npos) << st;
  EXPECT_TRUE(Decode(&sink, wrong, 1, DecoderOptions{.verify_checksum = false}).ok());
  for (size_t chunk = 1; chunk < 20; ++chunk) {
    EXPECT_EQ(Decode(&sink, wrong, chunk).code(), absl::StatusCode::kDataLoss) << chunk;
    EXPECT_TRUE(Decode(&sink, good, chunk).ok()) << chunk;
  }
}

TEST(RdbDecoder, StopsRightAfterTheRdb) {
  for (int version : {4, 10}) {
    RdbBuilder b(version);
    b.Key(0, "k").Str("v");
    std::string rdb = b.Finish();
    std::string with_mark = rdb + std::string(40, 'M');
    {
      CountingSink sink;
      RdbDecoder dec(&sink);
      auto r = dec.Feed(with_mark);
      ASSERT_TRUE(r.ok()) << r.status();
      EXPECT_EQ(*r, rdb.size());
      EXPECT_TRUE(dec.done());
      EXPECT_EQ(sink.ends, 1u);
      auto again = dec.Feed("more");
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(*again, 0u);
      EXPECT_TRUE(dec.Finish().ok());
      EXPECT_EQ(dec.bytes_consumed(), rdb.size());
      EXPECT_EQ(dec.rdb_version(), version);
    }
    for (size_t chunk = 1; chunk <= 11; ++chunk) {
      CountingSink sink;
      RdbDecoder dec(&sink);
      size_t total = 0;
      for (size_t pos = 0; pos < with_mark.size(); pos += chunk) {
        auto r = dec.Feed(std::string_view(with_mark).substr(pos, chunk));
        ASSERT_TRUE(r.ok()) << r.status();
        total += *r;
        if (dec.done()) break;
        EXPECT_EQ(*r, std::min(chunk, with_mark.size() - pos));
      }
      EXPECT_EQ(total, rdb.size()) << "chunk " << chunk;
      EXPECT_TRUE(dec.done());
    }
  }
}

TEST(RdbDecoder, AnnouncedHugeStringDoesNotAllocateIt) {
  // A string header announcing 4 GB followed by 1 MB of data: memory grows with the data only.
  RdbBuilder b(10);
  b.Byte(0).Str("k").Len(0xFFFFFFFFull, 5);
  std::string head = b.bytes();
  std::string data(64 * 1024, 'x');
  CountingSink sink;
  g_max_alloc = 0;
  g_track = true;
  {
    RdbDecoder dec(&sink);
    ASSERT_TRUE(dec.Feed(head).ok());
    for (int i = 0; i < 16; ++i) ASSERT_TRUE(dec.Feed(data).ok());
    EXPECT_EQ(dec.Finish().code(), absl::StatusCode::kDataLoss);
  }
  g_track = false;
  EXPECT_LT(g_max_alloc.load(), size_t{4} << 20) << "largest single allocation";
  // Same with a 64-bit length and a huge list count.
  RdbBuilder b2(10);
  b2.Byte(1).Str("l").Len(UINT64_MAX, 9).Str("e1");
  g_max_alloc = 0;
  g_track = true;
  {
    CountingSink s2;
    RdbDecoder dec(&s2);
    ASSERT_TRUE(dec.Feed(b2.bytes()).ok());
    EXPECT_EQ(s2.elements, 1u);
    EXPECT_EQ(dec.Finish().code(), absl::StatusCode::kDataLoss);
  }
  g_track = false;
  EXPECT_LT(g_max_alloc.load(), size_t{64} << 10);
}

TEST(RdbDecoder, LzfWithImpossibleSizesIsRejectedBeforeAllocating) {
  RdbBuilder b(10);
  b.Byte(0).Str("k").Byte(0xC3).Len(10).Len(0xFFFFFFFFull).Raw("0123456789");
  CountingSink sink;
  g_max_alloc = 0;
  g_track = true;
  absl::Status st = Decode(&sink, b.Finish());
  g_track = false;
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_NE(FromAbsl(st.message()).find("bad LZF string in key 'k'"), std::string_view::npos) << st;
  EXPECT_LT(g_max_alloc.load(), size_t{64} << 10);
}

TEST(RdbDecoder, LzfBadBackReference) {
  // "a" then a back-reference 6 bytes back.
  RdbBuilder b(10);
  b.Byte(0).Str("key1").Byte(0xC3).Len(4).Len(4).Raw(
      std::string("\x00"
                  "a"
                  "\x20\x05",
                  4));
  CountingSink sink;
  absl::Status st = Decode(&sink, b.Finish());
  EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
  EXPECT_NE(FromAbsl(st.message()).find("RDB: bad LZF string in key 'key1' at offset 15"),
            std::string_view::npos)
      << st;
  EXPECT_NE(FromAbsl(st.message()).find("back-reference"), std::string_view::npos) << st;
}

TEST(RdbDecoder, ErrorsAreStickyAndNameKeyAndOffset) {
  RdbBuilder b(10);
  b.Key(0, "ok").Str("v");
  size_t off = b.size();
  std::string lp = BuildListpack({"a", "b"});
  lp[lp.size() - 2] = 9;  // break the last backlen
  b.Key(16, "foo").Str(lp);
  std::string rdb = b.Finish();
  CountingSink sink;
  RdbDecoder dec(&sink);
  auto r = dec.Feed(rdb);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  std::string want = StrCat("RDB: bad listpack in key 'foo' at offset ", off + 5, ": ");
  EXPECT_EQ(r.status().message().substr(0, want.size()), want) << r.status();
  EXPECT_EQ(dec.Feed("x").status(), r.status());
  EXPECT_EQ(dec.Finish(), r.status());
  EXPECT_FALSE(dec.done());
  EXPECT_EQ(sink.keys, 1u);
}

TEST(RdbDecoder, MalformedRecords) {
  auto expect_loss = [](RdbBuilder b, std::string_view what) {
    CountingSink sink;
    absl::Status st = Decode(&sink, b.Finish());
    EXPECT_EQ(st.code(), absl::StatusCode::kDataLoss) << st;
    EXPECT_NE(FromAbsl(st.message()).find(what), std::string_view::npos) << st;
  };
  expect_loss(RdbBuilder(10).Byte(8).Str("k"), "unknown record type 8");
  expect_loss(RdbBuilder(10).Byte(26).Str("k"), "unknown record type 26");
  expect_loss(RdbBuilder(10).Byte(0xFE).Byte(0x82), "bad length encoding 0x82");
  expect_loss(RdbBuilder(10).Byte(0).Byte(0xC4), "unknown string encoding 0xc4");
  expect_loss(RdbBuilder(10).Key(18, "q").Len(1).Len(3).Str("x"), "container 3");
  expect_loss(RdbBuilder(10).Key(18, "q").Len(1).Len(2).Str(""), "empty quicklist node");
  expect_loss(RdbBuilder(10).Key(16, "h").Str(BuildListpack({"a", "b", "c"})), "odd number");
  expect_loss(RdbBuilder(10).Key(17, "z").Str(BuildListpack({"a", "x1"})), "not a number");
  expect_loss(RdbBuilder(12).Key(25, "h").LE(0, 8).Str(BuildListpack({"a", "b"})), "multiple");
  expect_loss(RdbBuilder(12).Key(25, "h").LE(0, 8).Str(BuildListpack({"a", "b", "x"})), "TTL");
  expect_loss(RdbBuilder(12).Key(24, "h").LE(1, 8).Len(1).Len(uint64_t{1} << 50), "TTL");
  expect_loss(RdbBuilder(12).Key(25, "h").LE(0, 8).Str(
                  BuildListpack({"a", "1", "0", "b", "2", "1700000000000"})),
              "out of order");
  expect_loss(RdbBuilder(12).Key(25, "h").LE(0, 8).Str(
                  BuildListpack({"a", "1", "1700000000001", "b", "2", "1700000000000"})),
              "out of order");
  expect_loss(RdbBuilder(12).Key(11, "s").Str(BuildIntset({}, 2)), "bad intset");
  expect_loss(RdbBuilder(12).Key(9, "m").Str("\x01\x05"
                                             "a\xff"),
              "bad zipmap");
  expect_loss(RdbBuilder(12).Key(13, "h").Str(BuildZiplist({std::string("a")})), "odd number");
  expect_loss(RdbBuilder(12).Key(12, "z").Str(BuildZiplist({std::string("a"), std::string("q")})),
              "not a number");
  expect_loss(RdbBuilder(12).Key(14, "l").Len(1).Str("garbage!!!!!!"), "bad ziplist");
}

// Fails at the n-th sink call.
class FailingSink : public CountingSink {
 public:
  explicit FailingSink(int fail_at) : fail_at_(fail_at) {}
  absl::Status ListElement(std::string_view v) override {
    if (++calls_ == fail_at_) return absl::AbortedError("sink says no");
    return CountingSink::ListElement(v);
  }

 private:
  int fail_at_;
  int calls_ = 0;
};

TEST(RdbDecoder, SinkErrorsPassThroughUnchanged) {
  RdbBuilder b(10);
  b.Key(1, "l").Len(3).Str("a").Str("b").Str("c");
  std::string rdb = b.Finish();
  for (size_t chunk : {SIZE_MAX, size_t{1}}) {
    FailingSink sink(2);
    absl::Status st = Decode(&sink, rdb, chunk);
    EXPECT_EQ(st, absl::AbortedError("sink says no"));
    EXPECT_EQ(sink.elements, 1u);
  }
}

TEST(RdbDecoder, DestroyedMidValueFreesEverything) {
  Fixture f = EveryType();
  for (size_t cut = 1; cut < f.rdb.size(); cut += 7) {
    CountingSink sink;
    int64_t before = g_live.load();
    g_track = true;
    {
      RdbDecoder dec(&sink);
      for (size_t pos = 0; pos < cut; pos += 5) {
        auto r = dec.Feed(std::string_view(f.rdb).substr(pos, std::min<size_t>(5, cut - pos)));
        ASSERT_TRUE(r.ok()) << r.status();
      }
    }
    g_track = false;
    EXPECT_EQ(g_live.load(), before) << "allocations left after destroying at cut " << cut;
  }
}

TEST(RdbDecoder, BigCollectionsStreamElementByElement) {
  // A set of 1M members (type 2) and a list of 1M elements: decoded with memory bounded by one
  // element, fed in 64 KB chunks.
  RdbBuilder b(10);
  constexpr int kN = 1000000;
  b.Key(2, "bigset").Len(kN);
  for (int i = 0; i < kN; ++i) b.Str("member:" + std::to_string(i));
  b.Key(1, "biglist").Len(kN);
  for (int i = 0; i < kN; ++i) b.IntStr(i % 30000, 2);
  std::string rdb = b.Finish();
  CountingSink sink;
  g_max_alloc = 0;
  g_track = true;
  absl::Status st = Decode(&sink, rdb, 64 * 1024);
  g_track = false;
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_EQ(sink.elements, 2u * kN);
  EXPECT_LT(g_max_alloc.load(), size_t{128} << 10);
}

TEST(RdbDecoder, LargeStringsAcrossChunks) {
  std::mt19937 rng(5);
  std::string big(3 << 20, '\0');
  for (auto& c : big) c = static_cast<char>(rng());
  std::string text;
  while (text.size() < (2 << 20)) text += "some compressible text " + std::to_string(rng() % 50);
  RdbBuilder b(11);
  b.Key(0, "big").Str(big).Key(0, "lzf").LzfStr(text);
  b.Key(18, "plain").Len(2).Len(1).Str(big).Len(2).Str(BuildListpack({"tail"}));
  std::string rdb = b.Finish();
  for (size_t chunk : {size_t{4096}, size_t{100000}, SIZE_MAX}) {
    json m = DecodeModel(rdb, chunk);
    EXPECT_EQ(Db(m)["big"]["value"], Canon(big));
    EXPECT_EQ(Db(m)["lzf"]["value"], text);
    EXPECT_EQ(Db(m)["plain"]["value"], json({Canon(big), "tail"}));
  }
}

TEST(RdbDecoder, KeyMetaAppliesToTheNextKeyOnly) {
  RdbBuilder b(10);
  b.SelectDb(5).ExpireMs(123).Key(0, "a").Str("1").Key(0, "b").Str("2");
  b.ExpireMs(-5).Aux("x", "y").Key(1, "c").Len(1).Str("e");
  json m = DecodeModel(b.Finish());
  json db = Db(m, 5);
  EXPECT_EQ(db["a"]["expire_ms"], 123);
  EXPECT_FALSE(db["b"].contains("expire_ms"));
  EXPECT_EQ(db["c"]["expire_ms"], -5);
}

// The synthetic RDBs of this file, written as files: each reads back byte for byte and decodes
// as it should (the module ones end in the module error). With REDLINK_RDB_SEED_DIR set
// (tests/fuzz/rdb_seed_corpus.sh) they land there as fuzzing seeds, so the fuzzer starts from
// every type and opcode, not only from what real servers write.
TEST(RdbDecoder, SyntheticSeedsRoundTripThroughFiles) {
  const char* env = std::getenv("REDLINK_RDB_SEED_DIR");
  std::string dir = env != nullptr ? env : ::testing::TempDir() + "rdb-seeds";
  std::filesystem::create_directories(dir);
  int written = 0;
  auto write = [&dir, &written](const std::string& name, const std::string& bytes) {
    std::string path = dir + "/" + name;
    {
      std::ofstream f(path, std::ios::binary | std::ios::trunc);
      f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      ASSERT_TRUE(f.good()) << path;
    }
    std::ifstream in(path, std::ios::binary);
    std::string back((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(back, bytes) << path;
    CountingSink sink;
    absl::Status st = Decode(&sink, back);
    if (name.find("module") != std::string::npos) {
      EXPECT_FALSE(st.ok()) << name;
      EXPECT_NE(FromAbsl(st.message()).find("module"), std::string_view::npos) << st;
    } else {
      EXPECT_TRUE(st.ok()) << name << ": " << st;
    }
    ++written;
  };
  write("synthetic-every-type.rdb", EveryType().rdb);
  for (uint8_t type : {15, 19}) {
    RdbBuilder b(type == 15 ? 9 : 10);
    b.Key(type, "s").Len(1).Len(16).StreamId(5, 0);
    b.Str(BuildStreamNode({5, 0}, {{5, 0, {"f", "v"}}, {6, 0, {"g", "1"}, true}}));
    b.Len(1).Len(6).Len(0);
    if (type == 19) b.Len(5).Len(0).Len(6).Len(0).Len(2);
    b.Len(1).Str("grp").Len(5).Len(0);
    if (type == 19) b.Len(1);
    b.Len(1).StreamId(5, 0).LE(99, 8).Len(4).Len(1).Str("c").LE(77, 8).Len(1).StreamId(5, 0);
    write("synthetic-stream-" + std::to_string(type) + ".rdb", b.Finish());
  }
  write("synthetic-module.rdb",
        RdbBuilder(11).Key(7, "m").Len(ModuleId("ReJSON-RL", 3)).Len(5).Str("{}").Len(0).Finish());
  write("synthetic-module-aux.rdb",
        RdbBuilder(11).Byte(0xF7).Len(ModuleId("graphdata", 1)).Len(2).Len(1).Len(0).Finish());
  write("synthetic-old-v1.rdb",
        RdbBuilder(1).Key(0, "k").Str("v").ExpireSec(5).Key(1, "l").Len(1).Str("x").Finish());
  EXPECT_EQ(written, 6);
}

}  // namespace
}  // namespace redlink::engine::rdb
