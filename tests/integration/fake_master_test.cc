// Masters that misbehave in ways a real one will not on demand. Each case must end in BACKOFF
// with a clear error, without a crash or memory growth, and without disturbing the other links
// on the same loop.

#include "tests/testing/fake_master.h"

#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/str_cat.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using redlink::v1::Link;

const std::string kReplid = "0123456789abcdef0123456789abcdef01234567";

int64_t RssKb(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
  }
  return -1;
}

class FakeMasterTest : public ::testing::Test {
 protected:
  static RedlinkdProcess::Options OneLoop() {
    RedlinkdProcess::Options o;
    o.threads = 1;  // every link on the same loop
    return o;
  }
  void SetUp() override {
    ASSERT_TRUE(redlink_.ok()) << redlink_.log();
    ASSERT_TRUE(healthy_master_.ok());
    // A healthy link on the same loop as the misbehaving ones.
    ASSERT_TRUE(redlink_.CreateLink("healthy", healthy_master_.port()).ok());
  }
  void TearDown() override {
    // The healthy link never noticed: it streams on its first connection.
    Link link;
    EXPECT_TRUE(
        redlink_.WaitState("healthy", v1::LINK_STATE_STREAMING, std::chrono::seconds(20), &link))
        << link.DebugString();
    EXPECT_EQ(link.connect_attempts(), 1u) << link.DebugString();
    EXPECT_FALSE(link.has_last_error()) << link.DebugString();
    EXPECT_TRUE(redlink_.process().running());
  }

  Link CreateAndWaitError(const std::string& id, int port, const std::string& step,
                          int handshake_timeout = 0) {
    v1::LinkOptions options;
    if (handshake_timeout) options.set_handshake_timeout_seconds(handshake_timeout);
    EXPECT_TRUE(redlink_.CreateLink(id, port, "", "", nullptr, &options).ok());
    Link link;
    EXPECT_TRUE(redlink_.WaitLink(
        id,
        [&](const Link& l) {
          return l.state() == v1::LINK_STATE_BACKOFF && l.last_error().step() == step;
        },
        &link, std::chrono::seconds(30)))
        << link.DebugString();
    return link;
  }

  RedlinkdProcess redlink_{OneLoop()};
  RedisServer healthy_master_{{"--repl-diskless-sync-delay", "0"}};
};

TEST_F(FakeMasterTest, ErrorReplyToPing) {
  FakeMaster fake([](FakeConnection& c) {
    if (!c.ReadCommand().empty()) c.Send("-LOADING Redis is loading the dataset in memory\r\n");
    c.PeerClosed(std::chrono::seconds(5));
  });
  Link link = CreateAndWaitError("ping-error", fake.port(), "PING");
  EXPECT_EQ(link.last_error().message(), "LOADING Redis is loading the dataset in memory");
}

TEST_F(FakeMasterTest, NoReplyToPing) {
  FakeMaster fake([](FakeConnection& c) { c.PeerClosed(std::chrono::seconds(10)); });
  Link link = CreateAndWaitError("ping-silent", fake.port(), "PING", /*handshake_timeout=*/1);
  EXPECT_EQ(link.last_error().message(), "no reply to PING within 1 s");
}

TEST_F(FakeMasterTest, RepliesSplitIntoSingleBytes) {
  FakeMaster fake([](FakeConnection& c) {
    for (;;) {
      auto cmd = c.ReadCommand();
      if (cmd.empty()) return;
      std::string name = cmd[0];
      for (auto& ch : name) ch = static_cast<char>(tolower(ch));
      auto gap = std::chrono::milliseconds(2);
      if (name == "ping") {
        c.SendSlowly("+PONG\r\n", gap);
      } else if (name == "replconf") {
        c.SendSlowly("+OK\r\n", gap);
      } else if (name == "psync") {
        std::string rdb = EmptyRdb();
        c.SendSlowly(
            "\n\n+FULLRESYNC " + kReplid + " 42\r\n\n$" + std::to_string(rdb.size()) + "\r\n" + rdb,
            gap);
        c.PeerClosed(std::chrono::seconds(10));
        return;
      }
    }
  });
  ASSERT_TRUE(redlink_.CreateLink("bytes", fake.port()).ok());
  Link link;
  EXPECT_TRUE(
      redlink_.WaitState("bytes", v1::LINK_STATE_STREAMING, std::chrono::seconds(30), &link))
      << link.DebugString();
  EXPECT_EQ(link.master_replid(), kReplid);
  EXPECT_EQ(link.master_repl_offset(), 42);
}

TEST_F(FakeMasterTest, ReplyThatNeverEnds) {
  std::atomic<bool> stop{false};
  FakeMaster fake([&](FakeConnection& c) {
    if (c.ReadCommand().empty()) return;
    c.Send("+PONG");
    std::string junk(64 * 1024, 'x');
    while (!stop && c.Send(junk)) {
    }
  });
  int64_t before = RssKb(redlink_.process().pid());
  Link link = CreateAndWaitError("endless", fake.port(), "PING");
  EXPECT_NE(link.last_error().message().find("longer than"), std::string::npos)
      << link.last_error().message();
  int64_t after = RssKb(redlink_.process().pid());
  stop = true;
  EXPECT_LT(after - before, 64 * 1024) << "RSS grew from " << before << " kB to " << after;
}

TEST_F(FakeMasterTest, HugeDeclaredBulkLength) {
  FakeMaster fake([](FakeConnection& c) {
    if (c.ReadCommand().empty()) return;
    c.Send("$4294967296\r\n");
    c.Send(std::string(1024, 'y'));
    c.PeerClosed(std::chrono::seconds(10));
  });
  int64_t before = RssKb(redlink_.process().pid());
  Link link = CreateAndWaitError("huge", fake.port(), "PING");
  EXPECT_NE(link.last_error().message().find("4294967296"), std::string::npos)
      << link.last_error().message();
  EXPECT_LT(RssKb(redlink_.process().pid()) - before, 64 * 1024);
}

TEST_F(FakeMasterTest, GarbageInsteadOfPsyncReply) {
  FakeMaster fake([](FakeConnection& c) {
    for (;;) {
      auto cmd = c.ReadCommand();
      if (cmd.empty()) return;
      std::string name = cmd[0];
      for (auto& ch : name) ch = static_cast<char>(tolower(ch));
      if (name == "psync") {
        c.Send("\x01\x02garbage\r\n");
        c.PeerClosed(std::chrono::seconds(5));
        return;
      }
      c.Send(name == "ping" ? "+PONG\r\n" : "+OK\r\n");
    }
  });
  Link link = CreateAndWaitError("garbage", fake.port(), "PSYNC");
  EXPECT_NE(link.last_error().message().find("Protocol error"), std::string::npos)
      << link.last_error().message();
}

TEST_F(FakeMasterTest, PsyncErrorIsRetried) {
  FakeMaster fake([](FakeConnection& c) {
    for (;;) {
      auto cmd = c.ReadCommand();
      if (cmd.empty()) return;
      std::string name = cmd[0];
      for (auto& ch : name) ch = static_cast<char>(tolower(ch));
      if (name == "psync") {
        c.Send("-NOMASTERLINK Can't SYNC while not connected with my master\r\n");
        c.PeerClosed(std::chrono::seconds(5));
        return;
      }
      c.Send(name == "ping" ? "+PONG\r\n" : "+OK\r\n");
    }
  });
  Link link = CreateAndWaitError("nomaster", fake.port(), "PSYNC");
  EXPECT_EQ(link.last_error().message(),
            "NOMASTERLINK Can't SYNC while not connected with my master");
  EXPECT_TRUE(WaitFor([&] { return fake.connections() >= 2; }, std::chrono::seconds(10)));
}

}  // namespace
}  // namespace redlink::testing
