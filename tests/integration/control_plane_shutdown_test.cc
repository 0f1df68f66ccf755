// Graceful shutdown: SIGTERM (or SIGINT) with links streaming, watchers open and calls in flight
// ends redlinkd with exit code 0 within 5 s; watchers get UNAVAILABLE, the master sees its
// replicas go, and the registry holds the last acknowledged state.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/service/cp_test_util.h"
#include "tests/testing/fake_master.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using redlink::v1::Link;

void ExpectCleanExit(RedlinkdProcess& redlink, int sig) {
  auto start = std::chrono::steady_clock::now();
  int status = redlink.process().Stop(sig, std::chrono::seconds(5));
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_NE(status, -1) << "still running 5 s after the signal\n" << redlink.log();
  ASSERT_TRUE(WIFEXITED(status)) << "status " << status << "\n" << redlink.log();
  EXPECT_EQ(WEXITSTATUS(status), 0) << redlink.log();
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_NE(redlink.log().find("stopped"), std::string::npos) << redlink.log();
}

TEST(ControlPlaneShutdown, SigtermWithLinksStreamingExitsZeroWithinFiveSeconds) {
  RedisServer master({"--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1"});
  ASSERT_TRUE(master.ok());
  for (int i = 0; i < 1000; ++i) master.Cmd({"SET", absl::StrCat("k", i), "v"});
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  constexpr int kLinks = 8;
  for (int i = 0; i < kLinks; ++i) {
    ASSERT_TRUE(redlink.CreateLink(absl::StrCat("s", i), master.port()).ok());
  }
  // A few links that cycle through BACKOFF, and one paused.
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(redlink.CreateLink(absl::StrCat("d", i), FreePort()).ok());
  for (int i = 0; i < kLinks; ++i) {
    ASSERT_TRUE(redlink.WaitState(absl::StrCat("s", i), v1::LINK_STATE_STREAMING,
                                  std::chrono::seconds(30)));
  }
  ASSERT_EQ(master.InfoField("replication", "connected_slaves"), std::to_string(kLinks));
  v1::PauseLinkRequest pause;
  pause.set_link_id("s0");
  Link link;
  auto pctx = redlink.Context();
  ASSERT_TRUE(redlink.stub().PauseLink(pctx.get(), pause, &link).ok());

  WatchCollector all(redlink.channel(), "");
  WatchCollector one(redlink.channel(), "s1");
  WatchCollector future(redlink.channel(), "not-yet");
  ASSERT_TRUE(WaitFor([&] { return all.events().size() >= kLinks + 20; }));

  // Calls keep coming while the signal arrives.
  std::atomic<bool> stop{false};
  std::thread caller([&] {
    for (int i = 0; !stop; ++i) {
      v1::ListLinksResponse resp;
      auto ctx = redlink.Context(std::chrono::seconds(2));
      (void)redlink.stub().ListLinks(ctx.get(), v1::ListLinksRequest(), &resp);
      Link l;
      (void)redlink.GetLink(absl::StrCat("s", i % kLinks), &l);
    }
  });
  absl::SleepFor(absl::Milliseconds(200));
  ExpectCleanExit(redlink, SIGTERM);
  stop = true;
  caller.join();

  for (WatchCollector* w : {&all, &one, &future}) {
    ASSERT_TRUE(WaitFor([&] { return w->finished(); }, std::chrono::seconds(2)));
    EXPECT_EQ(w->status().error_code(), grpc::StatusCode::UNAVAILABLE)
        << w->status().error_message();
  }
  // The links closed their connections.
  EXPECT_TRUE(WaitFor([&] { return master.InfoField("replication", "connected_slaves") == "0"; }));
  // The pause survived.
  ASSERT_TRUE(redlink.Restart()) << redlink.log();
  ASSERT_TRUE(redlink.GetLink("s0", &link).ok());
  EXPECT_EQ(link.state(), v1::LINK_STATE_PAUSED);
}

TEST(ControlPlaneShutdown, SigintToo) {
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(redlink.CreateLink(absl::StrCat("i", i), FreePort()).ok());
  ExpectCleanExit(redlink, SIGINT);
}

TEST(ControlPlaneShutdown, PauseWaitingForExecDoesNotHoldShutdown) {
  // A master that opens a transaction and never finishes it: the link sits inside MULTI, so a
  // pause waits for the EXEC. SIGTERM must still end the process in time.
  std::atomic<bool> done{false};
  FakeMaster master([&](FakeConnection& c) {
    if (!ServeFullSync(c, EmptyRdb(), std::string(40, 'a'), 0)) return;
    c.Send("*1\r\n$5\r\nMULTI\r\n");
    while (!done && !c.PeerClosed(std::chrono::milliseconds(100))) {
    }
  });
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  ASSERT_TRUE(redlink.CreateLink("held", master.port()).ok());
  ASSERT_TRUE(redlink.WaitState("held", v1::LINK_STATE_STREAMING, std::chrono::seconds(30)));
  std::atomic<bool> pause_returned{false};
  std::thread pauser([&] {
    v1::PauseLinkRequest req;
    req.set_link_id("held");
    Link link;
    auto ctx = redlink.Context(std::chrono::seconds(20));
    (void)redlink.stub().PauseLink(ctx.get(), req, &link);
    pause_returned = true;
  });
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_FALSE(pause_returned) << "the pause waits for the EXEC";
  ExpectCleanExit(redlink, SIGTERM);
  pauser.join();
  done = true;
}

}  // namespace
}  // namespace redlink::testing
