// Hash field TTLs (Redis 7.4): HTTL / HPTTL / HEXPIRETIME / HPEXPIRETIME replies and the hiding
// of expired fields, checked against Redis 7.4's documented reply format on a synthetic
// keyspace. keyspace_redis74_test checks the same against a real 7.4 replica.

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

TEST(KeyspaceFieldTtl, RepliesFollowRedis74Format) {
  Keyspace ks;
  int64_t now = 1700000000000;
  KeyEntry* h = NewHash("h");
  ks.Add(0, h);
  ks.Edit(h, [&] {
    hash::Set(h, "plain", "1");
    hash::Set(h, "soon", "2");
    hash::Set(h, "later", "3");
    hash::Set(h, "gone", "4");
    hash::SetFieldExpire(h, "soon", now + 1500);
    hash::SetFieldExpire(h, "later", now + 3600 * 1000);
    hash::SetFieldExpire(h, "gone", now - 1);
  });
  ks.Add(0, obj::NewString("s", "x", obj::kNoExpire));
  CommandContext ctx;
  ctx.now_ms = now;
  auto run = [&](const Args& a) { return Exec(ks, ctx, a); };
  EXPECT_EQ(run({"HTTL", "h", "FIELDS", "5", "plain", "soon", "later", "gone", "nope"}),
            "*5\r\n:-1\r\n:2\r\n:3600\r\n:-2\r\n:-2\r\n");
  EXPECT_EQ(run({"HPTTL", "h", "FIELDS", "3", "soon", "later", "plain"}),
            "*3\r\n:1500\r\n:3600000\r\n:-1\r\n");
  EXPECT_EQ(run({"HEXPIRETIME", "h", "FIELDS", "2", "soon", "plain"}),
            StrCat("*2\r\n:", (now + 1500 + 999) / 1000, "\r\n:-1\r\n"));
  EXPECT_EQ(run({"HPEXPIRETIME", "h", "FIELDS", "1", "later"}),
            StrCat("*1\r\n:", now + 3600 * 1000, "\r\n"));
  EXPECT_EQ(run({"HPTTL", "missing", "FIELDS", "2", "a", "b"}), "*2\r\n:-2\r\n:-2\r\n");
  EXPECT_EQ(run({"HTTL", "s", "FIELDS", "1", "a"}),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  EXPECT_EQ(run({"HTTL", "h", "FIELD", "1", "a"}),
            "-ERR Mandatory argument FIELDS is missing or not at the right position\r\n");
  EXPECT_EQ(run({"HTTL", "h", "FIELDS", "0", "a"}),
            "-ERR Number of fields must be a positive integer\r\n");
  EXPECT_EQ(run({"HTTL", "h", "FIELDS", "x", "a"}),
            "-ERR Number of fields must be a positive integer\r\n");
  EXPECT_EQ(run({"HTTL", "h", "FIELDS", "2", "a"}),
            "-ERR The `numfields` parameter must match the number of arguments\r\n");
  EXPECT_EQ(run({"HTTL", "h", "FIELDS", "1"}),
            "-ERR wrong number of arguments for 'httl' command\r\n");
  // The expired field is hidden from every read but still counted by HLEN (as in 7.4).
  EXPECT_EQ(run({"HGET", "h", "gone"}), "$-1\r\n");
  EXPECT_EQ(run({"HEXISTS", "h", "gone"}), ":0\r\n");
  EXPECT_EQ(run({"HSTRLEN", "h", "gone"}), ":0\r\n");
  EXPECT_EQ(run({"HMGET", "h", "gone", "plain"}), "*2\r\n$-1\r\n$1\r\n1\r\n");
  EXPECT_EQ(run({"HLEN", "h"}), ":4\r\n");
  EXPECT_EQ(run({"HKEYS", "h"}), "*3\r\n$4\r\nsoon\r\n$5\r\nlater\r\n$5\r\nplain\r\n");
  // Once "soon" passes too.
  ctx.now_ms = now + 2000;
  EXPECT_EQ(run({"HGETALL", "h"}), "*4\r\n$5\r\nlater\r\n$1\r\n3\r\n$5\r\nplain\r\n$1\r\n1\r\n");
  // DUMP for an RDB 12 server carries the TTLs (type 25), older versions cannot.
  std::string d12 = DumpPayload(h, 12, now);
  EXPECT_EQ(static_cast<uint8_t>(d12[0]), 25);
  std::string d10 = DumpPayload(h, 10, now);
  EXPECT_EQ(static_cast<uint8_t>(d10[0]), 16);
}

}  // namespace
}  // namespace redlink::engine::kstest
