// Steps 1-6 against real redis-server 7.0 masters: every authentication case, a master that is
// down and comes up later, and the master's own view of the link.

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using redlink::v1::Link;
using redlink::v1::LinkState;

// The handshake is over once the master answered PSYNC: the link is loading or streaming.
bool HandshakeDone(const Link& l) {
  return l.state() == v1::LINK_STATE_TRANSFERRING || l.state() == v1::LINK_STATE_STREAMING ||
         l.full_syncs() > 0;
}

class HandshakeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redlink_.ok()) << redlink_.log(); }
  RedlinkdProcess redlink_;
};

TEST_F(HandshakeTest, NoPasswordEitherSide) {
  RedisServer master;
  ASSERT_TRUE(master.ok());
  ASSERT_TRUE(redlink_.CreateLink("plain", master.port()).ok());
  Link link;
  EXPECT_TRUE(redlink_.WaitLink("plain", HandshakeDone, &link)) << link.DebugString();
  // Steps 3-6 left no error.
  EXPECT_FALSE(link.has_last_error()) << link.DebugString();
}

TEST_F(HandshakeTest, RightPassword) {
  RedisServer master({"--requirepass", "s3cret-pw"});
  ASSERT_TRUE(master.ok());
  ASSERT_TRUE(redlink_.CreateLink("pw", master.port(), "s3cret-pw").ok());
  Link link;
  EXPECT_TRUE(redlink_.WaitLink("pw", HandshakeDone, &link)) << link.DebugString();
  EXPECT_TRUE(link.auth().password_set());
}

TEST_F(HandshakeTest, AclUserWithOnlyReplicationCommands) {
  RedisServer master;
  ASSERT_TRUE(master.ok());
  ASSERT_EQ(master.Cmd({"ACL", "SETUSER", "repl", "on", ">repl-pw", "-@all", "+psync", "+replconf",
                        "+ping"}),
            "OK");
  ASSERT_EQ(master.Cmd({"ACL", "SETUSER", "default", "off"}), "OK");
  ASSERT_TRUE(redlink_.CreateLink("acl", master.port(), "repl-pw", "repl").ok());
  Link link;
  EXPECT_TRUE(redlink_.WaitLink("acl", HandshakeDone, &link)) << link.DebugString();
  EXPECT_EQ(link.auth().username(), "repl");
}

// Waits for BACKOFF with last_error at `step` and returns the message.
std::string WaitBackoffError(RedlinkdProcess& r, const std::string& id, const std::string& step) {
  Link link;
  bool ok = r.WaitLink(
      id,
      [&](const Link& l) {
        return l.state() == v1::LINK_STATE_BACKOFF && l.last_error().step() == step;
      },
      &link);
  EXPECT_TRUE(ok) << link.DebugString();
  return link.last_error().message();
}

TEST_F(HandshakeTest, WrongPassword) {
  RedisServer master({"--requirepass", "right"});
  ASSERT_TRUE(master.ok());
  ASSERT_TRUE(redlink_.CreateLink("wrong", master.port(), "wrong-password").ok());
  EXPECT_EQ(WaitBackoffError(redlink_, "wrong", "AUTH"),
            "WRONGPASS invalid username-password pair or user is disabled.");
}

TEST_F(HandshakeTest, PasswordConfiguredButMasterHasNone) {
  RedisServer master;
  ASSERT_TRUE(master.ok());
  ASSERT_TRUE(redlink_.CreateLink("extra", master.port(), "unneeded").ok());
  EXPECT_EQ(WaitBackoffError(redlink_, "extra", "AUTH"),
            "ERR AUTH <password> called without any password configured for the default user. "
            "Are you sure your configuration is correct?");
}

TEST_F(HandshakeTest, MasterNeedsPasswordButNoneConfigured) {
  RedisServer master({"--requirepass", "needed"});
  ASSERT_TRUE(master.ok());
  ASSERT_TRUE(redlink_.CreateLink("missing", master.port()).ok());
  EXPECT_EQ(WaitBackoffError(redlink_, "missing", "AUTH"), "NOAUTH Authentication required.");
}

TEST_F(HandshakeTest, SetLinkAuthRetriesAtOnce) {
  // No diskless delay: the PSYNC reply comes at once, so the time measured is the link's.
  RedisServer master({"--requirepass", "fixed-later", "--repl-diskless-sync-delay", "0"});
  ASSERT_TRUE(master.ok());
  ASSERT_TRUE(redlink_.CreateLink("later", master.port(), "bad").ok());
  // Let the backoff grow past a few seconds: attempts 1, 2, 3, 4 wait ~1, 2, 4, 8 s.
  Link link;
  ASSERT_TRUE(redlink_.WaitLink(
      "later", [](const Link& l) { return l.connect_attempts() >= 4; }, &link,
      std::chrono::seconds(30)))
      << link.DebugString();
  v1::SetLinkAuthRequest req;
  req.set_link_id("later");
  req.mutable_auth()->set_password("fixed-later");
  auto ctx = redlink_.Context();
  ASSERT_TRUE(redlink_.stub().SetLinkAuth(ctx.get(), req, &link).ok());
  EXPECT_TRUE(link.auth().password_set());
  auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(redlink_.WaitLink("later", HandshakeDone, &link, std::chrono::seconds(20)))
      << link.DebugString();
  // Sooner than the 4-8 s the next backoff (after the 4th failure) would have waited, with
  // room for a loaded machine.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(3500));
}

TEST_F(HandshakeTest, MasterDownThenStarted) {
  int port = FreePort();
  ASSERT_TRUE(redlink_.CreateLink("late", port).ok());
  std::string msg = WaitBackoffError(redlink_, "late", "CONNECT");
  EXPECT_NE(msg.find("Connection refused"), std::string::npos) << msg;
  RedisServer master({}, port);
  ASSERT_TRUE(master.ok());
  Link link;
  EXPECT_TRUE(redlink_.WaitLink("late", HandshakeDone, &link, std::chrono::seconds(40)))
      << link.DebugString();
}

TEST_F(HandshakeTest, MasterListsTheLinkWithTheAnnouncedPort) {
  RedisServer master;
  ASSERT_TRUE(master.ok());
  ASSERT_TRUE(redlink_.CreateLink("seen", master.port()).ok());
  std::string expected = absl::StrCat("ip=127.0.0.1,port=", redlink_.resp_port(), ",");
  bool listed = WaitFor([&] {
    return master.InfoField("replication", "connected_slaves") == "1" &&
           master.InfoField("replication", "slave0").rfind(expected, 0) == 0;
  });
  EXPECT_TRUE(listed) << master.Cmd({"INFO", "replication"});
}

TEST_F(HandshakeTest, PasswordNeverLeaks) {
  const std::string secret = "Very-Distinctive-Secret-8843";
  RedisServer master({"--requirepass", secret});
  ASSERT_TRUE(master.ok());
  Link created;
  ASSERT_TRUE(redlink_.CreateLink("leak", master.port(), secret, "", &created).ok());
  Link link;
  ASSERT_TRUE(redlink_.WaitLink("leak", HandshakeDone, &link));
  // A wrong one too, so that error paths are logged.
  ASSERT_TRUE(redlink_.CreateLink("leak2", master.port(), secret + "-wrong").ok());
  WaitBackoffError(redlink_, "leak2", "AUTH");
  EXPECT_EQ(created.SerializeAsString().find(secret), std::string::npos);
  EXPECT_EQ(link.SerializeAsString().find(secret), std::string::npos);
  v1::ListLinksRequest lreq;
  v1::ListLinksResponse lresp;
  auto ctx = redlink_.Context();
  ASSERT_TRUE(redlink_.stub().ListLinks(ctx.get(), lreq, &lresp).ok());
  EXPECT_EQ(lresp.SerializeAsString().find(secret), std::string::npos);
  EXPECT_EQ(redlink_.log().find(secret), std::string::npos) << redlink_.log();
}

TEST(ManyLinks, TwoHundredLinksToOneMaster) {
  RedisServer master({"--maxclients", "1000"});
  ASSERT_TRUE(master.ok());
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok());
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(redlink.CreateLink(absl::StrCat("link-", i), master.port()).ok()) << i;
  }
  for (int i = 0; i < 200; ++i) {
    Link link;
    EXPECT_TRUE(
        redlink.WaitLink(absl::StrCat("link-", i), HandshakeDone, &link, std::chrono::seconds(60)))
        << link.DebugString();
  }
}

}  // namespace
}  // namespace redlink::testing
