// redlinkd's log lines, read from its stderr: with --log_format=json every line is one valid JSON
// object with ts, level, src and msg; every line about a link carries link=<id>; the events that
// matter are there (state transitions, the failing step with the master's error text, full and
// partial sync start and end with sizes and durations, auth failures on the RESP endpoint and
// the gRPC API); and no password or token ever shows up, in the logs or in /metrics.

#include <gtest/gtest.h>

#include <regex>

#include "tests/integration/metrics_test_util.h"

namespace redlink::testing::metrics {
namespace {

using nlohmann::json;

const std::string kToken = "tok-7c1e-api-secret-A1";
const std::string kMasterPassword = "pw-master-9f8e-secret-B2";
const std::string kWrongPassword = "pw-wrong-5d4c-secret-C3";
const std::string kWrongToken = "tok-wrong-2b2b-secret-D4";
const std::string kRespUser = "user-field-secret-E5";  // a password typed as a user name

// Lines that talk about a link without the link field, known and reported to their owners.
// TODO(core): engine.cc "link <id> deleted" should be a LINK_LOG.
bool KnownWithoutLinkField(const json& line) {
  return line.value("src", "").rfind("engine.cc:", 0) == 0 &&
         line.value("msg", "").find(" deleted") != std::string::npos;
}

class MetricsLogsTest : public ::testing::Test {
 protected:
  static RedlinkdProcess::Options JsonOptions() {
    RedlinkdProcess::Options o;
    o.token = kToken;
    o.extra_args = {"--log_format=json", "--log_level=debug"};
    return o;
  }

  v1::Link Call(const char* what, grpc::Status status, const v1::Link& link) {
    EXPECT_TRUE(status.ok()) << what << ": " << status.error_message();
    return link;
  }

  // Drives the events worth a log line, then stops redlinkd so every line is flushed.
  void Drive() {
    ASSERT_TRUE(redlink_.ok()) << redlink_.log();
    ASSERT_TRUE(plain_.ok());
    ASSERT_TRUE(guarded_.ok());
    for (int i = 0; i < 50; ++i) plain_.Cmd({"SET", "k" + std::to_string(i), "v"});
    v1::Link link;
    // A link that streams, then loses its connection and resumes by partial resync.
    ASSERT_TRUE(redlink_.CreateLink("lnk-plain", plain_.port()).ok());
    ASSERT_TRUE(
        redlink_.WaitState("lnk-plain", v1::LINK_STATE_STREAMING, std::chrono::seconds(30), &link))
        << link.ShortDebugString();
    plain_.Cmd({"CLIENT", "KILL", "TYPE", "replica"});
    ASSERT_TRUE(redlink_.WaitLink(
        "lnk-plain",
        [](const v1::Link& l) {
          return l.partial_syncs() >= 1 && l.state() == v1::LINK_STATE_STREAMING;
        },
        &link, std::chrono::seconds(30)))
        << link.ShortDebugString();
    // A wrong master password (AUTH fails with the master's text), then the right one.
    ASSERT_TRUE(redlink_.CreateLink("lnk-guarded", guarded_.port(), kWrongPassword).ok());
    ASSERT_TRUE(redlink_.WaitLink(
        "lnk-guarded", [](const v1::Link& l) { return l.last_error().step() == "AUTH"; }, &link))
        << link.ShortDebugString();
    {
      v1::SetLinkAuthRequest req;
      req.set_link_id("lnk-guarded");
      req.mutable_auth()->set_password(kMasterPassword);
      auto ctx = redlink_.Context();
      Call("SetLinkAuth", redlink_.stub().SetLinkAuth(ctx.get(), req, &link), link);
    }
    ASSERT_TRUE(
        redlink_.WaitState("lnk-guarded", v1::LINK_STATE_STREAMING, std::chrono::seconds(30), &link))
        << link.ShortDebugString();
    // No password where the master wants one (-NOAUTH), and a closed port.
    ASSERT_TRUE(redlink_.CreateLink("lnk-noauth", guarded_.port()).ok());
    ASSERT_TRUE(redlink_.CreateLink("lnk-deadport", FreePort()).ok());
    ASSERT_TRUE(redlink_.WaitLink(
        "lnk-deadport", [](const v1::Link& l) { return l.last_error().step() == "CONNECT"; }, &link));
    ASSERT_TRUE(redlink_.WaitLink(
        "lnk-noauth", [](const v1::Link& l) { return l.last_error().step() == "AUTH"; }, &link));
    // Operator actions.
    {
      v1::PauseLinkRequest req;
      req.set_link_id("lnk-plain");
      auto ctx = redlink_.Context();
      Call("PauseLink", redlink_.stub().PauseLink(ctx.get(), req, &link), link);
      v1::ResumeLinkRequest rreq;
      rreq.set_link_id("lnk-plain");
      auto rctx = redlink_.Context();
      Call("ResumeLink", redlink_.stub().ResumeLink(rctx.get(), rreq, &link), link);
      v1::DeleteLinkRequest dreq;
      dreq.set_link_id("lnk-deadport");
      google::protobuf::Empty empty;
      auto dctx = redlink_.Context();
      EXPECT_TRUE(redlink_.stub().DeleteLink(dctx.get(), dreq, &empty).ok());
    }
    // Auth failures on the RESP endpoint: a wrong token, the token typed as the user name, HELLO.
    {
      RespClient c;
      ASSERT_TRUE(c.Connect("127.0.0.1", redlink_.resp_port()));
      EXPECT_EQ(c.Command({"AUTH", "lnk-plain", kWrongToken}).substr(0, 10), "-WRONGPASS");
      EXPECT_EQ(c.Command({"AUTH", kToken, "lnk-plain"}).substr(0, 10), "-WRONGPASS");
      EXPECT_EQ(c.Command({"AUTH", kRespUser, kWrongToken}).substr(0, 10), "-WRONGPASS");
      c.Command({"HELLO", "3", "AUTH", "lnk-plain", kWrongToken});
    }
    // gRPC calls without the token and with a wrong one.
    for (int i = 0; i < 5; ++i) {
      grpc::ClientContext ctx;
      if (i % 2) ctx.AddMetadata("authorization", "Bearer " + kWrongToken);
      v1::GetLinkRequest req;
      req.set_link_id("lnk-plain");
      EXPECT_EQ(redlink_.stub().GetLink(&ctx, req, &link).error_code(),
                grpc::StatusCode::UNAUTHENTICATED);
    }
    scrape_ = HttpGet(redlink_.metrics_port(), "/metrics");
    EXPECT_EQ(redlink_.Terminate(), 0);
    log_ = redlink_.log();
    if (getenv("REDLINK_TEST_DUMP_LOG")) fprintf(stderr, "%s", log_.c_str());
  }

  RedlinkdProcess redlink_{JsonOptions()};
  RedisServer plain_;
  RedisServer guarded_{{"--requirepass", kMasterPassword}};
  std::string log_;
  std::string scrape_;
};

TEST_F(MetricsLogsTest, JsonLinesEventsAndNoSecrets) {
  Drive();
  if (HasFatalFailure()) return;
  ASSERT_FALSE(log_.empty());
  std::vector<json> lines;
  std::istringstream in(log_);
  std::string text;
  std::regex ts(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$)");
  const std::set<std::string> levels = {"debug", "info", "warning", "error"};
  const std::set<std::string> link_ids = {"lnk-plain", "lnk-guarded", "lnk-noauth", "lnk-deadport"};
  while (std::getline(in, text)) {
    if (text.empty()) continue;
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << "not JSON: " << text;
    ASSERT_TRUE(j.is_object()) << text;
    ASSERT_TRUE(j.contains("ts") && j["ts"].is_string()) << text;
    EXPECT_TRUE(std::regex_match(j["ts"].get<std::string>(), ts)) << text;
    ASSERT_TRUE(j.contains("level") && j["level"].is_string()) << text;
    EXPECT_TRUE(levels.count(j["level"].get<std::string>())) << text;
    ASSERT_TRUE(j.contains("msg") && j["msg"].is_string()) << text;
    ASSERT_TRUE(j.contains("src") && j["src"].is_string()) << text;
    for (const auto& [k, v] : j.items()) EXPECT_TRUE(v.is_string()) << k << " in " << text;
    // Lines of the link's state machine always say which link.
    if (j["src"].get<std::string>().rfind("replica_link.cc:", 0) == 0) {
      EXPECT_TRUE(j.contains("link")) << text;
    }
    // A line that names a link in its message carries the link field.
    std::string msg = j["msg"];
    for (const auto& id : link_ids) {
      if (std::regex_search(msg, std::regex("(^|[^a-z-])" + id + "($|[^a-z-])")) &&
          !KnownWithoutLinkField(j) && msg.find("RESP endpoint") == std::string::npos) {
        EXPECT_TRUE(j.contains("link")) << text;
      }
    }
    lines.push_back(std::move(j));
  }
  auto has = [&](const std::string& link, const std::string& pattern) {
    std::regex re(pattern);
    for (const auto& j : lines) {
      if ((link.empty() || j.value("link", "") == link) &&
          std::regex_search(j["msg"].get<std::string>(), re)) {
        return true;
      }
    }
    return false;
  };
  // State transitions, by link.
  EXPECT_TRUE(has("lnk-plain", "^state [A-Z]+ -> STREAMING$")) << log_;
  EXPECT_TRUE(has("lnk-plain", "^state [A-Z]+ -> PAUSED$")) << log_;
  EXPECT_TRUE(has("lnk-deadport", "^state [A-Z]+ -> BACKOFF$")) << log_;
  // The failing step with the master's exact text.
  EXPECT_TRUE(has("lnk-guarded", "^step AUTH failed: WRONGPASS invalid username-password pair"))
      << log_;
  EXPECT_TRUE(has("lnk-noauth",
                  "^step AUTH failed: .*NOAUTH|^step PING failed: NOAUTH|"
                  "^step AUTH failed: .*[Aa]uthentication required"))
      << log_;
  EXPECT_TRUE(has("lnk-deadport", "^step CONNECT failed: ")) << log_;
  // Full sync start and end, with sizes and durations; partial resync.
  EXPECT_TRUE(has("lnk-plain", "^full sync: master replid [0-9a-f]{40} offset [0-9]+")) << log_;
  EXPECT_TRUE(has("lnk-plain", "^receiving RDB: ")) << log_;
  EXPECT_TRUE(has("lnk-plain", "^full sync done: [0-9]+ bytes in [0-9.e-]+ s, dataset [0-9]+ bytes"))
      << log_;
  EXPECT_TRUE(has("lnk-plain", "^partial resync accepted at offset [0-9]+")) << log_;
  EXPECT_TRUE(has("lnk-guarded", "^credentials updated")) << log_;
  // Auth failures: the RESP endpoint and the gRPC API (rate-limited: one line here).
  EXPECT_TRUE(has("", "RESP endpoint: authentication failed")) << log_;
  int grpc_auth = 0;
  for (const auto& j : lines)
    grpc_auth += j["msg"].get<std::string>().find("UNAUTHENTICATED") != std::string::npos;
  EXPECT_EQ(grpc_auth, 1) << log_;
  // Levels are used: warnings for failures, debug lines with --log_level=debug.
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(),
                          [](const json& j) { return j["level"] == "warning"; }));
  EXPECT_TRUE(
      std::any_of(lines.begin(), lines.end(), [](const json& j) { return j["level"] == "debug"; }));

  // Secrets: never in a log line, never in /metrics.
  ASSERT_FALSE(scrape_.empty());
  for (const auto& secret : {kToken, kMasterPassword, kWrongPassword, kWrongToken}) {
    EXPECT_EQ(log_.find(secret), std::string::npos) << secret << " in the log";
    EXPECT_EQ(scrape_.find(secret), std::string::npos) << secret << " in /metrics";
  }
  // The part of a secret that would survive a careless truncation is not there either.
  EXPECT_EQ(log_.find("9f8e-secret"), std::string::npos);
  EXPECT_EQ(log_.find("7c1e-api-secret"), std::string::npos);
  // The token typed as the user name was redacted, not printed.
  EXPECT_TRUE(has("", "<redacted>")) << log_;
  EXPECT_EQ(scrape_.find(kRespUser), std::string::npos);
}

// Text lines: one line per event, the same events, no secret.
TEST(MetricsTextLogsTest, OneLinePerEventNoSecrets) {
  RedlinkdProcess::Options o;
  o.token = kToken;
  RedlinkdProcess redlink(o);
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  RedisServer guarded({"--requirepass", kMasterPassword});
  ASSERT_TRUE(guarded.ok());
  ASSERT_TRUE(redlink.CreateLink("lnk-guarded", guarded.port(), kWrongPassword).ok());
  v1::Link link;
  ASSERT_TRUE(redlink.WaitLink(
      "lnk-guarded", [](const v1::Link& l) { return l.last_error().step() == "AUTH"; }, &link));
  RespClient c;
  ASSERT_TRUE(c.Connect("127.0.0.1", redlink.resp_port()));
  c.Command({"AUTH", kToken, "lnk-guarded"});
  EXPECT_EQ(redlink.Terminate(), 0);
  std::string log = redlink.log();
  std::regex line_re(
      R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z (DEBUG|INFO|WARNING|ERROR) [^ ]+:\d+\] .*$)");
  std::istringstream in(log);
  std::string line;
  bool auth_line = false;
  while (std::getline(in, line)) {
    EXPECT_TRUE(std::regex_match(line, line_re)) << line;
    if (line.find("link=lnk-guarded") != std::string::npos &&
        line.find("step AUTH failed: WRONGPASS") != std::string::npos) {
      auth_line = true;
    }
  }
  EXPECT_TRUE(auth_line) << log;
  for (const auto& secret : {kToken, kMasterPassword, kWrongPassword}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << secret;
  }
}

}  // namespace
}  // namespace redlink::testing::metrics
