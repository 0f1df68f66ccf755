// MetricsCollector and GrpcMetrics without a server: families built from hand-made link
// snapshots, the text page prometheus-cpp serializes from them (promtool accepts it), the
// gRPC counters and histogram, and /proc figures.

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <thread>

#include "prometheus/text_serializer.h"
#include "service/grpc_metrics.h"
#include "service/metrics.h"
#include "tests/integration/metrics_test_util.h"

namespace redlink::service {
namespace {

using engine::LinkState;
using engine::LinkStatus;
using engine::LinkStatusPtr;
using testing::metrics::Exposition;
using testing::metrics::ParseExposition;

LinkStatusPtr MakeLink(std::string id, LinkState state, absl::Time now) {
  auto s = std::make_shared<LinkStatus>();
  s->id = std::move(id);
  s->host = "10.0.0.5";
  s->port = 6379;
  s->password_set = true;
  s->state = state;
  s->state_since = now - absl::Seconds(30);
  s->create_time = now - absl::Minutes(5);
  return s;
}

std::string Serialize(const std::vector<prometheus::MetricFamily>& families) {
  return prometheus::TextSerializer().Serialize(families);
}

TEST(MetricsCollectorTest, PerLinkFamilies) {
  absl::Time now = absl::Now();
  auto a = std::const_pointer_cast<LinkStatus>(MakeLink("cache-a", LinkState::kStreaming, now));
  a->repl_offset = 123456;
  a->last_io_at = now - absl::Milliseconds(1500);
  a->full_syncs = 2;
  a->partial_syncs = 3;
  a->connect_attempts = 5;
  a->commands_applied = 1000;
  a->commands_skipped = 7;
  a->rdb_bytes_received_total = 4096;
  a->last_full_sync_duration_seconds = 1.25;
  a->errors_by_step[static_cast<int>(engine::ErrorStep::kAuth)] = 4;
  a->errors_by_step[static_cast<int>(engine::ErrorStep::kStream)] = 1;
  a->keys = {{0, 10, 1}, {3, 5, 0}};
  a->dataset_bytes = 777;
  auto b = std::const_pointer_cast<LinkStatus>(MakeLink("cache-b", LinkState::kBackoff, now));
  b->repl_offset = -1;  // never synced
  b->rdb_bytes_expected = 100;
  b->rdb_bytes_received = 40;

  std::vector<prometheus::MetricFamily> families;
  MetricsCollector::CollectLinks({a, b}, now, &families);
  Exposition e = ParseExposition(Serialize(families));
  ASSERT_TRUE(e.errors.empty()) << e.errors.front();

  EXPECT_EQ(e.Find("redlink_link_state").size(), 2u * engine::kNumLinkStates);
  EXPECT_EQ(e.Value("redlink_link_state", {{"link", "cache-a"}, {"state", "STREAMING"}}), 1);
  EXPECT_EQ(e.Value("redlink_link_state", {{"link", "cache-a"}, {"state", "BACKOFF"}}), 0);
  EXPECT_EQ(e.Value("redlink_link_state", {{"link", "cache-b"}, {"state", "BACKOFF"}}), 1);
  EXPECT_EQ(e.Value("redlink_link_state", {{"link", "cache-b"}, {"state", "UNSPECIFIED"}}), 0);
  EXPECT_EQ(e.Value("redlink_links", {{"state", "STREAMING"}}), 1);
  EXPECT_EQ(e.Value("redlink_links", {{"state", "BACKOFF"}}), 1);
  EXPECT_EQ(e.Value("redlink_links", {{"state", "FAILED"}}), 0);
  EXPECT_EQ(e.Find("redlink_links").size(), 11u);

  std::map<std::string, std::string> la = {{"link", "cache-a"}};
  std::map<std::string, std::string> lb = {{"link", "cache-b"}};
  EXPECT_EQ(e.Value("redlink_link_repl_offset_bytes", la), 123456);
  EXPECT_EQ(e.Value("redlink_link_repl_offset_bytes", lb), 0);
  EXPECT_NEAR(e.Value("redlink_link_last_io_age_seconds", la), 1.5, 1e-3);
  EXPECT_NEAR(e.Value("redlink_link_last_io_age_seconds", lb), 300, 1e-3);  // since creation
  EXPECT_NEAR(e.Value("redlink_link_state_age_seconds", la), 30, 1e-3);
  EXPECT_EQ(e.Value("redlink_link_full_syncs_total", la), 2);
  EXPECT_EQ(e.Value("redlink_link_partial_syncs_total", la), 3);
  EXPECT_EQ(e.Value("redlink_link_connect_attempts_total", la), 5);
  EXPECT_EQ(e.Value("redlink_link_commands_applied_total", la), 1000);
  EXPECT_EQ(e.Value("redlink_link_commands_skipped_total", la), 7);
  EXPECT_EQ(e.Value("redlink_link_rdb_bytes_received_total", la), 4096);
  EXPECT_EQ(e.Value("redlink_link_rdb_transfer_expected_bytes", lb), 100);
  EXPECT_EQ(e.Value("redlink_link_rdb_transfer_received_bytes", lb), 40);
  EXPECT_EQ(e.Value("redlink_link_last_full_sync_duration_seconds", la), 1.25);
  EXPECT_EQ(e.Value("redlink_link_dataset_bytes", la), 777);
  EXPECT_EQ(e.Value("redlink_link_errors_total", {{"link", "cache-a"}, {"step", "AUTH"}}), 4);
  EXPECT_EQ(e.Value("redlink_link_errors_total", {{"link", "cache-a"}, {"step", "STREAM"}}), 1);
  EXPECT_EQ(e.Value("redlink_link_errors_total", {{"link", "cache-a"}, {"step", "CONNECT"}}), 0);
  EXPECT_EQ(e.LabelValues("redlink_link_errors_total", "step"),
            (std::set<std::string>{"CONNECT", "PING", "AUTH", "REPLCONF", "PSYNC", "TRANSFER",
                                   "STREAM"}));
  EXPECT_EQ(e.Value("redlink_link_keys", {{"link", "cache-a"}, {"db", "0"}}), 10);
  EXPECT_EQ(e.Value("redlink_link_keys", {{"link", "cache-a"}, {"db", "3"}}), 5);
  EXPECT_EQ(e.Value("redlink_link_keys", {{"link", "cache-b"}, {"db", "0"}}), 0);  // always db 0
  EXPECT_EQ(e.Value("redlink_link_info", {{"link", "cache-a"}, {"master", "10.0.0.5:6379"}}), 1);
  // Types and units.
  EXPECT_EQ(e.types["redlink_link_state"], "gauge");
  EXPECT_EQ(e.types["redlink_link_errors_total"], "counter");
  EXPECT_EQ(e.types["redlink_link_keys"], "gauge");
  for (const auto& [name, count] : e.help_lines) EXPECT_EQ(count, 1) << name;
}

TEST(MetricsCollectorTest, NoLinksNoLinkSeries) {
  std::vector<prometheus::MetricFamily> families;
  MetricsCollector::CollectLinks({}, absl::Now(), &families);
  Exposition e = ParseExposition(Serialize(families));
  EXPECT_TRUE(e.Find("redlink_link_state").empty());
  EXPECT_EQ(e.Find("redlink_links").size(), 11u);  // all zero, so sum() and alerts see 0
  for (const auto& s : e.Find("redlink_links")) EXPECT_EQ(s.value, 0);
}

TEST(MetricsCollectorTest, PromtoolAcceptsManyLinks) {
  absl::Time now = absl::Now();
  std::vector<LinkStatusPtr> links;
  for (int i = 0; i < 200; ++i) {
    links.push_back(MakeLink("link-" + std::to_string(i), static_cast<LinkState>(i % 11), now));
  }
  std::vector<prometheus::MetricFamily> families;
  MetricsCollector::CollectLinks(links, now, &families);
  GrpcMetrics grpc;
  grpc.Record(0, grpc::StatusCode::NOT_FOUND, 0.002);
  grpc.Collect(&families);
  std::string page = Serialize(families);
  std::string problems;
  EXPECT_EQ(testing::metrics::PromtoolCheckMetrics(page, &problems), 0) << problems;
  EXPECT_EQ(problems, "");
}

TEST(GrpcMetricsTest, MethodLabelsAreShortNamesWithOther) {
  GrpcMetrics m;
  EXPECT_EQ(m.MethodLabel(m.MethodIndex("/redlink.v1.LinkService/CreateLink")), "CreateLink");
  EXPECT_EQ(m.MethodLabel(m.MethodIndex("/redlink.v1.LinkService/WatchLinks")), "WatchLinks");
  EXPECT_EQ(m.MethodLabel(m.MethodIndex("/grpc.health.v1.Health/Check")), "Check");
  EXPECT_EQ(m.MethodLabel(m.MethodIndex("/grpc.health.v1.Health/Watch")), "Watch");
  EXPECT_EQ(m.MethodLabel(
                m.MethodIndex("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")),
            "ServerReflectionInfo");
  EXPECT_EQ(m.MethodIndex("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"),
            m.MethodIndex("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"));
  EXPECT_EQ(m.MethodIndex("/redlink.v1.LinkService/Nope"), m.other_index());
  EXPECT_EQ(m.MethodIndex("CreateLink"), m.other_index());  // only full names match
  EXPECT_EQ(m.MethodIndex(nullptr), m.other_index());
  EXPECT_EQ(m.MethodLabel(m.other_index()), "other");
  // All nine LinkService RPCs, from the proto descriptor.
  for (const char* rpc : {"CreateLink", "GetLink", "ListLinks", "UpdateLink", "SetLinkAuth",
                          "PauseLink", "ResumeLink", "DeleteLink", "WatchLinks"}) {
    EXPECT_NE(m.MethodIndex(("/redlink.v1.LinkService/" + std::string(rpc)).c_str()),
              m.other_index())
        << rpc;
  }
}

TEST(GrpcMetricsTest, CountsAndHistogram) {
  GrpcMetrics m({"/redlink.v1.LinkService/GetLink", "/redlink.v1.LinkService/CreateLink"});
  int get = m.MethodIndex("/redlink.v1.LinkService/GetLink");
  m.Record(get, grpc::StatusCode::OK, 0.0004);
  m.Record(get, grpc::StatusCode::OK, 0.003);
  m.Record(get, grpc::StatusCode::NOT_FOUND, 0.2);
  m.Record(get, grpc::StatusCode::UNAUTHENTICATED, 20);     // beyond the last bucket
  m.Record(get, static_cast<grpc::StatusCode>(99), 0.001);  // not a code: UNKNOWN
  std::vector<prometheus::MetricFamily> families;
  m.Collect(&families);
  Exposition e = ParseExposition(Serialize(families));
  ASSERT_TRUE(e.errors.empty()) << e.errors.front();
  auto v = [&](const std::string& method, const std::string& code) {
    return e.Value("redlink_grpc_requests_total", {{"method", method}, {"code", code}});
  };
  EXPECT_EQ(v("GetLink", "OK"), 2);
  EXPECT_EQ(v("GetLink", "NOT_FOUND"), 1);
  EXPECT_EQ(v("GetLink", "UNAUTHENTICATED"), 1);
  EXPECT_EQ(v("GetLink", "UNKNOWN"), 1);
  EXPECT_EQ(v("CreateLink", "OK"), 0);                    // (method, OK) always present
  EXPECT_TRUE(std::isnan(v("CreateLink", "NOT_FOUND")));  // unseen pairs are not
  EXPECT_TRUE(e.Find("redlink_grpc_requests_total", {{"method", "other"}}).empty());
  // Histograms only for methods that were called.
  EXPECT_EQ(e.LabelValues("redlink_grpc_request_duration_seconds_count", "method"),
            (std::set<std::string>{"GetLink"}));
  EXPECT_EQ(m.CountForTest("GetLink", grpc::StatusCode::OK), 2u);

  auto bucket = [&](const std::string& le) {
    return e.Value("redlink_grpc_request_duration_seconds_bucket",
                   {{"method", "GetLink"}, {"le", le}});
  };
  EXPECT_EQ(bucket("0.0005"), 1);
  EXPECT_EQ(bucket("0.001"), 2);
  EXPECT_EQ(bucket("0.005"), 3);
  EXPECT_EQ(bucket("0.25"), 4);
  EXPECT_EQ(bucket("10"), 4);
  EXPECT_EQ(bucket("+Inf"), 5);
  EXPECT_EQ(e.Value("redlink_grpc_request_duration_seconds_count", {{"method", "GetLink"}}), 5);
  EXPECT_NEAR(e.Value("redlink_grpc_request_duration_seconds_sum", {{"method", "GetLink"}}),
              20.2044, 1e-6);

  // An unknown method shows up as "other" once seen.
  m.Record(m.MethodIndex("/x.Y/Z"), grpc::StatusCode::UNIMPLEMENTED, 0.001);
  families.clear();
  m.Collect(&families);
  e = ParseExposition(Serialize(families));
  EXPECT_EQ(
      e.Value("redlink_grpc_requests_total", {{"method", "other"}, {"code", "UNIMPLEMENTED"}}), 1);
  EXPECT_EQ(e.Value("redlink_grpc_request_duration_seconds_count", {{"method", "other"}}), 1);
}

TEST(GrpcMetricsTest, ConcurrentRecordAndCollect) {
  GrpcMetrics m;
  int method = m.MethodIndex("/redlink.v1.LinkService/ListLinks");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) m.Record(method, grpc::StatusCode::OK, 1e-4 * (i % 50));
    });
  }
  for (int i = 0; i < 50; ++i) {
    std::vector<prometheus::MetricFamily> families;
    m.Collect(&families);
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(m.CountForTest("ListLinks", grpc::StatusCode::OK), 40000u);
}

TEST(GrpcMetricsTest, CodeNames) {
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::NOT_FOUND), "NOT_FOUND");
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::RESOURCE_EXHAUSTED), "RESOURCE_EXHAUSTED");
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_STREQ(GrpcCodeName(static_cast<grpc::StatusCode>(-1)), "UNKNOWN");
}

TEST(ProcessStatsTest, ReadsProc) {
  ProcessStats p;
  ASSERT_TRUE(ReadProcessStats(&p));
  EXPECT_GT(p.resident_memory_bytes, 1 << 20);
  EXPECT_GT(p.virtual_memory_bytes, p.resident_memory_bytes);
  EXPECT_GT(p.open_fds, 2);
  EXPECT_GE(p.max_fds, p.open_fds);
  double now = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  EXPECT_LE(p.start_time_seconds, now + 1);
  EXPECT_GT(p.start_time_seconds, now - 3600);
  // CPU time grows with work.
  double before = p.cpu_seconds;
  volatile double x = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  while (std::chrono::steady_clock::now() < until) x = x + 1;
  ASSERT_TRUE(ReadProcessStats(&p));
  EXPECT_GT(p.cpu_seconds, before);
}

// A started engine with `threads` loops, no links and no RESP endpoint.
std::unique_ptr<engine::Engine> StartedEngine(int threads) {
  engine::EngineOptions options;
  options.threads = threads;
  options.resp_addr = "";
  auto eng = std::make_unique<engine::Engine>(options);
  EXPECT_TRUE(eng->Start().ok());
  return eng;
}

// A real engine (no links) behind a real Exposer on a free port.
TEST(MetricsServerTest, ServesTheEngineFamilies) {
  std::unique_ptr<engine::Engine> engine_owner = StartedEngine(2);
  engine::Engine& eng = *engine_owner;
  GrpcMetrics grpc;
  auto server = StartMetrics("127.0.0.1:0", &eng, &grpc);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  int status = 0;
  std::string page = testing::metrics::HttpGet((*server)->port(), "/metrics", &status);
  EXPECT_EQ(status, 200);
  Exposition e = ParseExposition(page);
  EXPECT_EQ(e.Find("redlink_loop_busy_seconds_total").size(), 2u);
  EXPECT_EQ(e.Find("redlink_links").size(), 11u);
  EXPECT_FALSE(e.Find("redlink_grpc_requests_total").empty());
  EXPECT_FALSE(e.Find("process_cpu_seconds_total").empty());
  EXPECT_FALSE(e.Find("redlink_log_lines_dropped_total").empty());
  std::string problems;
  EXPECT_EQ(testing::metrics::PromtoolCheckMetrics(page, &problems), 0) << problems;
  // Another server on the same port is refused with a status, not an exception.
  auto second = StartMetrics("127.0.0.1:" + std::to_string((*server)->port()), &eng, &grpc);
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable) << second.status();
  EXPECT_EQ(StartMetrics("no-port", &eng, &grpc).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StartMetrics("127.0.0.1:99999", &eng, &grpc).status().code(),
            absl::StatusCode::kInvalidArgument);
  server->reset();
  eng.Stop();
}

// gunzip of a whole gzip member ("" when it is not one).
std::string Gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, MAX_WBITS + 16) != Z_OK) return "";
  std::string out;
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc = Z_OK;
  char buf[65536];
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END ? out : "";
}

// Scrapes within the page's max age share one rendered page; gzip is the same page compressed.
TEST(MetricsServerTest, ScrapesShareARecentPageAndGzipIt) {
  std::unique_ptr<engine::Engine> engine_owner = StartedEngine(1);
  engine::Engine& eng = *engine_owner;
  GrpcMetrics grpc;
  auto cached = StartMetrics("127.0.0.1:0", &eng, &grpc, absl::Hours(1));
  auto fresh = StartMetrics("127.0.0.1:0", &eng, &grpc, absl::ZeroDuration());
  ASSERT_TRUE(cached.ok()) << cached.status();
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  const std::string kOkGet = "redlink_grpc_requests_total{method=\"GetLink\",code=\"OK\"} ";
  auto count = [&](const std::string& page) {
    size_t at = page.find(kOkGet);
    return at == std::string::npos
               ? std::string("missing")
               : page.substr(at + kOkGet.size(), page.find('\n', at) - at - kOkGet.size());
  };
  int status = 0;
  std::string first = testing::metrics::HttpGet((*cached)->port(), "/metrics", &status);
  ASSERT_EQ(status, 200);
  EXPECT_EQ(count(first), "0") << first;
  EXPECT_EQ(count(testing::metrics::HttpGet((*fresh)->port(), "/metrics")), "0");
  grpc.Record(grpc.MethodIndex("/redlink.v1.LinkService/GetLink"), grpc::StatusCode::OK, 0.001);
  // The cached page still says 0 (and is byte for byte the first one); a fresh render says 1.
  EXPECT_EQ(testing::metrics::HttpGet((*cached)->port(), "/metrics"), first);
  EXPECT_EQ(count(testing::metrics::HttpGet((*fresh)->port(), "/metrics")), "1");
  std::string headers;
  std::string gz =
      testing::metrics::HttpGet((*cached)->port(), "/metrics", &status, std::chrono::seconds(10),
                                "Accept-Encoding: gzip, deflate\r\n", &headers);
  EXPECT_EQ(status, 200);
  EXPECT_NE(headers.find("Content-Encoding: gzip"), std::string::npos) << headers;
  EXPECT_NE(headers.find("Content-Type: text/plain; version=0.0.4"), std::string::npos);
  EXPECT_LT(gz.size(), first.size());
  EXPECT_EQ(Gunzip(gz), first);
  // Other paths still go to the Exposer (404), and the page passes promtool.
  testing::metrics::HttpGet((*cached)->port(), "/other", &status);
  EXPECT_EQ(status, 404);
  std::string problems;
  EXPECT_EQ(testing::metrics::PromtoolCheckMetrics(first, &problems), 0) << problems;
  cached->reset();
  fresh->reset();
  eng.Stop();
}

}  // namespace
}  // namespace redlink::service
