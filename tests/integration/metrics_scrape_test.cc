// GET /metrics on a live redlinkd holding links in several states: promtool accepts the page,
// every API.md metric is there once with HELP and TYPE, the per-link values agree with GetLink,
// a deleted link's series disappear, and gRPC calls are counted by method and code.

#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "grpc/health/v1/health.grpc.pb.h"
#include "tests/integration/metrics_test_util.h"

namespace redlink::testing::metrics {
namespace {

// API.md's metric names (fixed), with their types.
const std::map<std::string, std::string>& ApiMetrics() {
  static const auto* m = new std::map<std::string, std::string>{
      {"redlink_link_state", "gauge"},
      {"redlink_link_repl_offset_bytes", "gauge"},
      {"redlink_link_last_io_age_seconds", "gauge"},
      {"redlink_link_full_syncs_total", "counter"},
      {"redlink_link_partial_syncs_total", "counter"},
      {"redlink_link_connect_attempts_total", "counter"},
      {"redlink_link_errors_total", "counter"},
      {"redlink_link_rdb_bytes_received_total", "counter"},
      {"redlink_link_commands_applied_total", "counter"},
      {"redlink_link_keys", "gauge"},
      {"redlink_link_dataset_bytes", "gauge"},
      {"redlink_link_last_full_sync_duration_seconds", "gauge"},
      {"redlink_links", "gauge"},
      {"redlink_grpc_requests_total", "counter"},
      {"process_resident_memory_bytes", "gauge"},
      {"process_cpu_seconds_total", "counter"},
      {"process_open_fds", "gauge"},
      {"process_start_time_seconds", "gauge"},
  };
  return *m;
}

const char* kStates[] = {"UNSPECIFIED", "CONNECTING", "PINGING",      "AUTHENTICATING",
                         "ANNOUNCING",  "SYNCING",    "TRANSFERRING", "STREAMING",
                         "PAUSED",      "BACKOFF",    "FAILED"};
const char* kSteps[] = {"CONNECT", "PING", "AUTH", "REPLCONF", "PSYNC", "TRANSFER", "STREAM"};

class MetricsScrapeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { env_ = new LinksInSeveralStates(); }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  void SetUp() override { ASSERT_TRUE(env_->ok()) << env_->what(); }

  RedlinkdProcess& redlink() { return env_->redlink(); }
  std::string Scrape() {
    int status = 0;
    std::string body = HttpGet(redlink().metrics_port(), "/metrics", &status);
    EXPECT_EQ(status, 200);
    return body;
  }

  static LinksInSeveralStates* env_;
};
LinksInSeveralStates* MetricsScrapeTest::env_ = nullptr;

TEST_F(MetricsScrapeTest, PromtoolAcceptsTheScrape) {
  std::string page = Scrape();
  ASSERT_FALSE(page.empty());
  std::string problems;
  EXPECT_EQ(PromtoolCheckMetrics(page, &problems), 0) << problems;
  EXPECT_EQ(problems, "") << "promtool check metrics reported problems";
}

TEST_F(MetricsScrapeTest, EveryApiMetricOnceWithHelpAndType) {
  Exposition e = ParseExposition(Scrape());
  EXPECT_TRUE(e.errors.empty()) << e.errors.front();
  for (const auto& [name, type] : ApiMetrics()) {
    EXPECT_EQ(e.help_lines[name], 1) << name;
    EXPECT_EQ(e.types[name], type) << name;
    EXPECT_FALSE(e.Find(name).empty()) << name << " has no sample";
  }
  // No family name is printed twice (prometheus-cpp would, for two families of one name).
  for (const auto& [name, count] : e.help_lines) EXPECT_EQ(count, 1) << name;
  // Units in names: counters end in _total, and nothing is exported in milli/micro units.
  for (const auto& [name, type] : e.types) {
    if (name.rfind("exposer_", 0) == 0) continue;  // prometheus-cpp's own
    if (type == "counter") {
      EXPECT_TRUE(name.ends_with("_total")) << name;
    }
    EXPECT_EQ(name.find("millis"), std::string::npos) << name;
    EXPECT_EQ(name.find("micro"), std::string::npos) << name;
  }
}

TEST_F(MetricsScrapeTest, LinkStateIsOneHotOverElevenStates) {
  Exposition e = ParseExposition(Scrape());
  std::map<std::string, int> per_state;
  for (const auto& [id, want] : LinksInSeveralStates::Expected()) {
    EXPECT_EQ(e.LabelValues("redlink_link_state", "state").size(), 11u);
    double sum = 0;
    for (const char* st : kStates) {
      double v = e.Value("redlink_link_state", {{"link", id}, {"state", st}});
      ASSERT_FALSE(std::isnan(v)) << id << " " << st;
      EXPECT_EQ(v, st == want ? 1 : 0) << id << " " << st;
      sum += v;
    }
    EXPECT_EQ(sum, 1) << id;
    per_state[want]++;
  }
  for (const char* st : kStates) {
    EXPECT_EQ(e.Value("redlink_links", {{"state", st}}), per_state[st]) << st;
  }
}

TEST_F(MetricsScrapeTest, PerLinkValuesAgreeWithGetLink) {
  v1::Link link;
  // GetLink and the scrape read the same published snapshot; poll until one has been published
  // since the fixture's last change (offsets and applied counts agree for both links).
  Exposition e;
  bool agree = WaitFor([&] {
    e = ParseExposition(Scrape());
    for (const char* id : {"streaming-a", "streaming-b"}) {
      if (!redlink().GetLink(id, &link).ok()) return false;
      std::map<std::string, std::string> l = {{"link", id}};
      if (e.Value("redlink_link_repl_offset_bytes", l) !=
              static_cast<double>(link.master_repl_offset()) ||
          e.Value("redlink_link_commands_applied_total", l) !=
              static_cast<double>(link.commands_applied())) {
        return false;
      }
    }
    return true;
  });
  ASSERT_TRUE(agree) << link.ShortDebugString();
  for (const char* id : {"streaming-a", "streaming-b"}) {
    ASSERT_TRUE(redlink().GetLink(id, &link).ok());
    std::map<std::string, std::string> l = {{"link", id}};
    EXPECT_EQ(e.Value("redlink_link_repl_offset_bytes", l), link.master_repl_offset()) << id;
    EXPECT_EQ(e.Value("redlink_link_commands_applied_total", l), link.commands_applied()) << id;
    EXPECT_EQ(e.Value("redlink_link_full_syncs_total", l), link.full_syncs()) << id;
    EXPECT_EQ(e.Value("redlink_link_full_syncs_total", l), 1) << id;
    EXPECT_EQ(e.Value("redlink_link_partial_syncs_total", l), 0) << id;
    EXPECT_GE(e.Value("redlink_link_connect_attempts_total", l), 1) << id;
    EXPECT_GT(e.Value("redlink_link_rdb_bytes_received_total", l), 0) << id;
    EXPECT_EQ(e.Value("redlink_link_rdb_bytes_received_total", l), link.rdb_bytes_received_total())
        << id;
    EXPECT_EQ(e.Value("redlink_link_keys", {{"link", id}, {"db", "0"}}), 20) << id;
    EXPECT_EQ(e.Value("redlink_link_dataset_bytes", l), link.dataset_bytes()) << id;
    EXPECT_GT(e.Value("redlink_link_dataset_bytes", l), 0) << id;
    EXPECT_GE(e.Value("redlink_link_last_full_sync_duration_seconds", l), 0) << id;
    EXPECT_EQ(e.Value("redlink_link_last_full_sync_duration_seconds", l),
              link.last_full_sync_duration_seconds())
        << id;
    double age = e.Value("redlink_link_last_io_age_seconds", l);
    EXPECT_GE(age, 0) << id;
    EXPECT_LT(age, 15) << id;  // the master pings every 10 s at least
    for (const char* step : kSteps) {
      EXPECT_EQ(e.Value("redlink_link_errors_total", {{"link", id}, {"step", step}}), 0)
          << id << " " << step;
    }
  }
  // The link to a closed port: CONNECT errors, one per attempt, no sync, no data.
  std::map<std::string, std::string> b = {{"link", "backoff"}};
  EXPECT_GE(e.Value("redlink_link_errors_total", {{"link", "backoff"}, {"step", "CONNECT"}}), 1);
  EXPECT_GE(e.Value("redlink_link_connect_attempts_total", b), 1);
  EXPECT_EQ(e.Value("redlink_link_full_syncs_total", b), 0);
  EXPECT_EQ(e.Value("redlink_link_repl_offset_bytes", b), 0);
  EXPECT_EQ(e.Value("redlink_link_keys", {{"link", "backoff"}, {"db", "0"}}), 0);
  // The FAILED link: one STREAM error, its offset kept at the last good one.
  EXPECT_EQ(e.Value("redlink_link_errors_total", {{"link", "failed"}, {"step", "STREAM"}}), 1);
  EXPECT_EQ(e.Value("redlink_link_repl_offset_bytes", {{"link", "failed"}}), 100);
  EXPECT_EQ(e.Value("redlink_link_full_syncs_total", {{"link", "failed"}}), 1);
  // Every link has a series in each per-link family.
  for (const char* family :
       {"redlink_link_repl_offset_bytes", "redlink_link_last_io_age_seconds",
        "redlink_link_full_syncs_total", "redlink_link_partial_syncs_total",
        "redlink_link_connect_attempts_total", "redlink_link_rdb_bytes_received_total",
        "redlink_link_commands_applied_total", "redlink_link_dataset_bytes",
        "redlink_link_last_full_sync_duration_seconds", "redlink_link_commands_skipped_total",
        "redlink_link_state_age_seconds", "redlink_link_info"}) {
    EXPECT_EQ(e.LabelValues(family, "link").size(), 5u) << family;
  }
  EXPECT_EQ(e.Find("redlink_link_errors_total").size(), 5u * 7u);
}

TEST_F(MetricsScrapeTest, EngineAndProcessFigures) {
  Exposition e = ParseExposition(Scrape());
  // Two loops (RedlinkdProcess's default), five links between them.
  EXPECT_EQ(e.LabelValues("redlink_loop_links", "loop"), (std::set<std::string>{"0", "1"}));
  double links = 0;
  for (const auto& s : e.Find("redlink_loop_links")) links += s.value;
  EXPECT_EQ(links, 5);
  for (const char* f : {"redlink_loop_tasks_run_total", "redlink_loop_io_events_total",
                        "redlink_loop_busy_seconds_total"}) {
    double sum = 0;
    for (const auto& s : e.Find(f)) sum += s.value;
    EXPECT_GT(sum, 0) << f;
  }
  EXPECT_EQ(e.Find("redlink_loop_posts_rejected_total").size(), 2u);
  EXPECT_EQ(e.Find("redlink_loop_clients").size(), 2u);
  EXPECT_EQ(e.Value("redlink_log_lines_dropped_total"), 0);
  EXPECT_GT(e.Value("redlink_log_lines_total", {{"level", "info"}}), 0);
  EXPECT_GT(e.Value("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(e.Value("process_cpu_seconds_total"), 0);
  EXPECT_GT(e.Value("process_open_fds"), 5);
  double start = e.Value("process_start_time_seconds");
  double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  EXPECT_GT(start, now - 600);
  EXPECT_LE(start, now + 1);
  // A RESP client shows up on its loop.
  RespClient client = redlink().ReadClient("streaming-a");
  ASSERT_EQ(client.Command({"PING"}), "PONG");
  auto clients = [&] {
    double n = 0;
    for (const auto& s : ParseExposition(Scrape()).Find("redlink_loop_clients")) n += s.value;
    return n;
  };
  EXPECT_TRUE(WaitFor([&] { return clients() == 1; })) << clients();
}

TEST_F(MetricsScrapeTest, GrpcRequestsByMethodAndCode) {
  auto count = [&](const std::string& method, const std::string& code) {
    double v = ParseExposition(Scrape()).Value("redlink_grpc_requests_total",
                                               {{"method", method}, {"code", code}});
    return std::isnan(v) ? 0.0 : v;
  };
  double not_found = count("GetLink", "NOT_FOUND");
  double ok = count("GetLink", "OK");
  v1::Link link;
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(redlink().GetLink("no-such-link", &link).ok());
  EXPECT_TRUE(redlink().GetLink("backoff", &link).ok());
  // The page is rendered at most every 100 ms (MetricsServer::kPageMaxAge): poll.
  EXPECT_TRUE(WaitFor([&] { return count("GetLink", "NOT_FOUND") == not_found + 3; }))
      << count("GetLink", "NOT_FOUND");
  EXPECT_EQ(count("GetLink", "OK"), ok + 1);
  EXPECT_GE(count("CreateLink", "OK"), 5);
  EXPECT_GE(count("PauseLink", "OK"), 1);

  // Health checks (RedlinkdProcess polled them at start) count under their method name.
  double checks = count("Check", "OK");
  EXPECT_GE(checks, 1);
  auto health = grpc::health::v1::Health::NewStub(redlink().channel());
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest hreq;
  grpc::health::v1::HealthCheckResponse hresp;
  ASSERT_TRUE(health->Check(&ctx, hreq, &hresp).ok());
  EXPECT_TRUE(WaitFor([&] { return count("Check", "OK") == checks + 1; })) << count("Check", "OK");

  // An unknown method: method="other", never its name (bounded cardinality).
  grpc::GenericStub generic(redlink().channel());
  grpc::ClientContext gctx;
  gctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  grpc::Slice empty_slice("");
  grpc::ByteBuffer request(&empty_slice, 1), response;
  grpc::Status s;
  std::atomic<bool> done{false};
  generic.UnaryCall(&gctx, "/redlink.v1.LinkService/NoSuchMethod", grpc::StubOptions(), &request,
                    &response, [&](grpc::Status status) {
                      s = status;
                      done = true;
                    });
  ASSERT_TRUE(WaitFor([&] { return done.load(); }));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  Exposition e = ParseExposition(Scrape());
  EXPECT_TRUE(e.Find("redlink_grpc_requests_total", {{"method", "NoSuchMethod"}}).empty());
  for (const auto& m : e.LabelValues("redlink_grpc_requests_total", "method")) {
    EXPECT_NE(m.find('/'), 0u) << "full method names are not labels: " << m;
  }
  // Whether gRPC runs interceptors for a method no service registered is up to gRPC: if it
  // does, the call is "other".
  double other =
      e.Value("redlink_grpc_requests_total", {{"method", "other"}, {"code", "UNIMPLEMENTED"}});
  if (!std::isnan(other)) {
    EXPECT_EQ(other, 1);
  }

  // The latency histogram, per method.
  EXPECT_EQ(e.types["redlink_grpc_request_duration_seconds"], "histogram");
  double hist_count =
      e.Value("redlink_grpc_request_duration_seconds_count", {{"method", "GetLink"}});
  double by_code = 0;
  for (const auto& smp : e.Find("redlink_grpc_requests_total", {{"method", "GetLink"}})) {
    by_code += smp.value;
  }
  EXPECT_EQ(hist_count, by_code);
  EXPECT_EQ(e.Value("redlink_grpc_request_duration_seconds_bucket",
                    {{"method", "GetLink"}, {"le", "+Inf"}}),
            hist_count);
  EXPECT_GT(e.Value("redlink_grpc_request_duration_seconds_sum", {{"method", "GetLink"}}), 0);
}

// The applied-commands counter follows the master's writes (its own master and redlinkd, so the
// shared fixture's figures stay as they are).
TEST(MetricsApplyTest, CommandsAppliedFollowTheMaster) {
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  RedisServer master;
  ASSERT_TRUE(master.ok());
  ASSERT_TRUE(redlink.CreateLink("writer", master.port()).ok());
  v1::Link link;
  ASSERT_TRUE(
      redlink.WaitState("writer", v1::LINK_STATE_STREAMING, std::chrono::seconds(30), &link))
      << link.ShortDebugString();
  for (int i = 0; i < 10; ++i) master.Cmd({"SET", "moved:" + std::to_string(i), "v"});
  bool applied = redlink.WaitLink(
      "writer",
      [](const v1::Link& l) {
        return l.commands_applied() >= 10 || l.state() == v1::LINK_STATE_FAILED;
      },
      &link);
  ASSERT_TRUE(applied) << link.ShortDebugString();
  Exposition e;
  std::map<std::string, std::string> l = {{"link", "writer"}};
  ASSERT_TRUE(WaitFor([&] {
    e = ParseExposition(HttpGet(redlink.metrics_port(), "/metrics"));
    return redlink.GetLink("writer", &link).ok() &&
           e.Value("redlink_link_commands_applied_total", l) ==
               static_cast<double>(link.commands_applied()) &&
           e.Value("redlink_link_keys", {{"link", "writer"}, {"db", "0"}}) == 10;
  })) << link.ShortDebugString();
  EXPECT_EQ(e.Value("redlink_link_commands_applied_total", l), link.commands_applied());
  EXPECT_GE(e.Value("redlink_link_commands_applied_total", l), 10);
  EXPECT_EQ(e.Value("redlink_link_repl_offset_bytes", l), link.master_repl_offset());
  EXPECT_EQ(e.Value("redlink_link_keys", {{"link", "writer"}, {"db", "0"}}), 10);
  EXPECT_EQ(e.Value("redlink_link_commands_skipped_total", l), 0);
}

// Last in this suite: it deletes a link of the shared fixture.
TEST_F(MetricsScrapeTest, ZDeletedLinkSeriesDisappear) {
  Exposition before = ParseExposition(Scrape());
  size_t with_label = 0;
  for (const auto& s : before.samples)
    with_label += s.labels.count("link") && s.labels.at("link") == "paused";
  EXPECT_GT(with_label, 20u);
  v1::DeleteLinkRequest req;
  req.set_link_id("paused");
  google::protobuf::Empty empty;
  auto ctx = redlink().Context();
  ASSERT_TRUE(redlink().stub().DeleteLink(ctx.get(), req, &empty).ok());
  // DeleteLink returns once the link is gone: the very next scrape has none of its series.
  Exposition after = ParseExposition(Scrape());
  for (const auto& s : after.samples) {
    auto it = s.labels.find("link");
    EXPECT_TRUE(it == s.labels.end() || it->second != "paused") << s.name;
  }
  EXPECT_EQ(after.Value("redlink_links", {{"state", "PAUSED"}}), 0);
  double links = 0;
  for (const auto& s : after.Find("redlink_loop_links")) links += s.value;
  EXPECT_EQ(links, 4);
}

// Scrapes while links come and go: no crash, every page parses, promtool accepts them.
TEST(MetricsScrapeChurnTest, ScrapesDuringCreateAndDelete) {
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  int closed = FreePort();
  std::atomic<bool> stop{false};
  std::atomic<int> scrapes{0}, bad{0};
  std::string last_problem;
  std::thread scraper([&] {
    while (!stop) {
      int status = 0;
      std::string page = HttpGet(redlink.metrics_port(), "/metrics", &status);
      Exposition e = ParseExposition(page);
      if (status != 200 || !e.errors.empty()) ++bad;
      ++scrapes;
    }
  });
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 30; ++i) {
      ASSERT_TRUE(redlink.CreateLink("churn-" + std::to_string(i), closed).ok());
    }
    for (int i = 0; i < 30; ++i) {
      v1::DeleteLinkRequest req;
      req.set_link_id("churn-" + std::to_string(i));
      google::protobuf::Empty empty;
      auto ctx = redlink.Context();
      ASSERT_TRUE(redlink.stub().DeleteLink(ctx.get(), req, &empty).ok());
    }
  }
  stop = true;
  scraper.join();
  EXPECT_GT(scrapes.load(), 0);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(redlink.process().running());
  Exposition e = ParseExposition(HttpGet(redlink.metrics_port(), "/metrics"));
  EXPECT_TRUE(e.Find("redlink_link_state").empty());
  std::string problems;
  EXPECT_EQ(PromtoolCheckMetrics(HttpGet(redlink.metrics_port(), "/metrics"), &problems), 0)
      << problems;
}

// The API token guards LinkService; the interceptor counts the refusals and logs them at most
// once per 10 s, without the token.
TEST(MetricsAuthTest, UnauthenticatedCountedAndLoggedRateLimited) {
  RedlinkdProcess::Options options;
  options.token = "tok-3f9a-secret-never-logged";
  RedlinkdProcess redlink(options);
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  auto stub = v1::LinkService::NewStub(redlink.channel());
  for (int i = 0; i < 20; ++i) {
    grpc::ClientContext ctx;
    if (i % 2) ctx.AddMetadata("authorization", "Bearer wrong-token-0xdeadbeef");
    v1::GetLinkRequest req;
    req.set_link_id("x");
    v1::Link link;
    EXPECT_EQ(stub->GetLink(&ctx, req, &link).error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  Exposition e = ParseExposition(HttpGet(redlink.metrics_port(), "/metrics"));
  EXPECT_EQ(
      e.Value("redlink_grpc_requests_total", {{"method", "GetLink"}, {"code", "UNAUTHENTICATED"}}),
      20);
  // Health stays open.
  EXPECT_GE(e.Value("redlink_grpc_requests_total", {{"method", "Check"}, {"code", "OK"}}), 1);
  redlink.Terminate();
  std::string log = redlink.log();
  size_t lines = 0;
  for (size_t pos = log.find("UNAUTHENTICATED"); pos != std::string::npos;
       pos = log.find("UNAUTHENTICATED", pos + 1)) {
    ++lines;
  }
  EXPECT_EQ(lines, 1u) << log;
  EXPECT_NE(log.find("GetLink"), std::string::npos) << log;
  EXPECT_EQ(log.find(options.token), std::string::npos) << log;
  EXPECT_EQ(log.find("wrong-token-0xdeadbeef"), std::string::npos) << log;
}

TEST(MetricsServerTest, BadAddressOrTakenPortStopsRedlinkd) {
  int port = FreePort();
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  TempDir dir;
  Process proc({RedlinkdPath(), "--grpc_addr=127.0.0.1:" + std::to_string(FreePort()),
                "--resp_addr=127.0.0.1:" + std::to_string(FreePort()),
                "--metrics_addr=127.0.0.1:" + std::to_string(port), "--data_dir=" + dir.path()},
               dir.File("log"));
  ASSERT_TRUE(WaitFor([&] { return !proc.running(); }, std::chrono::seconds(20)));
  std::string log = proc.ReadLog();
  EXPECT_NE(log.find("metrics"), std::string::npos) << log;
  close(fd);
}

}  // namespace
}  // namespace redlink::testing::metrics
