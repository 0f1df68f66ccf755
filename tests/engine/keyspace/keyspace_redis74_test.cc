// Hash field TTLs against a real Redis 7.4 (the Debian redis is 7.0; built only with
// -DREDLINK_REDIS74=<7.4 redis-server>): a 7.4 master with active expiry off writes hashes with
// field TTLs (some already passed), its replica keeps the expired fields as a replica does, and
// the keyspace loaded from the master's RDB must answer like the replica.

#include <gtest/gtest.h>

#include <random>

#include "engine/common/strings.h"
#include "engine/keyspace/values.h"
#include "tests/engine/keyspace/ks_test_util.h"
#include "tests/testing/test_util.h"

namespace redlink::engine::kstest {
namespace {

using redlink::testing::Describe;
using redlink::testing::FreePort;
using redlink::testing::Process;
using redlink::testing::RespClient;
using redlink::testing::TempDir;
using Args = std::vector<std::string>;

// ---- Against a real Redis 7.4 replica (optional) ---------------------------------------------

class Server74 {
 public:
  Server74(const std::string& bin, std::vector<std::string> extra) : port_(FreePort()) {
    std::vector<std::string> argv = {bin,      "--port",           std::to_string(port_),
                                     "--bind", "127.0.0.1",        "--save",
                                     "",       "--appendonly",     "no",
                                     "--dir",  dir_.path(),        "--daemonize",
                                     "no",     "--protected-mode", "no"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<Process>(argv, dir_.File("redis.log"));
    ok_ = client_.Connect("127.0.0.1", port_) &&
          redlink::testing::WaitFor([&] { return client_.CommandRaw({"PING"}) == "+PONG\r\n"; });
  }
  bool ok() const { return ok_; }
  int port() const { return port_; }
  RespClient& client() { return client_; }
  const std::string& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<Process> proc_;
  RespClient client_;
  bool ok_ = false;
};

TEST(KeyspaceFieldTtl, MatchesRedis74Replica) {
  const char* bin = getenv("REDLINK_REDIS74");
  ASSERT_TRUE(bin != nullptr && *bin != '\0')
      << "configure with -DREDLINK_REDIS74=<7.4 redis-server>";
  Server74 master(bin, {"--enable-debug-command", "yes"});
  ASSERT_TRUE(master.ok());
  RespClient& m = master.client();
  ASSERT_EQ(m.CommandRaw({"DEBUG", "SET-ACTIVE-EXPIRE", "0"}), "+OK\r\n");
  Server74 replica(bin, {"--replicaof", "127.0.0.1", std::to_string(master.port())});
  ASSERT_TRUE(replica.ok());
  int64_t now = NowMs();
  std::mt19937 rng(5);
  // Small (listpack-ex) and big (hashtable) hashes; some fields expire in 300 ms.
  for (const auto& [key, n] :
       std::vector<std::pair<std::string, int>>{{"hs", 6}, {"hb", 300}, {"hmixed", 40}}) {
    for (int i = 0; i < n; ++i) {
      ASSERT_EQ(m.CommandRaw({"HSET", key, StrCat("f", i), StrCat("v", i)})[0], ':');
    }
    for (int i = 0; i < n; i += 2) {
      int64_t at = i % 6 == 0 ? now + 300 : now + 100000 + static_cast<int64_t>(rng() % 100000);
      ASSERT_EQ(
          m.CommandRaw({"HPEXPIREAT", key, std::to_string(at), "FIELDS", "1", StrCat("f", i)}),
          "*1\r\n:1\r\n");
    }
  }
  ASSERT_TRUE(redlink::testing::WaitFor([&] {
    return replica.client().CommandRaw({"HLEN", "hb"}) == ":300\r\n";
  }));
  ASSERT_EQ(m.CommandRaw({"SAVE"}), "+OK\r\n");
  Keyspace ks;
  ASSERT_TRUE(LoadRdb(ReadFile(master.dir() + "/dump.rdb"), &ks).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the short TTLs pass
  RespClient& r = replica.client();
  for (int proto : {2, 3}) {
    if (proto == 3) {
      ASSERT_EQ(r.CommandRaw({"HELLO", "3"})[0], '%');
    }
    CommandContext ctx;
    ctx.protocol = proto;
    for (const char* key : {"hs", "hb", "hmixed", "missing"}) {
      std::vector<Args> exact = {{"HLEN", key},
                                 {"HPEXPIRETIME", key, "FIELDS", "4", "f0", "f1", "f2", "f9"},
                                 {"HEXPIRETIME", key, "FIELDS", "3", "f0", "f4", "f5"},
                                 {"HGET", key, "f0"},
                                 {"HGET", key, "f2"},
                                 {"HMGET", key, "f0", "f1", "f6", "nope"},
                                 {"HEXISTS", key, "f6"},
                                 {"HSTRLEN", key, "f12"},
                                 {"HTTL", key, "FIELDS", "1", "f0"}};
      if (std::string(key) != "hb") {
        exact.push_back({"HGETALL", key});
        exact.push_back({"HKEYS", key});
        exact.push_back({"HVALS", key});
      }
      for (const Args& a : exact) {
        std::string want = r.CommandRaw(a);
        ctx.now_ms = NowMs();
        std::string got = Exec(ks, ctx, a);
        EXPECT_EQ(got, want) << "RESP" << proto << " " << a[0] << " " << key << "\n redis "
                             << Describe(want) << "\n mine  " << Describe(got);
      }
      // TTLs still running compare with a tolerance of the elapsed time.
      Args a = {"HPTTL", key, "FIELDS", "3", "f2", "f4", "f8"};
      auto want = Parse(r.CommandRaw(a));
      ctx.now_ms = NowMs();
      auto got = Parse(Exec(ks, ctx, a));
      ASSERT_EQ(want->v.elements.size(), got->v.elements.size());
      for (size_t i = 0; i < want->v.elements.size(); ++i) {
        EXPECT_NEAR(want->v.elements[i].integer, got->v.elements[i].integer, 200);
      }
    }
  }
}

// DUMP payloads for RDB 12 (listpack sets, stream v3, field-TTL hashes) restore on 7.4: every key
// of the RDB 12 vector, read back the same in 7.4 as in the keyspace.
TEST(KeyspaceFieldTtl, Rdb12DumpsRestoreInRedis74) {
  const char* bin = getenv("REDLINK_REDIS74");
  ASSERT_TRUE(bin != nullptr && *bin != '\0')
      << "configure with -DREDLINK_REDIS74=<7.4 redis-server>";
  Server74 server(bin, {});
  ASSERT_TRUE(server.ok());
  RespClient& r = server.client();
  Keyspace ks;
  ASSERT_TRUE(
      LoadRdb(ReadFile(VectorDir() + "/redis-unstable-2024-10-rdb12-default.rdb"), &ks).ok());
  CommandContext ctx;
  ctx.now_ms = NowMs();
  std::vector<std::string> keys;
  ks.db(0).ForEach([&](KeyEntry* e) {
    int64_t exp = obj::Expire(e);
    if (exp == obj::kNoExpire || exp > ctx.now_ms + 60000) keys.emplace_back(obj::Key(e));
  });
  ASSERT_GT(keys.size(), 20u);
  for (const std::string& k : keys) {
    std::string payload = DumpPayload(ks.db(0).Find(k), 12, ctx.now_ms);
    EXPECT_EQ(r.CommandRaw({"RESTORE", k, "0", payload}), "+OK\r\n") << k;
    std::string type = Exec(ks, ctx, {"TYPE", k});
    std::vector<Args> reads = {{"TYPE", k}};
    if (type == "+string\r\n") reads.push_back({"GET", k});
    if (type == "+list\r\n") reads.push_back({"LRANGE", k, "0", "-1"});
    if (type == "+set\r\n") reads.push_back({"SCARD", k});
    if (type == "+zset\r\n") {
      // (7.4 formats doubles differently from 7.0: compare members, and scores numerically.)
      reads.push_back({"ZRANGE", k, "0", "-1"});
      Args a = {"ZRANGE", k, "0", "-1", "WITHSCORES"};
      auto want = Parse(r.CommandRaw(a));
      auto got = Parse(Exec(ks, ctx, a));
      ASSERT_EQ(want->v.elements.size(), got->v.elements.size());
      for (size_t i = 1; i < want->v.elements.size(); i += 2) {
        EXPECT_EQ(std::stod(Str(want->v.elements[i])), std::stod(Str(got->v.elements[i])));
      }
    }
    if (type == "+hash\r\n") {
      reads.push_back({"HLEN", k});
      reads.push_back({"HPEXPIRETIME", k, "FIELDS", "3", "a", "f1", "field0"});
    }
    if (type == "+stream\r\n") {
      reads.push_back({"XRANGE", k, "-", "+"});
      reads.push_back({"XINFO", "GROUPS", k});
    }
    for (const Args& a : reads) {
      ctx.now_ms = NowMs();
      std::string want = r.CommandRaw(a);
      EXPECT_EQ(Exec(ks, ctx, a), want) << a[0] << " " << k << ": " << Describe(want);
    }
  }
}

}  // namespace
}  // namespace redlink::engine::kstest
