// WatchLinks with 50 watchers at once, subscribed before the link exists, while the link goes
// create -> handshake -> sync -> streaming -> master killed -> backoff (and reconnect attempts)
// -> streaming again -> deleted. Every watcher must receive every public state transition that
// redlinkd logged for the link, in order, never the same state twice in a row, and a final
// deleted event; all 50 see the same sequence.

#include <gtest/gtest.h>

#include "tests/service/cp_test_util.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using redlink::v1::Link;

// `seq` contains `want` as a subsequence.
bool HasSubsequence(const std::vector<std::string>& seq, const std::vector<std::string>& want) {
  size_t i = 0;
  for (const auto& s : seq) {
    if (i < want.size() && s == want[i]) ++i;
  }
  return i == want.size();
}

TEST(ControlPlaneWatch, FiftyWatchersSeeEveryTransitionInOrder) {
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  RedisServer master({"--repl-diskless-sync-delay", "0"});
  ASSERT_TRUE(master.ok());
  ASSERT_EQ(master.Cmd({"SET", "k", "v"}), "OK");

  constexpr int kWatchers = 50;
  std::vector<std::unique_ptr<WatchCollector>> watchers;
  for (int i = 0; i < kWatchers; ++i) {
    // Half watch the one link by id (it does not exist yet), half watch everything.
    watchers.push_back(std::make_unique<WatchCollector>(redlink.channel(), i % 2 ? "wl" : "", ""));
  }
  // An unrelated link: the filtered watchers must never see it.
  ASSERT_TRUE(redlink.CreateLink("noise", FreePort()).ok());
  absl::SleepFor(absl::Milliseconds(300));

  ASSERT_TRUE(redlink.CreateLink("wl", master.port()).ok());
  Link link;
  ASSERT_TRUE(redlink.WaitState("wl", v1::LINK_STATE_STREAMING, std::chrono::seconds(30), &link))
      << link.DebugString();
  master.Kill();
  ASSERT_TRUE(redlink.WaitState("wl", v1::LINK_STATE_BACKOFF, std::chrono::seconds(30), &link))
      << link.DebugString();
  // Let it retry (CONNECTING <-> BACKOFF) a couple of times against the dead master.
  ASSERT_TRUE(redlink.WaitLink(
      "wl", [](const Link& l) { return l.connect_attempts() >= 3; }, &link,
      std::chrono::seconds(30)))
      << link.DebugString();
  ASSERT_TRUE(master.Restart());
  ASSERT_TRUE(redlink.WaitLink(
      "wl",
      [](const Link& l) { return l.state() == v1::LINK_STATE_STREAMING && l.full_syncs() == 2; },
      &link, std::chrono::seconds(60)))
      << link.DebugString();

  v1::DeleteLinkRequest del;
  del.set_link_id("wl");
  google::protobuf::Empty empty;
  auto ctx = redlink.Context();
  ASSERT_TRUE(redlink.stub().DeleteLink(ctx.get(), del, &empty).ok());

  // What redlinkd logged for the link (every public state change), then what each watcher got.
  std::vector<std::string> logged;
  ASSERT_TRUE(WaitFor([&] {
    logged = LoggedStates(redlink.log(), "wl");
    return !logged.empty() && logged.back() == "STREAMING";
  })) << ::testing::PrintToString(logged);
  ASSERT_TRUE(
      HasSubsequence(logged, {"CONNECTING", "PINGING", "ANNOUNCING", "SYNCING", "TRANSFERRING",
                              "STREAMING", "BACKOFF", "CONNECTING", "BACKOFF", "CONNECTING",
                              "PINGING", "ANNOUNCING", "SYNCING", "TRANSFERRING", "STREAMING"}))
      << ::testing::PrintToString(logged);
  std::vector<std::string> expected = logged;
  expected.push_back("DELETED");

  std::vector<std::string> first;
  for (int i = 0; i < kWatchers; ++i) {
    auto& w = *watchers[i];
    ASSERT_TRUE(WaitFor([&] {
      auto s = w.states();
      return std::find(s.begin(), s.end(), "DELETED") != s.end();
    })) << "watcher "
        << i << ": " << ::testing::PrintToString(w.states());
    std::vector<std::string> states;
    std::vector<v1::LinkEvent> events = w.events();
    for (const auto& e : events) {
      if (e.link().link_id() != "wl") {
        EXPECT_EQ(i % 2, 0) << "watcher " << i << " of 'wl' got an event of " << e.link().link_id();
        continue;
      }
      states.push_back(e.deleted() ? "DELETED" : ShortState(e.link().state()));
    }
    EXPECT_EQ(states, expected) << "watcher " << i;
    for (size_t k = 1; k + 1 < states.size(); ++k) {
      EXPECT_NE(states[k], states[k - 1]) << "watcher " << i << ": repeated state at " << k;
    }
    if (i == 0) first = states;
    EXPECT_EQ(states, first) << "watcher " << i << " differs from watcher 0";
    EXPECT_FALSE(w.finished()) << "watcher " << i << ": " << w.status().error_message();
  }
  // The link kept going while 50 watchers listened: nothing slowed it into a timeout.
  EXPECT_EQ(LoggedStates(redlink.log(), "noise").front(), "CONNECTING");
}

TEST(ControlPlaneWatch, CurrentStateFirstThenChanges) {
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  RedisServer master({"--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1"});
  ASSERT_TRUE(master.ok());
  ASSERT_TRUE(redlink.CreateLink("cur", master.port()).ok());
  ASSERT_TRUE(redlink.WaitState("cur", v1::LINK_STATE_STREAMING, std::chrono::seconds(30)));
  ASSERT_TRUE(redlink.CreateLink("other", FreePort()).ok());
  WatchCollector one(redlink.channel(), "cur");
  WatchCollector all(redlink.channel(), "");
  ASSERT_TRUE(WaitFor([&] { return one.events().size() == 1 && all.events().size() >= 2; }));
  EXPECT_EQ(one.states(), std::vector<std::string>({"STREAMING"}));
  // Pause and resume: exactly two more events.
  v1::PauseLinkRequest p;
  p.set_link_id("cur");
  Link link;
  auto c1 = redlink.Context();
  ASSERT_TRUE(redlink.stub().PauseLink(c1.get(), p, &link).ok());
  v1::ResumeLinkRequest r;
  r.set_link_id("cur");
  auto c2 = redlink.Context();
  ASSERT_TRUE(redlink.stub().ResumeLink(c2.get(), r, &link).ok());
  ASSERT_TRUE(WaitFor([&] { return one.events().size() == 3; }));
  absl::SleepFor(absl::Milliseconds(500));
  EXPECT_EQ(one.states(), std::vector<std::string>({"STREAMING", "PAUSED", "STREAMING"}));
  // Counters that move without a state change send nothing: the master's PINGs advance the
  // offset every second.
  ASSERT_TRUE(redlink.GetLink("cur", &link).ok());
  int64_t offset = link.master_repl_offset();
  absl::SleepFor(absl::Milliseconds(2500));
  ASSERT_TRUE(redlink.GetLink("cur", &link).ok());
  EXPECT_GT(link.master_repl_offset(), offset);
  EXPECT_EQ(one.events().size(), 3u);
}

}  // namespace
}  // namespace redlink::testing
