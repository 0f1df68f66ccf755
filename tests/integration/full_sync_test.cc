// Step 6 with the RDB: full syncs from real redis-server masters in both transfer forms, the data
// readable on the RESP endpoint, atomic replacement, and transfers cut short.

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using redlink::v1::Link;

void Fill(RedisServer& master, int n) {
  RespClient c = master.Client();
  std::string batch;
  for (int i = 0; i < n; ++i) {
    std::string k = absl::StrCat("key:", i), v = absl::StrCat("value-", i);
    batch += absl::StrCat("*3\r\n$3\r\nSET\r\n$", k.size(), "\r\n", k, "\r\n$", v.size(), "\r\n", v,
                          "\r\n");
  }
  ASSERT_TRUE(c.SendRaw(batch));
  for (int i = 0; i < n; ++i) ASSERT_EQ(c.ReadReplyRaw(), "+OK\r\n");
}

class FullSyncTest : public ::testing::TestWithParam<bool> {};

TEST_P(FullSyncTest, LoadsAndServesTheDataset) {
  bool diskless = GetParam();
  RedisServer master(
      {"--repl-diskless-sync", diskless ? "yes" : "no", "--repl-diskless-sync-delay", "0"});
  ASSERT_TRUE(master.ok());
  Fill(master, 1000);
  ASSERT_EQ(master.Cmd({"RPUSH", "list", "a", "b", "c"}), "3");
  ASSERT_EQ(master.Cmd({"HSET", "hash", "f1", "v1", "f2", "v2"}), "2");
  ASSERT_EQ(master.Cmd({"SELECT", "3"}), "OK");
  ASSERT_EQ(master.Cmd({"SET", "in-db3", "x"}), "OK");

  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  ASSERT_TRUE(redlink.CreateLink("sync", master.port()).ok());
  Link link;
  ASSERT_TRUE(redlink.WaitState("sync", v1::LINK_STATE_STREAMING, std::chrono::seconds(30), &link))
      << link.DebugString() << redlink.log();
  EXPECT_EQ(link.full_syncs(), 1u);
  EXPECT_EQ(link.master_replid().size(), 40u);
  EXPECT_EQ(link.master_replid(), master.InfoField("replication", "master_replid"));
  EXPECT_GT(link.dataset_bytes(), 0u);

  RespClient r = redlink.ReadClient("sync");
  EXPECT_EQ(r.Command({"DBSIZE"}), "1002");
  EXPECT_EQ(r.Command({"GET", "key:123"}), "value-123");
  EXPECT_EQ(r.Command({"LRANGE", "list", "0", "-1"}), "[a,b,c]");
  EXPECT_EQ(r.Command({"HGET", "hash", "f2"}), "v2");
  EXPECT_EQ(r.Command({"SELECT", "3"}), "OK");
  EXPECT_EQ(r.Command({"GET", "in-db3"}), "x");
  EXPECT_EQ(r.Command({"SET", "a", "b"}), "-READONLY You can't write against a read only replica.");
}

// The stream starts right after the load: a diskless master ignores an ACK that arrives before
// it has reaped its RDB child, so the link repeats it until the stream flows instead of waiting
// for the next once-a-second ACK. Five full syncs (the master forgets its replication ID and
// drops the link each time) so that a lucky timing cannot pass it.
TEST_P(FullSyncTest, WritesRightAfterTheSyncArriveWithinHalfASecond) {
  bool diskless = GetParam();
  RedisServer master({"--repl-diskless-sync", diskless ? "yes" : "no", "--repl-diskless-sync-delay",
                      "0", "--enable-debug-command", "yes"});
  ASSERT_TRUE(master.ok());
  Fill(master, 2000);
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  ASSERT_TRUE(redlink.CreateLink("fresh", master.port()).ok());
  RespClient m = master.Client();
  for (int round = 1; round <= 5; ++round) {
    Link link;
    ASSERT_TRUE(redlink.WaitLink(
        "fresh",
        [&](const Link& l) {
          return l.state() == v1::LINK_STATE_STREAMING &&
                 l.full_syncs() == static_cast<uint64_t>(round);
        },
        &link))
        << link.DebugString();
    std::string key = absl::StrCat("after-sync-", round);
    ASSERT_EQ(m.Command({"SET", key, "1"}), "OK");
    auto t0 = std::chrono::steady_clock::now();
    RespClient r = redlink.ReadClient("fresh");
    ASSERT_TRUE(WaitFor([&] { return r.Command({"GET", key}) == "1"; }, std::chrono::seconds(5)));
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    EXPECT_LT(ms, 500) << "round " << round;
    if (round < 5) {
      ASSERT_EQ(m.Command({"DEBUG", "CHANGE-REPL-ID"}), "OK");
      ASSERT_EQ(m.Command({"CLIENT", "KILL", "TYPE", "replica"}), "1");
    }
  }
}

INSTANTIATE_TEST_SUITE_P(DiskAndDiskless, FullSyncTest, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Diskless" : "Disk"; });

}  // namespace
}  // namespace redlink::testing
