// Partial resynchronisation against real redis-server 7.0 masters: broken connections, a
// failover to a promoted replica (UpdateLink), a master restart, pause/resume, and offsets that
// match the master's to the byte, WAIT answered. Mostly only the master's own keep-alive PINGs
// (every second here) travel the stream, so these tests exercise the link more than the applier.

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using redlink::v1::Link;

std::vector<std::string> MasterArgs(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--repl-diskless-sync-delay", "0", "--repl-ping-replica-period",
                                   "1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

int64_t Int(const std::string& s) { return s.empty() ? -1 : std::stoll(s); }

// The master's offset equals the link's once the stream is idle between PINGs.
bool OffsetsMatch(RedisServer& master, RedlinkdProcess& redlink, const std::string& id,
                  Link* last = nullptr) {
  return WaitFor(
      [&] {
        Link link;
        if (!redlink.GetLink(id, &link).ok()) return false;
        if (last) *last = link;
        return link.state() == v1::LINK_STATE_STREAMING &&
               link.master_repl_offset() ==
                   Int(master.InfoField("replication", "master_repl_offset"));
      },
      std::chrono::seconds(20));
}

class PartialResyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(master_.ok());
    ASSERT_TRUE(redlink_.ok()) << redlink_.log();
    ASSERT_TRUE(redlink_.CreateLink("pr", master_.port()).ok());
    ASSERT_TRUE(redlink_.WaitState("pr", v1::LINK_STATE_STREAMING));
  }
  RedisServer master_{MasterArgs()};
  RedlinkdProcess redlink_;
};

TEST_F(PartialResyncTest, OffsetEqualsTheMastersWhenIdle) {
  Link link;
  EXPECT_TRUE(OffsetsMatch(master_, redlink_, "pr", &link)) << link.DebugString();
  // The master sees our ACKs: its slave0 offset is ours.
  EXPECT_TRUE(WaitFor([&] {
    std::string s = master_.InfoField("replication", "slave0");
    return s.find(absl::StrCat("offset=", master_.InfoField("replication", "master_repl_offset"),
                               ",")) != std::string::npos;
  })) << master_.Cmd({"INFO", "replication"});
}

// WAIT on the master counts the link as a replica that has the writes: REPLCONF GETACK is
// answered at once with the offset of everything applied before it.
TEST_F(PartialResyncTest, WaitOneReturnsOneWhileStreaming) {
  RespClient c = master_.Client();
  // After a diskless full sync the master starts the stream on the first ACK it gets after it
  // has reaped its RDB child (real replicas alike): wait until a write has gone through.
  ASSERT_EQ(c.Command({"SET", "warm", "1"}), "OK");
  RespClient ours = redlink_.ReadClient("pr");
  ASSERT_TRUE(WaitFor([&] { return ours.Command({"GET", "warm"}) == "1"; }));
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 50 * round; ++i) {
      ASSERT_EQ(c.Command({"SET", absl::StrCat("w:", round, ":", i), "v"}), "OK");
    }
    ASSERT_EQ(c.Command({"INCR", "rounds"}), std::to_string(round + 1));
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(c.Command({"WAIT", "1", "1000"}), "1") << "round " << round;
    auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
            .count();
    // Answered by our reply to REPLCONF GETACK, not by the next once-a-second ACK.
    EXPECT_LT(ms, 700) << "round " << round << ": WAIT took until its timeout";
  }
  EXPECT_EQ(ours.Command({"GET", "rounds"}), "20");
  EXPECT_EQ(ours.Command({"DBSIZE"}), master_.Cmd({"DBSIZE"}));
  EXPECT_TRUE(OffsetsMatch(master_, redlink_, "pr"));
}

TEST_F(PartialResyncTest, ConnectionKilledResumesByPartialResync) {
  for (int round = 1; round <= 3; ++round) {
    ASSERT_TRUE(OffsetsMatch(master_, redlink_, "pr"));
    ASSERT_EQ(master_.Cmd({"CLIENT", "KILL", "TYPE", "replica"}), "1");
    Link link;
    ASSERT_TRUE(redlink_.WaitLink(
        "pr",
        [&](const Link& l) {
          return l.partial_syncs() == static_cast<uint64_t>(round) &&
                 l.state() == v1::LINK_STATE_STREAMING;
        },
        &link))
        << link.DebugString();
    EXPECT_EQ(link.full_syncs(), 1u);
  }
  EXPECT_EQ(master_.InfoField("stats", "sync_partial_ok"), "3");
  EXPECT_EQ(master_.InfoField("stats", "sync_full"), "1");
  EXPECT_TRUE(OffsetsMatch(master_, redlink_, "pr"));
}

TEST_F(PartialResyncTest, MasterRestartWithNewDatasetFullResyncs) {
  Link before;
  ASSERT_TRUE(redlink_.GetLink("pr", &before).ok());
  ASSERT_TRUE(master_.Restart(MasterArgs()));
  ASSERT_EQ(master_.Cmd({"SET", "fresh", "yes"}), "OK");
  Link link;
  ASSERT_TRUE(redlink_.WaitLink(
      "pr",
      [](const Link& l) { return l.full_syncs() == 2 && l.state() == v1::LINK_STATE_STREAMING; },
      &link, std::chrono::seconds(30)))
      << link.DebugString();
  EXPECT_NE(link.master_replid(), before.master_replid());
  EXPECT_EQ(link.master_replid(), master_.InfoField("replication", "master_replid"));
}

TEST_F(PartialResyncTest, PauseKeepsTheConnectionAndResumeContinues) {
  ASSERT_TRUE(OffsetsMatch(master_, redlink_, "pr"));
  v1::PauseLinkRequest preq;
  preq.set_link_id("pr");
  Link link;
  {
    auto ctx = redlink_.Context();
    ASSERT_TRUE(redlink_.stub().PauseLink(ctx.get(), preq, &link).ok());
  }
  EXPECT_EQ(link.state(), v1::LINK_STATE_PAUSED);
  int64_t frozen = link.master_repl_offset();
  // PINGs keep coming from the master; the link's offset stays frozen and it stays connected.
  EXPECT_TRUE(WaitFor(
      [&] { return Int(master_.InfoField("replication", "master_repl_offset")) > frozen + 28; },
      std::chrono::seconds(10)));
  ASSERT_TRUE(redlink_.GetLink("pr", &link).ok());
  EXPECT_EQ(link.master_repl_offset(), frozen);
  EXPECT_EQ(master_.InfoField("replication", "connected_slaves"), "1");
  v1::ResumeLinkRequest rreq;
  rreq.set_link_id("pr");
  {
    auto ctx = redlink_.Context();
    ASSERT_TRUE(redlink_.stub().ResumeLink(ctx.get(), rreq, &link).ok());
  }
  EXPECT_TRUE(OffsetsMatch(master_, redlink_, "pr", &link)) << link.DebugString();
  EXPECT_EQ(link.partial_syncs(), 0u);  // continued on the same connection
  EXPECT_EQ(link.full_syncs(), 1u);
}

TEST_F(PartialResyncTest, PausedLinkDroppedByMasterResumesByPartialResync) {
  ASSERT_TRUE(OffsetsMatch(master_, redlink_, "pr"));
  v1::PauseLinkRequest preq;
  preq.set_link_id("pr");
  Link link;
  {
    auto ctx = redlink_.Context();
    ASSERT_TRUE(redlink_.stub().PauseLink(ctx.get(), preq, &link).ok());
  }
  ASSERT_EQ(master_.Cmd({"CLIENT", "KILL", "TYPE", "replica"}), "1");
  // Still PAUSED after the master dropped it.
  ASSERT_TRUE(redlink_.GetLink("pr", &link).ok());
  EXPECT_EQ(link.state(), v1::LINK_STATE_PAUSED);
  v1::ResumeLinkRequest rreq;
  rreq.set_link_id("pr");
  {
    auto ctx = redlink_.Context();
    ASSERT_TRUE(redlink_.stub().ResumeLink(ctx.get(), rreq, &link).ok());
  }
  ASSERT_TRUE(redlink_.WaitLink(
      "pr", [](const Link& l) { return l.partial_syncs() == 1; }, &link))
      << link.DebugString();
  EXPECT_EQ(master_.InfoField("stats", "sync_full"), "1");
  EXPECT_TRUE(OffsetsMatch(master_, redlink_, "pr"));
}

TEST(FailoverTest, PromotedReplicaContinuesByPartialResync) {
  RedisServer old_master(MasterArgs());
  ASSERT_TRUE(old_master.ok());
  RedisServer replica(MasterArgs({"--replicaof", "127.0.0.1", std::to_string(old_master.port())}));
  ASSERT_TRUE(replica.ok());
  ASSERT_TRUE(
      WaitFor([&] { return replica.InfoField("replication", "master_link_status") == "up"; }));
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok());
  ASSERT_TRUE(redlink.CreateLink("fo", old_master.port()).ok());
  ASSERT_TRUE(redlink.WaitState("fo", v1::LINK_STATE_STREAMING));
  // Both replicas caught up with the old master.
  ASSERT_TRUE(OffsetsMatch(old_master, redlink, "fo"));
  std::string old_id = old_master.InfoField("replication", "master_replid");
  ASSERT_TRUE(WaitFor([&] {
    return replica.InfoField("replication", "master_repl_offset") ==
           old_master.InfoField("replication", "master_repl_offset");
  }));
  // Failover: stop the old master, promote the replica, re-point the link.
  old_master.Kill();
  ASSERT_EQ(replica.Cmd({"REPLICAOF", "NO", "ONE"}), "OK");
  v1::UpdateLinkRequest ureq;
  ureq.set_link_id("fo");
  ureq.mutable_master()->set_host("127.0.0.1");
  ureq.mutable_master()->set_port(replica.port());
  Link link;
  {
    auto ctx = redlink.Context();
    ASSERT_TRUE(redlink.stub().UpdateLink(ctx.get(), ureq, &link).ok());
  }
  EXPECT_EQ(link.master().port(), replica.port());
  ASSERT_TRUE(redlink.WaitLink(
      "fo",
      [](const Link& l) { return l.partial_syncs() == 1 && l.state() == v1::LINK_STATE_STREAMING; },
      &link))
      << link.DebugString();
  EXPECT_EQ(link.full_syncs(), 1u);
  EXPECT_EQ(link.master_replid(), replica.InfoField("replication", "master_replid"));
  EXPECT_EQ(link.master_replid2(), old_id);
  EXPECT_EQ(replica.InfoField("stats", "sync_partial_ok"), "1");
  EXPECT_TRUE(OffsetsMatch(replica, redlink, "fo"));
}

}  // namespace
}  // namespace redlink::testing
