// PauseLink / ResumeLink end to end against real redis-server 7.0 masters (PRODUCT.md, PAUSED):
// while paused, writes on the master do not reach the read endpoint, which keeps serving the
// frozen copy; after resume they do, and the master never ran another full sync (partial resync,
// or the same connection). A pause never splits a MULTI/EXEC. Pausing in the handshake or in
// backoff stops the attempts. Pause and resume are idempotent.
//
// The tests that write on the master need the write-command applier (engine/replication); until
// it lands they fail at the first "write visible on the read endpoint" check, by design.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/testing/fake_master.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using redlink::v1::Link;

class PauseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(master_.ok());
    ASSERT_TRUE(redlink_.ok()) << redlink_.log();
  }
  void StartLink(const std::string& id) {
    ASSERT_TRUE(redlink_.CreateLink(id, master_.port()).ok());
    Link link;
    ASSERT_TRUE(redlink_.WaitState(id, v1::LINK_STATE_STREAMING, std::chrono::seconds(30), &link))
        << link.DebugString();
  }
  grpc::Status Pause(const std::string& id, Link* out) {
    v1::PauseLinkRequest req;
    req.set_link_id(id);
    auto ctx = redlink_.Context();
    return redlink_.stub().PauseLink(ctx.get(), req, out);
  }
  grpc::Status Resume(const std::string& id, Link* out) {
    v1::ResumeLinkRequest req;
    req.set_link_id(id);
    auto ctx = redlink_.Context();
    return redlink_.stub().ResumeLink(ctx.get(), req, out);
  }
  // GET through the read endpoint, "(nil)" for a missing key.
  std::string Read(RespClient& c, const std::string& key) { return c.Command({"GET", key}); }

  RedisServer master_{{"--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1"}};
  RedlinkdProcess redlink_;
};

TEST_F(PauseTest, WritesWhilePausedAppearAfterResumeWithoutAFullSync) {
  StartLink("p");
  RespClient reader = redlink_.ReadClient("p");
  ASSERT_EQ(master_.Cmd({"SET", "before", "1"}), "OK");
  ASSERT_TRUE(WaitFor([&] { return Read(reader, "before") == "1"; }))
      << "the stream is not applied (write-command applier?): " << Read(reader, "before");
  std::string full_syncs = master_.InfoField("stats", "sync_full");

  Link paused;
  ASSERT_TRUE(Pause("p", &paused).ok());
  EXPECT_EQ(paused.state(), v1::LINK_STATE_PAUSED);
  int64_t frozen = paused.master_repl_offset();
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(master_.Cmd({"SET", absl::StrCat("during:", i), "x"}), "OK");
  }
  ASSERT_EQ(master_.Cmd({"SET", "before", "2"}), "OK");
  absl::SleepFor(absl::Milliseconds(1500));
  // Nothing of it on the read endpoint, which still serves the frozen copy.
  EXPECT_EQ(Read(reader, "during:0"), "(nil)");
  EXPECT_EQ(Read(reader, "during:99"), "(nil)");
  EXPECT_EQ(Read(reader, "before"), "1");
  Link link;
  ASSERT_TRUE(redlink_.GetLink("p", &link).ok());
  EXPECT_EQ(link.state(), v1::LINK_STATE_PAUSED);
  EXPECT_EQ(link.master_repl_offset(), frozen) << "a paused link does not advance";
  // The master keeps the link (the frozen offset is ACKed) and holds the bytes for it.
  EXPECT_EQ(master_.InfoField("replication", "connected_slaves"), "1");

  Link resumed;
  ASSERT_TRUE(Resume("p", &resumed).ok());
  EXPECT_NE(resumed.state(), v1::LINK_STATE_PAUSED);
  EXPECT_TRUE(WaitFor([&] { return Read(reader, "during:99") == "x"; }));
  EXPECT_EQ(Read(reader, "during:0"), "x");
  EXPECT_EQ(Read(reader, "before"), "2");
  EXPECT_EQ(master_.InfoField("stats", "sync_full"), full_syncs) << "no full resync";
  ASSERT_TRUE(redlink_.GetLink("p", &link).ok());
  EXPECT_EQ(link.full_syncs(), 1u);
  EXPECT_EQ(link.state(), v1::LINK_STATE_STREAMING);
}

TEST_F(PauseTest, MasterDropsThePausedLinkThenResumeIsAPartialResync) {
  StartLink("drop");
  RespClient reader = redlink_.ReadClient("drop");
  ASSERT_EQ(master_.Cmd({"SET", "k1", "v1"}), "OK");
  ASSERT_TRUE(WaitFor([&] { return Read(reader, "k1") == "v1"; }))
      << "the stream is not applied (write-command applier?)";
  std::string full = master_.InfoField("stats", "sync_full");
  int64_t partial_ok = std::stoll(master_.InfoField("stats", "sync_partial_ok"));

  Link link;
  ASSERT_TRUE(Pause("drop", &link).ok());
  // The master drops its replica (as its output-buffer limit or a restart would).
  master_.Cmd({"CLIENT", "KILL", "TYPE", "replica"});
  ASSERT_EQ(master_.Cmd({"SET", "k2", "v2"}), "OK");
  absl::SleepFor(absl::Milliseconds(1500));
  ASSERT_TRUE(redlink_.GetLink("drop", &link).ok());
  EXPECT_EQ(link.state(), v1::LINK_STATE_PAUSED) << "a dropped paused link stays paused";
  EXPECT_EQ(Read(reader, "k2"), "(nil)");

  ASSERT_TRUE(Resume("drop", &link).ok());
  EXPECT_TRUE(WaitFor([&] { return Read(reader, "k2") == "v2"; }));
  ASSERT_TRUE(
      redlink_.WaitState("drop", v1::LINK_STATE_STREAMING, std::chrono::seconds(20), &link));
  EXPECT_EQ(master_.InfoField("stats", "sync_full"), full) << "resume asked PSYNC and continued";
  EXPECT_EQ(std::stoll(master_.InfoField("stats", "sync_partial_ok")), partial_ok + 1);
  EXPECT_EQ(link.partial_syncs(), 1u);
}

TEST_F(PauseTest, NeverInsideMultiExec) {
  StartLink("tx");
  RespClient reader = redlink_.ReadClient("tx");
  // Transactions that set a and b to the same value: a reader may never see them differ.
  std::atomic<bool> stop{false};
  std::atomic<int> applied{0};
  std::thread writer([&] {
    RespClient w = master_.Client();
    for (int i = 0; !stop; ++i) {
      std::string v = std::to_string(i);
      w.CommandRaw({"MULTI"});
      w.CommandRaw({"SET", "a", v});
      w.CommandRaw({"INCR", "counter"});
      w.CommandRaw({"SET", "b", v});
      w.CommandRaw({"EXEC"});
      ++applied;
    }
  });
  ASSERT_TRUE(WaitFor([&] { return Read(reader, "b") != "(nil)"; }))
      << "the stream is not applied (write-command applier?)";
  for (int round = 0; round < 20; ++round) {
    Link link;
    ASSERT_TRUE(Pause("tx", &link).ok());
    ASSERT_EQ(link.state(), v1::LINK_STATE_PAUSED);
    std::string a = Read(reader, "a"), b = Read(reader, "b");
    EXPECT_EQ(a, b) << "round " << round << ": a pause split a MULTI/EXEC";
    EXPECT_EQ(Read(reader, "counter"), a == "(nil)" ? "(nil)" : std::to_string(std::stoll(a) + 1));
    ASSERT_TRUE(Resume("tx", &link).ok());
    absl::SleepFor(absl::Milliseconds(50));
  }
  stop = true;
  writer.join();
  // Everything arrives in the end.
  std::string last = master_.Cmd({"GET", "a"});
  EXPECT_TRUE(WaitFor([&] { return Read(reader, "a") == last && Read(reader, "b") == last; }));
}

TEST_F(PauseTest, IdempotentAndResumeOfAStreamingLinkIsANoOp) {
  StartLink("idem");
  Link a, b;
  ASSERT_TRUE(Pause("idem", &a).ok());
  ASSERT_TRUE(Pause("idem", &b).ok());
  EXPECT_EQ(a.state(), v1::LINK_STATE_PAUSED);
  EXPECT_EQ(b.state(), v1::LINK_STATE_PAUSED);
  EXPECT_EQ(a.state_since().seconds(), b.state_since().seconds()) << "the second pause did nothing";
  ASSERT_TRUE(Resume("idem", &a).ok());
  ASSERT_TRUE(redlink_.WaitState("idem", v1::LINK_STATE_STREAMING));
  ASSERT_TRUE(Resume("idem", &b).ok());
  EXPECT_EQ(b.state(), v1::LINK_STATE_STREAMING);
  Link link;
  ASSERT_TRUE(redlink_.GetLink("idem", &link).ok());
  EXPECT_EQ(link.connect_attempts(), 1u) << "resume of a streaming link does not reconnect";
  EXPECT_EQ(master_.InfoField("stats", "sync_full"), "1");
}

TEST_F(PauseTest, PauseInBackoffStopsTheAttemptsAndResumeRestartsThem) {
  int port = FreePort();
  ASSERT_TRUE(redlink_.CreateLink("bo", port).ok());
  ASSERT_TRUE(redlink_.WaitState("bo", v1::LINK_STATE_BACKOFF));
  Link link;
  ASSERT_TRUE(Pause("bo", &link).ok());
  EXPECT_EQ(link.state(), v1::LINK_STATE_PAUSED);
  uint64_t attempts = link.connect_attempts();
  absl::SleepFor(absl::Seconds(3));
  ASSERT_TRUE(redlink_.GetLink("bo", &link).ok());
  EXPECT_EQ(link.state(), v1::LINK_STATE_PAUSED);
  EXPECT_EQ(link.connect_attempts(), attempts) << "no attempts while paused";
  // A master appears; the link stays paused until resumed, then syncs.
  RedisServer late({"--repl-diskless-sync-delay", "0"}, port);
  ASSERT_TRUE(late.ok());
  absl::SleepFor(absl::Seconds(1));
  ASSERT_TRUE(redlink_.GetLink("bo", &link).ok());
  EXPECT_EQ(link.state(), v1::LINK_STATE_PAUSED);
  ASSERT_TRUE(Resume("bo", &link).ok());
  EXPECT_TRUE(redlink_.WaitState("bo", v1::LINK_STATE_STREAMING, std::chrono::seconds(30), &link))
      << link.DebugString();
}

TEST_F(PauseTest, PauseBeforeTheFirstSyncKeepsTheLinkIdle) {
  // A master that delays its full sync: pause while the link waits for the RDB.
  RedisServer slow({"--repl-diskless-sync-delay", "3"});
  ASSERT_TRUE(slow.ok());
  ASSERT_TRUE(redlink_.CreateLink("early", slow.port()).ok());
  ASSERT_TRUE(redlink_.WaitState("early", v1::LINK_STATE_SYNCING));
  Link link;
  ASSERT_TRUE(Pause("early", &link).ok());
  EXPECT_EQ(link.state(), v1::LINK_STATE_PAUSED);
  absl::SleepFor(absl::Seconds(4));
  ASSERT_TRUE(redlink_.GetLink("early", &link).ok());
  EXPECT_EQ(link.state(), v1::LINK_STATE_PAUSED);
  EXPECT_EQ(link.full_syncs(), 0u);
  ASSERT_TRUE(Resume("early", &link).ok());
  EXPECT_TRUE(redlink_.WaitState("early", v1::LINK_STATE_STREAMING, std::chrono::seconds(30)));
}

TEST(PauseBoundary, APauseInsideMultiWaitsForExec) {
  // A scripted master opens a transaction and finishes it only when told: the pause must not
  // take effect (nor its RPC return) between MULTI and EXEC.
  std::atomic<bool> send_exec{false};
  std::atomic<bool> done{false};
  FakeMaster master([&](FakeConnection& c) {
    if (!ServeFullSync(c, EmptyRdb(), std::string(40, 'b'), 0)) return;
    c.Send("*1\r\n$5\r\nMULTI\r\n");
    while (!send_exec && !done) absl::SleepFor(absl::Milliseconds(10));
    c.Send("*1\r\n$4\r\nEXEC\r\n");
    while (!done && !c.PeerClosed(std::chrono::milliseconds(100))) {
    }
  });
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  ASSERT_TRUE(redlink.CreateLink("multi", master.port()).ok());
  ASSERT_TRUE(redlink.WaitState("multi", v1::LINK_STATE_STREAMING, std::chrono::seconds(30)));
  std::atomic<bool> returned{false};
  Link paused;
  std::thread pauser([&] {
    v1::PauseLinkRequest req;
    req.set_link_id("multi");
    auto ctx = redlink.Context(std::chrono::seconds(20));
    EXPECT_TRUE(redlink.stub().PauseLink(ctx.get(), req, &paused).ok());
    returned = true;
  });
  absl::SleepFor(absl::Milliseconds(1000));
  EXPECT_FALSE(returned) << "paused inside MULTI/EXEC";
  Link link;
  ASSERT_TRUE(redlink.GetLink("multi", &link).ok());
  EXPECT_EQ(link.state(), v1::LINK_STATE_STREAMING);
  EXPECT_EQ(link.master_repl_offset(), 0) << "inside MULTI the offset does not move";
  send_exec = true;
  pauser.join();
  EXPECT_TRUE(returned);
  EXPECT_EQ(paused.state(), v1::LINK_STATE_PAUSED);
  // Paused right after the EXEC: MULTI (15 bytes) and EXEC (14 bytes) are counted.
  EXPECT_EQ(paused.master_repl_offset(), 29);
  done = true;
}

}  // namespace
}  // namespace redlink::testing
