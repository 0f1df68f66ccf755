// Applies the same commands to redlink's keyspace (ApplyCommand) and to a real redis-server 7.0
// (/usr/bin/redis-server) and compares the two datasets with read commands (every key's type,
// value, TTL; streams with groups, consumers and pending entries; function libraries), plus:
// a command errors here iff it errors there, with Redis's message. The commands are the seeded
// "direct" workload (every family, deterministic forms) and scripted cases that need a real
// server's output (RESTORE of DUMP payloads, FUNCTION RESTORE, HLL bytes through every
// sparse/dense transition).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "engine/common/strings.h"
#include "tests/engine/replication/apply_test_util.h"
#include "tests/engine/replication/workload.h"
#include "tests/testing/test_util.h"

namespace redlink::testing {
namespace {

constexpr int kDbs = 4;
// Absolute times of the direct workload (2100-01-01): far in the future, and fixed so a seed
// always produces the same commands.
constexpr int64_t kBaseMs = 4102444800000;

class ApplyVsRedisTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(redis_.ok());
    ASSERT_TRUE(cmd_.Connect("127.0.0.1", redis_.port()));
    ASSERT_TRUE(snap_.Connect("127.0.0.1", redis_.port()));
  }

  // Sends `a` to both. Returns false if only one side failed (or the errors differ).
  bool Both(const Args& a) {
    if (EqName(a[0], "select")) {
      cmd_.CommandRaw(a);
      h_.ctx.db = std::stoi(a[1]);
      return true;
    }
    std::string reply = cmd_.CommandRaw(a);
    h_.ctx.now_ms = WallMs();
    absl::Status s = h_.Apply(a);
    bool redis_error = !reply.empty() && reply[0] == '-';
    std::string redis_msg = redis_error ? reply.substr(1, reply.size() - 3) : "";
    ++applied_;
    if (redis_error) ++errors_;
    if (h_.ks.DatasetBytes() != RecountBytes(h_.ks)) {
      ADD_FAILURE() << "DatasetBytes off by "
                    << static_cast<int64_t>(h_.ks.DatasetBytes() - RecountBytes(h_.ks)) << " after "
                    << Show(a);
      return false;
    }
    if (redis_error == !s.ok() && (!redis_error || redis_msg == s.message())) return true;
    ADD_FAILURE() << "command " << Show(a) << "\n  redis: " << Describe(reply)
                  << "\n  redlink: " << s;
    return false;
  }

  std::string RedisSnapshot() {
    Runner run = [this](const Args& a) { return snap_.CommandRaw(a); };
    return SnapshotAll(run, kDbs) + SnapshotFunctions(run);
  }
  std::string OurSnapshot() {
    KeyspaceRunner r(&h_.ks);
    return SnapshotAll(r.AsRunner(), kDbs) + SnapshotFunctions(r.AsRunner());
  }
  void ExpectSameData(const std::string& where) {
    std::string theirs = RedisSnapshot(), ours = OurSnapshot();
    if (theirs != ours) {
      ADD_FAILURE() << where << ": datasets differ\n" << FirstDifference(theirs, ours);
    }
    EXPECT_EQ(h_.ks.DatasetBytes(), RecountBytes(h_.ks)) << where;
  }

  static std::string FirstDifference(const std::string& a, const std::string& b) {
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    size_t line = a.rfind('\n', i);
    line = line == std::string::npos ? 0 : line + 1;
    auto cut = [&](const std::string& s) {
      size_t end = s.find('\n', i);
      return s.substr(
          line, std::min<size_t>(end == std::string::npos ? s.size() : end, line + 600) - line);
    };
    return StrCat("  redis:   ", cut(a), "\n  redlink: ", cut(b));
  }

  static bool EqName(const std::string& a, const char* b) {
    if (a.size() != std::strlen(b)) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) return false;
    }
    return true;
  }
  static std::string Show(const Args& a) {
    std::string s;
    for (const auto& x : a) s += (s.empty() ? "" : " ") + Describe(x.substr(0, 80));
    return s;
  }

  RedisServer redis_{{"--hll-sparse-max-bytes", "3000"}};
  RespClient cmd_, snap_;
  ApplyHarness h_;
  uint64_t applied_ = 0, errors_ = 0;
};

TEST_F(ApplyVsRedisTest, RandomWorkloadMatchesRedis) {
  for (uint64_t seed : {1, 2, 3, 4}) {
    Workload::Options opt;
    opt.mode = Workload::Mode::kDirect;
    opt.num_dbs = kDbs;
    opt.base_ms = kBaseMs;
    Workload w(seed, opt);
    int mismatches = 0;
    for (int i = 1; i <= 4000; ++i) {
      Args a = w.Next();
      if (!Both(a) && ++mismatches > 20) FAIL() << "too many mismatches";
      // APPLY_DEBUG=1 compares after every command (finds the first diverging one).
      if (i % 250 == 0 || std::getenv("APPLY_DEBUG") != nullptr) {
        ExpectSameData(StrCat("seed ", seed, " after ", i, " commands, last ", Show(a)));
        if (HasFailure()) return;
      }
    }
    std::string counts;
    for (const auto& [family, n] : w.counts()) counts += StrCat(family, "=", n, " ");
    std::cout << "seed " << seed << ": " << counts << "\n";
  }
  std::cout << applied_ << " commands applied to both, " << errors_ << " of them errors\n";
}

// Elements that compare equal: SORT BY with a LIMIT window and GEO searches with COUNT below the
// number of matches use Redis's pqsort, which is not stable; the stored order must still be
// Redis's. Also a zero score's sign, which a listpack zset loses.
TEST_F(ApplyVsRedisTest, TiesAndSignedZeroLandWhereRedisPutsThem) {
  for (int n : {5, 7, 8, 20, 41, 45, 100, 300}) {
    Args push = {"RPUSH", StrCat("l", n)};
    for (int i = 1; i <= n; ++i) push.push_back(StrCat(i % 9));
    ASSERT_TRUE(Both(push));
    for (int i = 1; i <= n; i += 3) ASSERT_TRUE(Both({"SET", StrCat("w_", i % 9), "same"}));
    for (const Args& a : std::vector<Args>{
             {"SORT", StrCat("l", n), "BY", "nokey_*", "ALPHA", "LIMIT", "0", "5", "STORE", "o1"},
             {"SORT", StrCat("l", n), "BY", "w_*", "ALPHA", "LIMIT", "3", "7", "STORE", "o2"},
             {"SORT", StrCat("l", n), "BY", "w_*", "LIMIT", "1", "4", "DESC", "STORE", "o3"},
             {"SORT", StrCat("l", n), "BY", "nokey_*", "LIMIT", "0", "50", "STORE", "o4"},
             {"SORT", StrCat("l", n), "BY", "w_*", "ALPHA", "STORE", "o5"},
         }) {
      ASSERT_TRUE(Both(a));
    }
    ExpectSameData(StrCat("SORT over ", n, " elements"));
  }
  // Pairs of members at the same distance from (0, 0), mirrored around the meridian.
  Args geo = {"GEOADD", "g"};
  for (int i = 0; i < 30; ++i) {
    double lon = 5.5 + i * 3;
    double lat = (i % 7) * 5.25 - 10;
    for (double sign : {1.0, -1.0}) {
      geo.push_back(StrCat(sign * lon));
      geo.push_back(StrCat(lat));
      geo.push_back(StrCat(sign > 0 ? "e" : "w", i));
    }
  }
  ASSERT_TRUE(Both(geo));
  for (const char* count : {"1", "3", "5", "9", "25", "59"}) {
    ASSERT_TRUE(Both({"GEOSEARCHSTORE", "gs", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "20000",
                      "km", "ASC", "COUNT", count}));
    ASSERT_TRUE(Both({"GEOSEARCHSTORE", "gd", "g", "FROMLONLAT", "0", "0", "BYRADIUS", "20000",
                      "km", "DESC", "COUNT", count, "STOREDIST"}));
    ExpectSameData(StrCat("GEOSEARCHSTORE COUNT ", count));
  }
  ASSERT_TRUE(Both({"ZADD", "z0", "-0", "m", "1", "n"}));
  ASSERT_TRUE(Both({"ZUNIONSTORE", "z1", "1", "z0", "WEIGHTS", "-1"}));
  ExpectSameData("zero scores");
  EXPECT_EQ(h_.Get({"ZSCORE", "z0", "m"}), "0");
}

// Redis 6.2 propagates SCRIPT LOAD and FLUSH: the script cache is not data, nothing changes.
TEST_F(ApplyVsRedisTest, ScriptLoadAndFlushChangeNothing) {
  ASSERT_TRUE(Both({"SET", "k", "v"}));
  ASSERT_TRUE(Both({"SCRIPT", "LOAD", "return redis.call('set', 'x', 'y')"}));
  ASSERT_TRUE(Both({"script", "flush"}));
  ExpectSameData("after SCRIPT LOAD/FLUSH");
}

// RESTORE with DUMP payloads a real server produced (every type and encoding, with its options).
TEST_F(ApplyVsRedisTest, RestoreOfRedisDumps) {
  std::vector<Args> setup = {
      {"SET", "s", "hello"},
      {"SET", "i", "12345"},
      {"SET", "big", std::string(300, 'x')},
      {"RPUSH", "l", "a", "1", "b"},
      {"SADD", "si", "1", "2", "3"},
      {"SADD", "sl", "a", "b"},
      {"ZADD", "z", "1.5", "a", "2", "b"},
      {"HSET", "h", "f", "v", "g", "1"},
      {"XADD", "x", "1-1", "a", "1"},
      {"XADD", "x", "2-1", "b", "2"},
      {"XGROUP", "CREATE", "x", "g", "0"},
      {"XCLAIM", "x", "g", "c", "0", "1-1", "FORCE", "JUSTID"},
      {"PFADD", "p", "a", "b", "c"},
  };
  for (int i = 0; i < 200; ++i) {
    setup.push_back({"SADD", "sh", StrCat("member", i)});
    setup.push_back({"ZADD", "zs", std::to_string(i), StrCat("m", i)});
    setup.push_back({"HSET", "hh", StrCat("f", i), "v"});
    setup.push_back({"RPUSH", "ll", std::string(100, static_cast<char>('a' + i % 26))});
  }
  for (const Args& a : setup) cmd_.CommandRaw(a);
  int64_t abs_ttl = WallMs() + 3600000;
  for (const char* key :
       {"s", "i", "big", "l", "si", "sl", "z", "h", "x", "p", "sh", "zs", "hh", "ll"}) {
    ParsedReply dump = ParseRaw(cmd_.CommandRaw({"DUMP", key}));
    ASSERT_TRUE(dump.ok);
    std::string payload(dump.v.str);
    cmd_.CommandRaw({"DEL", key});
    EXPECT_TRUE(Both({"RESTORE", key, "0", payload})) << key;
    EXPECT_TRUE(Both({"RESTORE", key, "0", payload})) << "BUSYKEY " << key;
    EXPECT_TRUE(Both(
        {"RESTORE", key, std::to_string(abs_ttl), payload, "REPLACE", "ABSTTL", "IDLETIME", "10"}))
        << key;
    std::string dup = StrCat(key, "-copy");
    EXPECT_TRUE(Both({"RESTORE", dup, std::to_string(abs_ttl), payload, "ABSTTL", "FREQ", "5"}));
  }
  ParsedReply dump = ParseRaw(cmd_.CommandRaw({"DUMP", "s"}));
  std::string bad(dump.v.str);
  bad[1] ^= 1;  // CRC mismatch
  EXPECT_TRUE(Both({"RESTORE", "bad", "0", bad}));
  EXPECT_TRUE(Both({"RESTORE", "bad", "-1", std::string(dump.v.str)}));
  EXPECT_TRUE(Both({"RESTORE", "bad", "0", std::string(dump.v.str), "FREQ", "300"}));
  EXPECT_TRUE(Both({"RESTORE", "bad", "0", std::string(dump.v.str), "BOGUS"}));
  ExpectSameData("after RESTOREs");
}

TEST_F(ApplyVsRedisTest, FunctionLoadDeleteRestore) {
  EXPECT_TRUE(Both({"FUNCTION", "LOAD", Workload::LibraryCode(1)}));
  EXPECT_TRUE(Both({"FUNCTION", "LOAD", Workload::LibraryCode(1)}));  // exists
  EXPECT_TRUE(Both({"FUNCTION", "LOAD", "REPLACE", Workload::LibraryCode(1)}));
  EXPECT_TRUE(Both({"FUNCTION", "LOAD", Workload::LibraryCode(2)}));
  EXPECT_TRUE(Both({"FUNCTION", "LOAD",
                    "#!lua name=clash\nredis.register_function('push1', "
                    "function() return 1 end)"}));
  EXPECT_TRUE(Both({"FUNCTION", "LOAD", "BOGUS", Workload::LibraryCode(3)}));
  ParsedReply dump = ParseRaw(cmd_.CommandRaw({"FUNCTION", "DUMP"}));
  std::string payload(dump.v.str);
  EXPECT_TRUE(Both({"FUNCTION", "DELETE", "lib2"}));
  EXPECT_TRUE(Both({"FUNCTION", "DELETE", "lib2"}));
  EXPECT_TRUE(Both({"FUNCTION", "RESTORE", payload}));  // lib1 exists: APPEND fails
  EXPECT_TRUE(Both({"FUNCTION", "RESTORE", payload, "REPLACE"}));
  EXPECT_TRUE(Both({"FUNCTION", "FLUSH"}));
  EXPECT_TRUE(Both({"FUNCTION", "RESTORE", payload, "FLUSH"}));
  EXPECT_TRUE(Both({"FUNCTION", "RESTORE", payload, "WHATEVER"}));
  EXPECT_TRUE(Both({"FUNCTION", "FLUSH", "ASYNC"}));
  EXPECT_TRUE(Both({"FUNCTION", "RESTORE", payload, "APPEND"}));
  ExpectSameData("after FUNCTION commands");
}

// HLLs must end byte-identical: grow sparse registers one by one (splits and VAL merges), cross
// the sparse size limit and the VAL limit (promotion), merge sparse and dense, refresh the cache.
TEST_F(ApplyVsRedisTest, HyperLogLogBytesMatch) {
  for (int i = 0; i < 3000; i += 7) {
    Args a = {"PFADD", "h1"};
    for (int j = 0; j < 7; ++j) a.push_back(StrCat("el", i + j));
    ASSERT_TRUE(Both(a));
    if (i % 140 == 0) {
      ASSERT_TRUE(Both({"PFCOUNT", "h1"}));
      ExpectSameData(StrCat("h1 at ", i));
      if (HasFailure()) return;
    }
  }
  ASSERT_TRUE(Both({"PFADD", "h2", "a", "b", "c"}));
  ASSERT_TRUE(Both({"PFADD", "h3"}));
  ASSERT_TRUE(Both({"PFMERGE", "h4", "h2", "h3"}));  // sparse + sparse
  ASSERT_TRUE(Both({"PFMERGE", "h5", "h1", "h2"}));  // dense input
  ASSERT_TRUE(Both({"PFMERGE", "h2", "h2", "missing"}));
  ASSERT_TRUE(Both({"PFCOUNT", "h4"}));
  ASSERT_TRUE(Both({"PFDEBUG", "TODENSE", "h2"}));
  ASSERT_TRUE(Both({"PFDEBUG", "GETREG", "h3"}));
  ASSERT_TRUE(Both({"PFDEBUG", "TODENSE", "nope"}));
  ASSERT_TRUE(Both({"SET", "notahll", "x"}));
  ASSERT_TRUE(Both({"PFADD", "notahll", "x"}));
  ASSERT_TRUE(Both({"PFMERGE", "h4", "notahll"}));
  ExpectSameData("after PFMERGE/PFDEBUG");
}

}  // namespace
}  // namespace redlink::testing
