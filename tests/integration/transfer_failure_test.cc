// Full syncs that go wrong: a master killed in the middle of a transfer, and fake masters that
// send truncated, corrupted or oversized RDB payloads. Each ends in BACKOFF with a clear error,
// the previous dataset stays readable, and a later good sync replaces it.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "tests/testing/fake_master.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using redlink::v1::Link;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void Pause(RedlinkdProcess& r, const std::string& id, bool pause) {
  Link link;
  auto ctx = r.Context();
  if (pause) {
    v1::PauseLinkRequest req;
    req.set_link_id(id);
    ASSERT_TRUE(r.stub().PauseLink(ctx.get(), req, &link).ok());
  } else {
    v1::ResumeLinkRequest req;
    req.set_link_id(id);
    ASSERT_TRUE(r.stub().ResumeLink(ctx.get(), req, &link).ok());
  }
}

TEST(TransferFailureTest, MasterKilledMidTransferKeepsThePreviousDataset) {
  int port = FreePort();
  std::vector<std::string> args = {"--repl-diskless-sync-delay", "0", "--repl-backlog-size",
                                   "16384"};
  auto master = std::make_unique<RedisServer>(args, port);
  ASSERT_TRUE(master->ok());
  ASSERT_EQ(master->Cmd({"SET", "old:1", "first dataset"}), "OK");
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok());
  ASSERT_TRUE(redlink.CreateLink("cut", port).ok());
  ASSERT_TRUE(redlink.WaitState("cut", v1::LINK_STATE_STREAMING));
  RespClient reader = redlink.ReadClient("cut");
  ASSERT_EQ(reader.Command({"GET", "old:1"}), "first dataset");

  // Pause, cut the connection, and write more than the backlog holds so that the resume needs a
  // full sync; make the master's RDB slow (2 ms per key) so the transfer is long.
  Pause(redlink, "cut", true);
  ASSERT_EQ(master->Cmd({"CLIENT", "KILL", "TYPE", "replica"}), "1");
  RespClient w = master->Client();
  std::string batch;
  for (int i = 0; i < 3000; ++i) {
    batch += absl::StrCat("*3\r\n$3\r\nSET\r\n$", absl::StrCat("new:", i).size(), "\r\nnew:", i,
                          "\r\n$10\r\n0123456789\r\n");
  }
  ASSERT_TRUE(w.SendRaw(batch));
  for (int i = 0; i < 3000; ++i) ASSERT_EQ(w.ReadReplyRaw(), "+OK\r\n");
  ASSERT_EQ(master->Cmd({"CONFIG", "SET", "rdb-key-save-delay", "2000"}), "OK");
  Pause(redlink, "cut", false);
  Link link;
  ASSERT_TRUE(redlink.WaitLink(
      "cut", [](const Link& l) { return l.rdb().bytes_received() > 0; }, &link))
      << link.DebugString();
  EXPECT_EQ(link.state(), v1::LINK_STATE_TRANSFERRING);
  // During the transfer readers see the previous dataset.
  EXPECT_EQ(reader.Command({"GET", "old:1"}), "first dataset");
  EXPECT_EQ(reader.Command({"GET", "new:1"}), "(nil)");

  master->Kill();
  ASSERT_TRUE(redlink.WaitLink(
      "cut",
      [](const Link& l) {
        return l.state() == v1::LINK_STATE_BACKOFF && l.last_error().step() == "TRANSFER";
      },
      &link))
      << link.DebugString();
  EXPECT_NE(link.last_error().message().find("during the RDB transfer"), std::string::npos)
      << link.last_error().message();
  EXPECT_EQ(reader.Command({"GET", "old:1"}), "first dataset");
  EXPECT_EQ(reader.Command({"DBSIZE"}), "1");

  // The master comes back (empty, a new history): a new full sync replaces the dataset.
  master = std::make_unique<RedisServer>(args, port);
  ASSERT_TRUE(master->ok());
  ASSERT_EQ(master->Cmd({"SET", "after", "restart"}), "OK");
  ASSERT_TRUE(redlink.WaitLink(
      "cut",
      [](const Link& l) { return l.full_syncs() == 2 && l.state() == v1::LINK_STATE_STREAMING; },
      &link, std::chrono::seconds(40)))
      << link.DebugString();
  EXPECT_EQ(reader.Command({"GET", "after"}), "restart");
  EXPECT_EQ(reader.Command({"GET", "old:1"}), "(nil)");
}

// A fake master that first serves a good RDB and, on every later connection, `bad`.
class BadRdbTest : public ::testing::Test {
 protected:
  // `close_after`: the fake master hangs up right after sending `bad_wire`.
  void Run(const std::string& bad_wire, const std::string& expected_error,
           bool close_after = false) {
    std::string good = ReadFile(RdbVectorDir() + "/redis-7.0.15-rdb10-default.rdb");
    ASSERT_FALSE(good.empty());
    std::atomic<int> conn{0};
    FakeMaster fake([&](FakeConnection& c) {
      int n = conn.fetch_add(1);
      for (;;) {
        auto cmd = c.ReadCommand();
        if (cmd.empty()) return;
        std::string name = cmd[0];
        for (auto& ch : name) ch = static_cast<char>(tolower(ch));
        if (name == "ping") {
          c.Send("+PONG\r\n");
        } else if (name == "replconf") {
          if (cmd.size() > 1 && (cmd[1] == "ACK" || cmd[1] == "ack")) continue;
          c.Send("+OK\r\n");
        } else if (name == "psync") {
          c.Send("+FULLRESYNC " + std::string(40, 'a') + " 100\r\n");
          if (n == 0) {
            c.Send("$" + std::to_string(good.size()) + "\r\n" + good);
            // Serve the stream until the test closes the connection by killing nothing:
            // disconnect after a moment so the link reconnects for the bad one.
            c.ReadCommand(std::chrono::milliseconds(300));
            return;
          }
          c.Send(bad_wire);
          if (!close_after) c.PeerClosed(std::chrono::seconds(10));
          return;
        }
      }
    });
    RedlinkdProcess redlink;
    ASSERT_TRUE(redlink.ok());
    ASSERT_TRUE(redlink.CreateLink("bad", fake.port()).ok());
    Link link;
    ASSERT_TRUE(redlink.WaitLink(
        "bad", [](const Link& l) { return l.full_syncs() == 1; }, &link))
        << link.DebugString() << redlink.log();
    RespClient reader = redlink.ReadClient("bad");
    std::string before = reader.Command({"DBSIZE"});
    ASSERT_NE(before, "0");
    ASSERT_TRUE(redlink.WaitLink(
        "bad",
        [](const Link& l) {
          return l.state() == v1::LINK_STATE_BACKOFF && l.last_error().step() == "TRANSFER";
        },
        &link, std::chrono::seconds(20)))
        << link.DebugString();
    EXPECT_NE(link.last_error().message().find(expected_error), std::string::npos)
        << link.last_error().message();
    EXPECT_EQ(reader.Command({"DBSIZE"}), before);
    EXPECT_TRUE(redlink.process().running());
  }
};

TEST_F(BadRdbTest, Truncated) {
  std::string rdb = ReadFile(RdbVectorDir() + "/redis-7.0.15-rdb10-default.rdb");
  Run("$" + std::to_string(rdb.size()) + "\r\n" + rdb.substr(0, rdb.size() / 2),
      "closed by master during the RDB transfer", /*close_after=*/true);
}

TEST_F(BadRdbTest, BitFlipped) {
  std::string rdb = ReadFile(RdbVectorDir() + "/redis-7.0.15-rdb10-default.rdb");
  rdb[rdb.size() / 3] ^= 0x10;
  Run("$" + std::to_string(rdb.size()) + "\r\n" + rdb, "RDB");
}

TEST_F(BadRdbTest, LongerThanItsRdb) {
  std::string rdb = ReadFile(RdbVectorDir() + "/redis-7.0.15-rdb10-default.rdb");
  Run("$" + std::to_string(rdb.size() + 1000) + "\r\n" + rdb + std::string(1000, 'x'),
      "announced bytes");
}

TEST_F(BadRdbTest, HugeAnnouncedString) {
  // A valid header, then a string key whose length says 4 GB.
  std::string rdb = "REDIS0010";
  rdb += '\xfe';
  rdb += '\x00';
  rdb += '\x00';                                              // type string
  rdb += "\x81";                                              // 64-bit length follows
  rdb += std::string("\x00\x00\x00\x01\x00\x00\x00\x00", 8);  // 4 GiB
  rdb += "abc";
  Run("$" + std::to_string(rdb.size()) + "\r\n" + rdb, "RDB");
}

TEST_F(BadRdbTest, WrongEofMark) {
  std::string rdb = ReadFile(RdbVectorDir() + "/redis-7.0.15-rdb10-default.rdb");
  std::string mark(40, 'b');
  Run("$EOF:" + mark + "\r\n" + rdb + std::string(40, 'c'), "EOF mark");
}

}  // namespace
}  // namespace redlink::testing
