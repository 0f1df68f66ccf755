// Secrets are write-only. A master password given every way there is (CreateLink, SetLinkAuth,
// --links_file with password_file and password_env, redlinkctl --password-stdin and
// --password-file), plus wrong passwords that make the master answer errors, must never appear
// in: any gRPC reply (unary or WatchLinks), redlinkd's log (at debug level), redlinkctl's output
// (table and JSON), or /metrics. It is stored only in the registry file, whose mode is 0600. The
// API token never appears in the log or a reply either.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "tests/service/cp_test_util.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using redlink::v1::Link;

constexpr char kPassword[] = "Zebra-Password-99177";
constexpr char kWrong[] = "Wrong-Password-31337";
constexpr char kEnvPassword[] = "Envvar-Password-44120";
constexpr char kToken[] = "Api-Token-Secret-55510";

// Plain HTTP GET of /metrics (empty if nothing answers).
std::string HttpGet(int port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string out;
  char buf[65536];
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  for (ssize_t n; (n = read(fd, buf, sizeof(buf))) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

class SecretsTest : public ::testing::Test {
 protected:
  // Every form the secret could leak in.
  std::vector<std::string> Forms(const std::string& secret) {
    return {secret, absl::Base64Escape(secret), absl::WebSafeBase64Escape(secret)};
  }
  void ExpectClean(const std::string& where, const std::string& text, bool allow_base64 = false) {
    for (const char* secret : {kPassword, kWrong, kEnvPassword, kToken}) {
      auto forms = Forms(secret);
      for (size_t i = 0; i < (allow_base64 ? 1 : forms.size()); ++i) {
        EXPECT_EQ(text.find(forms[i]), std::string::npos)
            << where << " holds a secret (" << secret << ")";
      }
    }
  }
  std::string Bytes(const google::protobuf::Message& m) { return m.SerializeAsString(); }
};

TEST_F(SecretsTest, PasswordsNeverLeave) {
  RedisServer master({"--requirepass", kPassword, "--repl-diskless-sync-delay", "0"});
  ASSERT_TRUE(master.ok());
  ASSERT_EQ(master.Cmd({"AUTH", kPassword}), "OK");
  TempDir dir;
  std::string pw_file = dir.File("pw");
  std::ofstream(pw_file) << kPassword << "\n";
  std::string links = dir.File("links.yaml");
  std::ofstream(links) << "links:\n"
                       << "  - link_id: from-file\n"
                       << "    master: {host: 127.0.0.1, port: " << master.port() << "}\n"
                       << "    auth: {password_file: " << pw_file << "}\n"
                       << "  - link_id: from-env\n"
                       << "    master: {host: 127.0.0.1, port: " << master.port() << "}\n"
                       << "    auth: {password_env: SECRET_PW}\n";
  RedlinkdProcess::Options o;
  o.token = kToken;
  o.extra_args = {"--links_file=" + links, "--log_level=debug"};
  o.env = {{"SECRET_PW", kEnvPassword}};
  RedlinkdProcess redlink(o);
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  std::string replies;  // every reply's bytes

  // Over the API: right, then wrong (the master answers WRONGPASS), then right again.
  Link link;
  ASSERT_TRUE(redlink.CreateLink("api", master.port(), kPassword, "", &link).ok());
  replies += Bytes(link);
  WatchCollector watch(redlink.channel(), "", kToken);
  ASSERT_TRUE(redlink.WaitState("api", v1::LINK_STATE_STREAMING, std::chrono::seconds(30), &link));
  replies += Bytes(link);
  for (const char* pw : {kWrong, kPassword}) {
    v1::SetLinkAuthRequest req;
    req.set_link_id("api");
    req.mutable_auth()->set_password(pw);
    auto ctx = redlink.Context();
    ASSERT_TRUE(redlink.stub().SetLinkAuth(ctx.get(), req, &link).ok());
    replies += Bytes(link);
    // Drop the replicas so the master checks the new password at the reconnect.
    master.Cmd({"CLIENT", "KILL", "TYPE", "replica"});
    if (std::string(pw) == kWrong) {
      ASSERT_TRUE(redlink.WaitLink(
          "api", [](const Link& l) { return l.last_error().step() == "AUTH"; }, &link));
      EXPECT_NE(link.last_error().message().find("WRONGPASS"), std::string::npos);
      replies += Bytes(link);
    }
  }
  ASSERT_TRUE(redlink.WaitState("api", v1::LINK_STATE_STREAMING, std::chrono::seconds(30), &link));
  // The declared links authenticated with the file's and the environment's passwords... the
  // env one is wrong for this master: its error is there, its value is not.
  ASSERT_TRUE(redlink.WaitState("from-file", v1::LINK_STATE_STREAMING, std::chrono::seconds(30)));
  ASSERT_TRUE(redlink.WaitLink(
      "from-env", [](const Link& l) { return l.last_error().step() == "AUTH"; }, &link));
  replies += Bytes(link);

  // Through redlinkctl: create with stdin and with a file, then every read command.
  std::string token_file = dir.File("token");
  std::ofstream(token_file) << kToken;
  std::vector<std::string> base = {"--addr", "127.0.0.1:" + std::to_string(redlink.grpc_port()),
                                   "--token-file", token_file};
  auto ctl = [&](std::vector<std::string> args, const std::string& in = "") {
    args.insert(args.begin(), base.begin(), base.end());
    CtlResult r = RunCtl(args, in);
    EXPECT_EQ(r.exit_code, 0) << ::testing::PrintToString(args) << ": " << r.err;
    ExpectClean("redlinkctl " + args[4] + " stdout", r.out);
    ExpectClean("redlinkctl " + args[4] + " stderr", r.err);
    return r;
  };
  ctl({"create", "ctl-stdin", "--master", "127.0.0.1:" + std::to_string(master.port()),
       "--password-stdin"},
      std::string(kPassword) + "\n");
  ctl({"create", "ctl-file", "--master", "127.0.0.1:" + std::to_string(master.port()),
       "--password-file", pw_file});
  ctl({"auth", "ctl-file", "--password-stdin"}, kWrong);
  ASSERT_TRUE(redlink.WaitState("ctl-stdin", v1::LINK_STATE_STREAMING, std::chrono::seconds(30)));
  for (const char* format : {"table", "json"}) {
    ctl({"-o", format, "list"});
    ctl({"-o", format, "get", "api"});
    ctl({"-o", format, "get", "ctl-file"});
    ctl({"-o", format, "watch", "--count", "5"});
  }

  // Every reply, unary and streamed.
  v1::ListLinksResponse list;
  auto lctx = redlink.Context();
  ASSERT_TRUE(redlink.stub().ListLinks(lctx.get(), v1::ListLinksRequest(), &list).ok());
  replies += Bytes(list);
  for (const auto& l : list.links()) {
    EXPECT_TRUE(l.auth().password_set()) << l.link_id();
    replies += Bytes(l);
  }
  for (const auto& e : watch.events()) replies += Bytes(e);
  EXPECT_GT(watch.events().size(), 10u);
  ExpectClean("gRPC replies", replies);

  // /metrics.
  std::string metrics = HttpGet(redlink.metrics_port(), "/metrics");
  ExpectClean("/metrics", metrics);

  // The log, after a restart too (the registry is read back, the links file again).
  ASSERT_EQ(redlink.Terminate(std::chrono::seconds(5)), 0);
  ASSERT_TRUE(redlink.Restart()) << redlink.log();
  ASSERT_TRUE(redlink.WaitState("api", v1::LINK_STATE_STREAMING, std::chrono::seconds(30)));
  std::string log = redlink.log();
  EXPECT_NE(log.find("link=api"), std::string::npos) << "the log is there";
  ExpectClean("redlinkd's log", log);

  // The registry holds the passwords (base64), and only with mode 0600.
  std::string registry = redlink.data_dir() + "/registry.json";
  EXPECT_EQ(FileMode(registry), 0600);
  std::string content = ReadFileOrEmpty(registry);
  EXPECT_NE(content.find(absl::Base64Escape(kPassword)), std::string::npos);
  ExpectClean("registry.json", content, /*allow_base64=*/true);
  EXPECT_EQ(content.find(kToken), std::string::npos);
  EXPECT_EQ(FileMode(registry + ".tmp"), -1);
  for (const auto& entry : {"LOCK"}) {
    EXPECT_EQ(FileMode(redlink.data_dir() + "/" + entry) & 077, 0) << entry;
  }
}

}  // namespace
}  // namespace redlink::testing
