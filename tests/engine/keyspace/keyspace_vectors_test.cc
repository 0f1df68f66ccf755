// Loads every RDB test vector (tests/data/rdb, see its README) into a Keyspace, once through the
// real RDB decoder (raw listpacks adopted) and once through per-element RdbSink calls built
// from the JSON, and checks that the read commands return exactly the JSON's content: types,
// values, TTLs, field TTLs, zset scores, streams with groups/PEL/consumers, functions; keys and
// hash fields whose TTL has passed are hidden from reads but counted by DBSIZE.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "engine/common/strings.h"
#include "tests/engine/keyspace/ks_test_util.h"
#include "tests/testing/test_util.h"

namespace redlink::engine::kstest {
namespace {

using nlohmann::json;

// Every vector in tests/data/rdb; AllVectorsListed fails if the directory gains one.
const std::vector<std::string>& VectorNames() {
  static const std::vector<std::string> names = {
      "encodings",
      "hash-ziplist",
      "hash-zipmap",
      "list-quicklist",
      "redis-7.0.15-rdb10-default",
      "redis-7.0.15-rdb10-lru-allbig",
      "redis-7.0.15-rdb10-nocompress-lfu",
      "redis-7.2.6-rdb11-default",
      "redis-7.2.6-rdb11-lru-allbig",
      "redis-7.2.6-rdb11-nocompress-lfu",
      "redis-unstable-2024-10-rdb12-default",
      "redis-unstable-2024-10-rdb12-lru-allbig",
      "redis-unstable-2024-10-rdb12-nocompress-lfu",
      "scriptbackup",
      "zset-ziplist",
  };
  return names;
}

TEST(KeyspaceVectors, AllVectorsListed) {
  std::set<std::string> on_disk;
  for (const auto& e : std::filesystem::directory_iterator(VectorDir())) {
    if (e.path().extension() == ".json") on_disk.insert(e.path().stem().string());
  }
  std::set<std::string> listed(VectorNames().begin(), VectorNames().end());
  EXPECT_EQ(on_disk, listed);
}

class Checker {
 public:
  Checker(Keyspace& ks, int64_t now) : ks_(ks) {
    ctx_.now_ms = now;
    ctx_.protocol = 2;
  }

  std::unique_ptr<Reply> Run(int db, std::vector<std::string> args) {
    ctx_.db = db;
    return Parse(Exec(ks_, ctx_, args));
  }

  void CheckKey(int db, const std::string& key, const json& entry) {
    SCOPED_TRACE("db " + std::to_string(db) + " key " + key);
    std::string type = entry.at("type").get<std::string>();
    int64_t exp = entry.value("expire_ms", int64_t{-1});
    bool expired = exp != -1 && ctx_.now_ms > exp;
    if (expired) {
      EXPECT_EQ(Run(db, {"EXISTS", key})->raw, ":0\r\n");
      EXPECT_EQ(Run(db, {"TYPE", key})->raw, "+none\r\n");
      EXPECT_EQ(Run(db, {"PTTL", key})->raw, ":-2\r\n");
      if (type == "string") {
        EXPECT_EQ(Run(db, {"GET", key})->raw, "$-1\r\n");
      }
      ++expired_;
      return;
    }
    EXPECT_EQ(Run(db, {"TYPE", key})->raw, "+" + type + "\r\n");
    EXPECT_EQ(Run(db, {"PEXPIRETIME", key})->raw, StrCat(":", exp, "\r\n"));
    const json& v = entry.at("value");
    if (type == "string") {
      auto r = Run(db, {"GET", key});
      EXPECT_EQ(Str(r->v), Bytes(v));
      EXPECT_EQ(Run(db, {"STRLEN", key})->v.integer, static_cast<int64_t>(Bytes(v).size()));
    } else if (type == "list") {
      auto r = Run(db, {"LRANGE", key, "0", "-1"});
      ASSERT_EQ(r->v.elements.size(), v.size());
      for (size_t i = 0; i < v.size(); ++i) EXPECT_EQ(Str(r->v.elements[i]), Bytes(v[i])) << i;
      EXPECT_EQ(Run(db, {"LLEN", key})->v.integer, static_cast<int64_t>(v.size()));
      // Reverse walks and random access.
      if (!v.empty()) {
        auto last = Run(db, {"LINDEX", key, "-1"});
        EXPECT_EQ(Str(last->v), Bytes(v[v.size() - 1]));
        auto mid = Run(db, {"LINDEX", key, std::to_string(v.size() / 2)});
        EXPECT_EQ(Str(mid->v), Bytes(v[v.size() / 2]));
      }
    } else if (type == "set") {
      auto r = Run(db, {"SMEMBERS", key});
      std::multiset<std::string> got, want;
      for (const auto& e : r->v.elements) got.insert(Str(e));
      for (const auto& e : v) want.insert(Bytes(e));
      EXPECT_EQ(got, want);
      EXPECT_EQ(Run(db, {"SCARD", key})->v.integer, static_cast<int64_t>(v.size()));
      for (const auto& e : v) EXPECT_EQ(Run(db, {"SISMEMBER", key, Bytes(e)})->v.integer, 1);
    } else if (type == "zset") {
      auto r = Run(db, {"ZRANGE", key, "0", "-1", "WITHSCORES"});
      ASSERT_EQ(r->v.elements.size(), v.size() * 2);
      for (size_t i = 0; i < v.size(); ++i) {
        EXPECT_EQ(Str(r->v.elements[2 * i]), Bytes(v[i][0])) << i;
        double want = ScoreOf(v[i][1]);
        std::string got = Str(r->v.elements[2 * i + 1]);
        double g = got == "inf" ? INFINITY : (got == "-inf" ? -INFINITY : std::stod(got));
        EXPECT_EQ(g, want) << i;
        auto rank = Run(db, {"ZRANK", key, Bytes(v[i][0])});
        EXPECT_EQ(rank->v.integer, static_cast<int64_t>(i));
      }
    } else if (type == "hash") {
      json fexp = entry.value("field_expire_ms", json::object());
      std::map<std::string, std::string> want;
      for (const auto& [f, fv] : v.items()) {
        std::string fb = NameBytes(f);
        int64_t fe = fexp.contains(f) ? fexp.at(f).get<int64_t>() : -1;
        auto pt = Run(db, {"HPEXPIRETIME", key, "FIELDS", "1", fb});
        bool field_expired = fe != -1 && fe < ctx_.now_ms;
        if (field_expired) {
          EXPECT_EQ(Run(db, {"HGET", key, fb})->raw, "$-1\r\n");
          continue;
        }
        EXPECT_EQ(pt->raw, StrCat("*1\r\n:", fe, "\r\n")) << f;
        want[fb] = Bytes(fv);
        EXPECT_EQ(Str(Run(db, {"HGET", key, fb})->v), Bytes(fv));
      }
      auto r = Run(db, {"HGETALL", key});
      std::map<std::string, std::string> got;
      for (size_t i = 0; i + 1 < r->v.elements.size(); i += 2) {
        got[Str(r->v.elements[i])] = Str(r->v.elements[i + 1]);
      }
      EXPECT_EQ(got, want);
      EXPECT_EQ(Run(db, {"HLEN", key})->v.integer, static_cast<int64_t>(v.size()));
    } else if (type == "stream") {
      CheckStream(db, key, v);
    }
  }

  void CheckStream(int db, const std::string& key, const json& v) {
    EXPECT_EQ(Run(db, {"XLEN", key})->v.integer, v.at("length").get<int64_t>());
    auto r = Run(db, {"XRANGE", key, "-", "+"});
    const json& entries = v.at("entries");
    ASSERT_EQ(r->v.elements.size(), entries.size());
    for (size_t i = 0; i < entries.size(); ++i) {
      const RespValue& e = r->v.elements[i];
      EXPECT_EQ(Str(e.elements[0]), entries[i][0].get<std::string>());
      ASSERT_EQ(e.elements[1].elements.size(), entries[i][1].size());
      for (size_t k = 0; k < entries[i][1].size(); ++k) {
        EXPECT_EQ(Str(e.elements[1].elements[k]), Bytes(entries[i][1][k]));
      }
    }
    auto rev = Run(db, {"XREVRANGE", key, "+", "-", "COUNT", "3"});
    for (size_t i = 0; i < rev->v.elements.size(); ++i) {
      EXPECT_EQ(Str(rev->v.elements[i].elements[0]),
                entries[entries.size() - 1 - i][0].get<std::string>());
    }
    auto info = Run(db, {"XINFO", "STREAM", key, "FULL", "COUNT", "0"});
    std::map<std::string, const RespValue*> m;
    for (size_t i = 0; i + 1 < info->v.elements.size(); i += 2) {
      m[Str(info->v.elements[i])] = &info->v.elements[i + 1];
    }
    EXPECT_EQ(Str(*m["last-generated-id"]), v.at("last_generated_id").get<std::string>());
    EXPECT_EQ(Str(*m["max-deleted-entry-id"]), v.at("max_deleted_entry_id").get<std::string>());
    EXPECT_EQ(m["entries-added"]->integer, v.at("entries_added").get<int64_t>());
    const json& groups = v.at("groups");
    ASSERT_EQ(m["groups"]->elements.size(), groups.size());
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      const json& g = groups[gi];
      std::map<std::string, const RespValue*> gm;
      const RespValue& gv = m["groups"]->elements[gi];
      for (size_t i = 0; i + 1 < gv.elements.size(); i += 2) {
        gm[Str(gv.elements[i])] = &gv.elements[i + 1];
      }
      EXPECT_EQ(Str(*gm["name"]), g.at("name").get<std::string>());
      EXPECT_EQ(Str(*gm["last-delivered-id"]), g.at("last_delivered_id").get<std::string>());
      if (g.at("entries_read").is_null()) {
        EXPECT_EQ(gm["entries-read"]->type, RespType::kNull);
      } else {
        EXPECT_EQ(gm["entries-read"]->integer, g.at("entries_read").get<int64_t>());
      }
      const json& pending = g.at("pending");
      ASSERT_EQ(gm["pending"]->elements.size(), pending.size());
      for (size_t i = 0; i < pending.size(); ++i) {
        const RespValue& p = gm["pending"]->elements[i];
        EXPECT_EQ(Str(p.elements[0]), pending[i][0].get<std::string>());
        EXPECT_EQ(Str(p.elements[1]), pending[i][1].get<std::string>());
        EXPECT_EQ(p.elements[3].integer, pending[i][2].get<int64_t>());
      }
      const json& consumers = g.at("consumers");
      ASSERT_EQ(gm["consumers"]->elements.size(), consumers.size());
      for (size_t ci = 0; ci < consumers.size(); ++ci) {
        const RespValue& cv = gm["consumers"]->elements[ci];
        EXPECT_EQ(Str(cv.elements[1]), consumers[ci].at("name").get<std::string>());
        const RespValue& cp = cv.elements[7];
        ASSERT_EQ(cp.elements.size(), consumers[ci].at("pending").size());
        for (size_t i = 0; i < cp.elements.size(); ++i) {
          EXPECT_EQ(Str(cp.elements[i].elements[0]),
                    consumers[ci].at("pending")[i].get<std::string>());
        }
      }
      // XPENDING summary agrees with the group PEL.
      auto xp = Run(db, {"XPENDING", key, g.at("name").get<std::string>()});
      EXPECT_EQ(xp->v.elements[0].integer, static_cast<int64_t>(pending.size()));
    }
  }

  void CheckAll(const json& doc) {
    for (const auto& [dbname, keys] : doc.at("dbs").items()) {
      int db = std::stoi(dbname);
      EXPECT_EQ(Run(db, {"DBSIZE"})->v.integer, static_cast<int64_t>(keys.size()));
      EXPECT_EQ(ks_.KeyCount(db), keys.size());
      size_t live = 0;
      for (const auto& [kname, entry] : keys.items()) {
        int64_t exp = entry.value("expire_ms", int64_t{-1});
        if (exp == -1 || ctx_.now_ms <= exp) ++live;
        CheckKey(db, NameBytes(kname), entry);
      }
      auto k = Run(db, {"KEYS", "*"});
      EXPECT_EQ(k->v.elements.size(), live);
      // A full SCAN visits every live key exactly once (no resize in between).
      std::multiset<std::string> scanned;
      std::string cursor = "0";
      do {
        auto s = Run(db, {"SCAN", cursor, "COUNT", "7"});
        cursor = Str(s->v.elements[0]);
        for (const auto& e : s->v.elements[1].elements) scanned.insert(Str(e));
      } while (cursor != "0");
      EXPECT_EQ(scanned.size(), live);
    }
    // Functions.
    const json& fns = doc.value("functions", json::array());
    auto fl = Run(0, {"FUNCTION", "LIST", "WITHCODE"});
    ASSERT_EQ(fl->v.elements.size(), fns.size());
    for (size_t i = 0; i < fns.size(); ++i) {
      const RespValue& lib = fl->v.elements[i];
      EXPECT_EQ(Str(lib.elements[1]), fns[i].at("library").get<std::string>());
      EXPECT_EQ(Str(lib.elements[3]), fns[i].at("engine").get<std::string>());
      EXPECT_EQ(Str(lib.elements[7]), fns[i].at("code").get<std::string>());
    }
  }

  int expired() const { return expired_; }

 private:
  Keyspace& ks_;
  CommandContext ctx_;
  int expired_ = 0;
};

class KeyspaceVectorTest : public ::testing::TestWithParam<std::string> {};

TEST_P(KeyspaceVectorTest, ThroughDecoder) {
  std::string dir = VectorDir();
  std::string rdb = ReadFile(dir + "/" + GetParam() + ".rdb");
  json doc = json::parse(ReadFile(dir + "/" + GetParam() + ".json"));
  Keyspace ks;
  std::unique_ptr<KeyspaceLoader> loader;
  ASSERT_TRUE(LoadRdb(rdb, &ks, &loader).ok());
  EXPECT_EQ(loader->rdb_version(), doc.at("rdb_version").get<int>());
  Checker(ks, NowMs()).CheckAll(doc);
  if (!doc.at("dbs").empty()) {
    EXPECT_GT(ks.DatasetBytes(), 0u);
  }
}

TEST_P(KeyspaceVectorTest, ThroughJsonSinkCalls) {
  std::string dir = VectorDir();
  json doc = json::parse(ReadFile(dir + "/" + GetParam() + ".json"));
  Keyspace ks;
  KeyspaceLoader loader(&ks);
  ASSERT_TRUE(DriveFromJson(doc, &loader).ok());
  Checker(ks, NowMs()).CheckAll(doc);
}

// Reads at a time before the short TTLs ran out see the expired keys and fields.
TEST_P(KeyspaceVectorTest, ShortTtlsVisibleBeforeExpiry) {
  std::string dir = VectorDir();
  json doc = json::parse(ReadFile(dir + "/" + GetParam() + ".json"));
  if (!doc.contains("generated_at_unix_ms")) {
    // Vectors from old servers carry no generation time, and no key of theirs has a TTL short
    // enough to have run out since: every TTL they hold is still in the future.
    Keyspace ks;
    ASSERT_TRUE(LoadRdb(ReadFile(dir + "/" + GetParam() + ".rdb"), &ks).ok());
    Checker now(ks, NowMs());
    now.CheckAll(doc);
    EXPECT_EQ(now.expired(), 0);
    return;
  }
  Keyspace ks;
  ASSERT_TRUE(LoadRdb(ReadFile(dir + "/" + GetParam() + ".rdb"), &ks).ok());
  Checker early(ks, doc.at("generated_at_unix_ms").get<int64_t>());
  early.CheckAll(doc);
  EXPECT_EQ(early.expired(), 0);
}

INSTANTIATE_TEST_SUITE_P(AllVectors, KeyspaceVectorTest, ::testing::ValuesIn(VectorNames()),
                         [](const ::testing::TestParamInfo<std::string>& i) {
                           std::string n = i.param;
                           for (char& c : n) {
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return n;
                         });

TEST(KeyspaceVectors, ExpiredKeysAreHiddenButCounted) {
  std::string dir = VectorDir();
  Keyspace ks;
  ASSERT_TRUE(LoadRdb(ReadFile(dir + "/redis-unstable-2024-10-rdb12-default.rdb"), &ks).ok());
  CommandContext ctx;
  ctx.now_ms = NowMs();
  EXPECT_EQ(Exec(ks, ctx, {"GET", "short:str"}), "$-1\r\n");
  EXPECT_EQ(Exec(ks, ctx, {"EXISTS", "short:str", "short:hash", "short:list"}), ":0\r\n");
  EXPECT_EQ(Exec(ks, ctx, {"TYPE", "short:hash"}), "+none\r\n");
  EXPECT_EQ(Exec(ks, ctx, {"HGET", "hash:hfe:short", "gone"}), "$-1\r\n");
  EXPECT_EQ(Exec(ks, ctx, {"HGET", "hash:hfe:short", "keep"}), "$1\r\n1\r\n");
  EXPECT_EQ(Exec(ks, ctx, {"HGETALL", "hash:hfe:short"}), "*2\r\n$4\r\nkeep\r\n$1\r\n1\r\n");
  EXPECT_EQ(Exec(ks, ctx, {"HTTL", "hash:hfe:short", "FIELDS", "2", "gone", "keep"}),
            "*2\r\n:-2\r\n:-1\r\n");
  // DBSIZE counts the logically expired keys, as a Redis replica does.
  EXPECT_EQ(Exec(ks, ctx, {"DBSIZE"}), StrCat(":", ks.KeyCount(0), "\r\n"));
}

// A load that stops half way (corrupt or truncated input) leaves the keyspace empty.
TEST(KeyspaceVectors, BrokenLoadsLeaveNothing) {
  std::string rdb = ReadFile(VectorDir() + "/redis-7.2.6-rdb11-default.rdb");
  Keyspace ks;
  ks.Add(0, obj::NewString("old", "value", obj::kNoExpire));
  {
    KeyspaceLoader loader(&ks);
    rdb::RdbDecoder dec(&loader);
    ASSERT_TRUE(dec.Feed(std::string_view(rdb).substr(0, rdb.size() / 2)).ok());
    EXPECT_GT(ks.KeyCount(0), 0u);
    EXPECT_FALSE(dec.Finish().ok());
  }
  EXPECT_EQ(ks.KeyCount(0), 0u);
  EXPECT_EQ(ks.DatasetBytes(), 0u);
  // A sink-level error (a zset member twice) also empties it.
  KeyspaceLoader loader(&ks);
  ASSERT_TRUE(loader.OnHeader(10).ok());
  ASSERT_TRUE(loader.OnString("a", rdb::KeyMeta{}, "1").ok());
  ASSERT_TRUE(loader.BeginZset("z", rdb::KeyMeta{}, 2).ok());
  ASSERT_TRUE(loader.ZsetMember("m", 1).ok());
  EXPECT_FALSE(loader.ZsetMember("m", 2).ok());
  EXPECT_EQ(ks.KeyCount(0), 0u);
  // Stream consumers must own entries of the group PEL.
  ASSERT_TRUE(loader.OnHeader(10).ok());
  ASSERT_TRUE(loader.BeginStream("s", rdb::KeyMeta{}).ok());
  rdb::StreamGroupMeta g;
  g.name = "g";
  ASSERT_TRUE(loader.StreamGroup(g).ok());
  rdb::StreamConsumerMeta c;
  c.name = "c";
  ASSERT_TRUE(loader.StreamConsumer(c).ok());
  EXPECT_FALSE(loader.StreamConsumerPending(rdb::StreamId{1, 1}).ok());
  EXPECT_EQ(ks.KeyCount(0), 0u);
}

// The replication AUX fields are kept.
TEST(KeyspaceVectors, KeepsReplicationAux) {
  Keyspace ks;
  KeyspaceLoader loader(&ks);
  ASSERT_TRUE(loader.OnHeader(11).ok());
  ASSERT_TRUE(loader.OnAux("repl-stream-db", "3").ok());
  ASSERT_TRUE(loader.OnAux("repl-id", "0123456789012345678901234567890123456789").ok());
  ASSERT_TRUE(loader.OnAux("repl-offset", "123456").ok());
  ASSERT_TRUE(loader.OnAux("redis-ver", "7.2.6").ok());
  ASSERT_TRUE(loader.OnSelectDb(20).ok());
  ASSERT_TRUE(loader.OnString("k", rdb::KeyMeta{20, -1}, "v").ok());
  ASSERT_TRUE(loader.OnEnd().ok());
  EXPECT_EQ(loader.repl_stream_db(), 3);
  EXPECT_EQ(loader.repl_id(), "0123456789012345678901234567890123456789");
  EXPECT_EQ(loader.repl_offset(), 123456);
  EXPECT_EQ(loader.rdb_version(), 11);
  EXPECT_EQ(ks.num_dbs(), 21);
  EXPECT_EQ(ks.KeyCount(20), 1u);
}

}  // namespace
}  // namespace redlink::engine::kstest
