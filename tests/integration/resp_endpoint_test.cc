// The RESP read endpoint with real clients: authentication picks a link's dataset, RESP2 and
// RESP3 (HELLO), replica-style INFO/ROLE and errors byte-identical to a real Redis replica's,
// clients moving to their link's loop (pipelined right behind AUTH), and redis-cli itself.

#include <gtest/gtest.h>

#include <array>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using redlink::v1::Link;

std::string Shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

class RespEndpointTest : public ::testing::Test {
 protected:
  static RedlinkdProcess::Options Opts() {
    RedlinkdProcess::Options o;
    o.threads = 4;
    o.token = "tok-123";
    return o;
  }
  void SetUp() override {
    ASSERT_TRUE(master_.ok());
    ASSERT_TRUE(redlink_.ok()) << redlink_.log();
    ASSERT_EQ(master_.Cmd({"SET", "k", "v"}), "OK");
    ASSERT_EQ(master_.Cmd({"HSET", "h", "f", "1"}), "1");
    ASSERT_TRUE(redlink_.CreateLink("ep", master_.port()).ok());
    ASSERT_TRUE(redlink_.WaitState("ep", v1::LINK_STATE_STREAMING));
  }
  RespClient Raw() {
    RespClient c;
    EXPECT_TRUE(c.Connect("127.0.0.1", redlink_.resp_port()));
    return c;
  }
  RedisServer master_{{"--repl-diskless-sync-delay", "0"}};
  RedlinkdProcess redlink_{Opts()};
};

TEST_F(RespEndpointTest, AuthenticationPicksTheLink) {
  RespClient c = Raw();
  EXPECT_EQ(c.CommandRaw({"GET", "k"}), "-NOAUTH Authentication required.\r\n");
  EXPECT_EQ(c.CommandRaw({"AUTH", "ep", "wrong-token"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(c.CommandRaw({"AUTH", "no-such-link", "tok-123"}),
            "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  EXPECT_EQ(c.CommandRaw({"AUTH", "ep", "tok-123"}), "+OK\r\n");
  EXPECT_EQ(c.CommandRaw({"GET", "k"}), "$1\r\nv\r\n");
  // The token is never in the log.
  EXPECT_EQ(redlink_.log().find("tok-123"), std::string::npos);
}

TEST_F(RespEndpointTest, Hello3) {
  RespClient c = Raw();
  std::string hello = c.CommandRaw({"HELLO", "3", "AUTH", "ep", "tok-123"});
  EXPECT_EQ(hello.substr(0, 4), "%7\r\n") << Describe(hello);
  EXPECT_NE(hello.find("$5\r\nproto\r\n:3\r\n"), std::string::npos) << Describe(hello);
  EXPECT_NE(hello.find("$4\r\nrole\r\n$7\r\nreplica\r\n"), std::string::npos) << Describe(hello);
  EXPECT_EQ(c.CommandRaw({"HGETALL", "h"}), "%1\r\n$1\r\nf\r\n$1\r\n1\r\n");
  EXPECT_EQ(c.CommandRaw({"GET", "missing"}), "_\r\n");
  EXPECT_EQ(c.CommandRaw({"HELLO", "4"}), "-NOPROTO unsupported protocol version\r\n");
}

TEST_F(RespEndpointTest, ErrorsMatchARealReplica) {
  // A real Redis 7.0 replica of the same master answers the same commands.
  RedisServer replica({"--replicaof", "127.0.0.1", std::to_string(master_.port())});
  ASSERT_TRUE(replica.ok());
  ASSERT_TRUE(
      WaitFor([&] { return replica.InfoField("replication", "master_link_status") == "up"; }));
  ASSERT_EQ(master_.Cmd({"RPUSH", "lst", "a", "b"}), "2");
  ASSERT_EQ(master_.Cmd({"SET", "long", std::string(50, 'x')}), "OK");
  RespClient real = replica.Client();
  RespClient ours = redlink_.ReadClient("ep");
  for (RespClient* c : {&real, &ours}) {
    ASSERT_TRUE(WaitFor([&] { return c->CommandRaw({"LLEN", "lst"}) == ":2\r\n"; }));
  }
  for (const std::vector<std::string>& cmd : std::vector<std::vector<std::string>>{
           {"SET", "a", "b"},
           {"DEL", "k"},
           {"LPUSH", "l", "x"},
           {"FLUSHALL"},
           {"NOSUCHCOMMAND", "arg1", "arg2"},
           {"nosuch"},
           {"SELECT", "99"},
           {"SELECT", "x"},
           {"PING"},
           {"PING", "hello"},
           {"ECHO", "e"},
           {"GET", "k"},
           {"GET"},
           // CR/LF from the request never reach an error line; names stop at a NUL.
           {"NOSUCH", "a\r\nb", "c"},
           {"NO\r\nCMD", "x"},
           {"NOSUCH", std::string("a\0b", 3)},
           {"NOSUCH", std::string(200, 'q')},
           {"CLIENT", "Q\r\nZ"},
           {"COMMAND", "Q\r\nZ"},
           {"OBJECT", "NOPE"},
           // Arity comes before READONLY; containers name their subcommands.
           {"SET"},
           {"SET", "a"},
           {"ZADD", "k"},
           {"XGROUP", "NOPE"},
           {"TIME", "x"},
           {"ROLE", "x"},
           {"AUTH"},
           {"CLIENT"},
           {"CLIENT", "BAD"},
           {"CLIENT", "ID", "x"},
           {"CLIENT", "SETNAME", "a b"},
           {"CLIENT", "SETNAME", "good-name"},
           {"CLIENT", "GETNAME"},
           {"CLIENT", "NO-EVICT", "bad"},
           {"CLIENT", "NO-EVICT", "on"},
           {"CLIENT", "GETREDIR"},
           {"SELECT", "01"},
           {"SELECT", "+1"},
           {"SELECT", "2147483648"},
           {"FUNCTION", "STATS"},
           {"FUNCTION", "KILL"},
           {"FUNCTION", "LOAD"},
           {"FUNCTION", "DELETE", "lib"},
           {"FUNCTION", "STATS", "x"},
           {"OBJECT", "ENCODING", "lst"},
           {"OBJECT", "ENCODING", "long"},
           {"OBJECT", "ENCODING", "k"},
           {"INFO", "cluster"},
           // A transaction with a command Redis rejects when queueing it aborts at EXEC.
           {"MULTI"},
           {"GET", "k"},
           {"SET", "a", "b"},
           {"EXEC"},
           {"MULTI"},
           {"NOSUCH"},
           {"EXEC"},
           {"MULTI"},
           {"GET"},
           {"DISCARD"},
           {"MULTI"},
           {"WATCH", "k"},
           {"GET", "k"},
           {"EXEC"},
           {"WATCH", "k"},
           {"UNWATCH"},
           {"WATCH", "k", "h"},
           {"MULTI"},
           {"GET", "k"},
           {"EXEC"},
           {"EXEC"},
       }) {
    EXPECT_EQ(Describe(ours.CommandRaw(cmd)), Describe(real.CommandRaw(cmd)))
        << Describe(cmd[0]) << " " << (cmd.size() > 1 ? Describe(cmd[1]) : "");
  }
  // Redis's texts for malformed requests (each closes the connection).
  for (std::string wire : {"*x\r\n", "*1\r\n$600000000\r\n"}) {
    RespClient o = redlink_.ReadClient("ep");
    RespClient r = replica.Client();
    ASSERT_TRUE(o.SendRaw(wire));
    ASSERT_TRUE(r.SendRaw(wire));
    EXPECT_EQ(Describe(o.ReadReplyRaw()), Describe(r.ReadReplyRaw())) << Describe(wire);
  }
}

TEST_F(RespEndpointTest, WatchAbortsWhenTheMasterWrites) {
  RespClient c = redlink_.ReadClient("ep");
  EXPECT_EQ(c.CommandRaw({"WATCH", "k"}), "+OK\r\n");
  EXPECT_EQ(c.CommandRaw({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(c.CommandRaw({"GET", "k"}), "+QUEUED\r\n");
  EXPECT_EQ(c.CommandRaw({"EXEC"}), "*1\r\n$1\r\nv\r\n");  // nothing changed
  EXPECT_EQ(c.CommandRaw({"WATCH", "k"}), "+OK\r\n");
  ASSERT_EQ(master_.Cmd({"SET", "k", "v2"}), "OK");
  ASSERT_TRUE(WaitFor([&] { return c.CommandRaw({"GET", "k"}) == "$2\r\nv2\r\n"; }));
  EXPECT_EQ(c.CommandRaw({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(c.CommandRaw({"GET", "k"}), "+QUEUED\r\n");
  EXPECT_EQ(c.CommandRaw({"EXEC"}), "*-1\r\n");  // the watched key changed: aborted
  // The watch ended with that EXEC.
  EXPECT_EQ(c.CommandRaw({"MULTI"}), "+OK\r\n");
  EXPECT_EQ(c.CommandRaw({"GET", "k"}), "+QUEUED\r\n");
  EXPECT_EQ(c.CommandRaw({"EXEC"}), "*1\r\n$2\r\nv2\r\n");
}

TEST_F(RespEndpointTest, CommandAloneAndItsSubcommands) {
  RespClient c = redlink_.ReadClient("ep");
  EXPECT_EQ(c.CommandRaw({"COMMAND"}).substr(0, 1), "*");  // redis-cli 6 asks it at start
  std::string count = c.CommandRaw({"COMMAND", "COUNT"});
  EXPECT_EQ(count.substr(0, 1), ":") << Describe(count);
  EXPECT_GT(std::stoi(count.substr(1)), 100) << Describe(count);
  std::string list = c.CommandRaw({"COMMAND", "LIST"});
  EXPECT_NE(list.find("$3\r\nget\r\n"), std::string::npos) << Describe(list);
  EXPECT_NE(list.find("$5\r\nhello\r\n"), std::string::npos) << Describe(list);
  EXPECT_EQ(c.CommandRaw({"XGROUP"}), "-ERR wrong number of arguments for 'xgroup' command\r\n");
}

TEST_F(RespEndpointTest, ScanWithAHugeCountReturnsEverything) {
  RespClient c = redlink_.ReadClient("ep");
  std::string reply = c.CommandRaw({"SCAN", "0", "COUNT", "9223372036854775807"});
  EXPECT_EQ(reply.substr(0, 13), "*2\r\n$1\r\n0\r\n*2") << Describe(reply);
}

TEST_F(RespEndpointTest, ClientReplyOffSkipOn) {
  RespClient c = redlink_.ReadClient("ep");
  ASSERT_TRUE(c.SendRaw("CLIENT REPLY OFF\r\nGET k\r\nCLIENT REPLY ON\r\n"));
  EXPECT_EQ(c.ReadReplyRaw(), "+OK\r\n");
  ASSERT_TRUE(c.SendRaw("CLIENT REPLY SKIP\r\nGET k\r\nGET h\r\n"));
  EXPECT_EQ(c.ReadReplyRaw(),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
}

TEST_F(RespEndpointTest, FunctionDumpRestoresOnARealServer) {
  std::string code = "#!lua name=mylib\nredis.register_function('f1', function() return 1 end)";
  ASSERT_EQ(master_.Cmd({"FUNCTION", "LOAD", code}), "mylib");
  RespClient c = redlink_.ReadClient("ep");
  ASSERT_TRUE(WaitFor([&] {
    return c.Command({"FUNCTION", "STATS"}).find("libraries_count,1") != std::string::npos;
  })) << c.Command({"FUNCTION", "STATS"});
  std::string dump = c.Command({"FUNCTION", "DUMP"});
  RedisServer fresh;
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh.Cmd({"FUNCTION", "RESTORE", dump}), "OK");
  EXPECT_EQ(fresh.Cmd({"FCALL", "f1", "0"}), "1");
}

TEST_F(RespEndpointTest, InfoAndRoleAsAReplica) {
  RespClient c = redlink_.ReadClient("ep");
  Link link;
  ASSERT_TRUE(redlink_.GetLink("ep", &link).ok());
  std::string info = c.Command({"INFO", "replication"});
  EXPECT_NE(info.find("role:slave\r\n"), std::string::npos) << info;
  EXPECT_NE(info.find(absl::StrCat("master_port:", master_.port(), "\r\n")), std::string::npos);
  EXPECT_NE(info.find("master_link_status:up\r\n"), std::string::npos) << info;
  EXPECT_NE(info.find("slave_priority:0\r\n"), std::string::npos) << info;
  EXPECT_NE(info.find("slave_read_only:1\r\n"), std::string::npos) << info;
  EXPECT_NE(info.find(absl::StrCat("master_replid:", link.master_replid())), std::string::npos);
  std::string all = c.Command({"INFO"});
  EXPECT_NE(all.find("# Keyspace\r\ndb0:keys=2,expires=0"), std::string::npos) << all;
  std::string role = c.Command({"ROLE"});
  EXPECT_EQ(role.substr(0, 30),
            absl::StrCat("[slave,127.0.0.1,", master_.port(), ",connected,").substr(0, 30))
      << role;
}

TEST_F(RespEndpointTest, ClientsMoveToTheirLinksLoopEvenWhenPipelined) {
  // Eight links over four loops; a client pipelines AUTH with reads, whichever loop accepted it.
  std::vector<std::unique_ptr<RedisServer>> masters;
  for (int i = 0; i < 8; ++i) {
    masters.push_back(
        std::make_unique<RedisServer>(std::vector<std::string>{"--repl-diskless-sync-delay", "0"}));
    ASSERT_EQ(masters.back()->Cmd({"SET", "who", absl::StrCat("master-", i)}), "OK");
    ASSERT_TRUE(redlink_.CreateLink(absl::StrCat("m", i), masters.back()->port()).ok());
  }
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(redlink_.WaitState(absl::StrCat("m", i), v1::LINK_STATE_STREAMING));
  }
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 8; ++i) {
      RespClient c = Raw();
      std::string id = absl::StrCat("m", i);
      std::string wire = absl::StrCat("*3\r\n$4\r\nAUTH\r\n$", id.size(), "\r\n", id,
                                      "\r\n$7\r\ntok-123\r\n*2\r\n$3\r\nGET\r\n$3\r\nwho\r\n",
                                      "*1\r\n$6\r\nDBSIZE\r\n");
      ASSERT_TRUE(c.SendRaw(wire));
      EXPECT_EQ(c.ReadReplyRaw(), "+OK\r\n");
      std::string who = absl::StrCat("master-", i);
      EXPECT_EQ(c.ReadReplyRaw(), absl::StrCat("$", who.size(), "\r\n", who, "\r\n"));
      EXPECT_EQ(c.ReadReplyRaw(), ":1\r\n");
      // Switching links on the same connection works too.
      EXPECT_EQ(c.CommandRaw({"AUTH", "ep", "tok-123"}), "+OK\r\n");
      EXPECT_EQ(c.CommandRaw({"GET", "k"}), "$1\r\nv\r\n");
    }
  }
}

TEST_F(RespEndpointTest, RedisCliWorks) {
  std::string base = absl::StrCat("redis-cli -p ", redlink_.resp_port(),
                                  " --user ep --pass tok-123 --no-auth-warning ");
  EXPECT_EQ(Shell(base + "GET k"), "v\n");
  EXPECT_EQ(Shell(base + "HGET h f"), "1\n");
  std::string keys = Shell(base + "--scan");
  EXPECT_NE(keys.find("k\n"), std::string::npos) << keys;
  EXPECT_NE(keys.find("h\n"), std::string::npos) << keys;
  EXPECT_NE(Shell(base + "SET x y").find("READONLY You can't write against a read only replica."),
            std::string::npos);
  std::string info = Shell(base + "INFO replication");
  EXPECT_NE(info.find("role:slave"), std::string::npos) << info;
}

TEST_F(RespEndpointTest, QuitAndGarbage) {
  RespClient c = redlink_.ReadClient("ep");
  EXPECT_EQ(c.CommandRaw({"QUIT"}), "+OK\r\n");
  RespClient g = Raw();
  ASSERT_TRUE(g.SendRaw("*1\r\n$x\r\n"));
  std::string reply = g.ReadReplyRaw();
  EXPECT_EQ(reply.substr(0, 20), "-ERR Protocol error:") << Describe(reply);
  // The server is fine.
  RespClient ok = redlink_.ReadClient("ep");
  EXPECT_EQ(ok.CommandRaw({"GET", "k"}), "$1\r\nv\r\n");
}

}  // namespace
}  // namespace redlink::testing
