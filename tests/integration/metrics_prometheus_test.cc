// A real Prometheus server (Debian's 2.42) scrapes a live redlinkd every second, and PromQL over
// its HTTP API finds the links by state: what an operator's dashboards and alerts will see.

#include <gtest/gtest.h>

#include "tests/integration/metrics_test_util.h"

namespace redlink::testing::metrics {
namespace {

using nlohmann::json;

std::set<std::string> LinksOf(const json& result) {
  std::set<std::string> out;
  for (const auto& r : result) out.insert(r["metric"].value("link", ""));
  return out;
}

// Polls `promql` until the "link" labels of its result are `want` (Prometheus needs a scrape or
// two after a change).
bool WaitLinks(PrometheusServer& prom, const std::string& promql, const std::set<std::string>& want,
               std::set<std::string>* got) {
  return WaitFor(
      [&] {
        *got = LinksOf(prom.Query(promql));
        return *got == want;
      },
      std::chrono::seconds(30));
}

std::string Join(const std::set<std::string>& s) {
  std::string out;
  for (const auto& x : s) out += (out.empty() ? "" : ",") + x;
  return out;
}

class MetricsPrometheusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.ok()) << env_.what();
    ASSERT_TRUE(prom_.ok()) << prom_.log();
  }
  LinksInSeveralStates env_;
  PrometheusServer prom_{env_.redlink().metrics_port()};
};

// Works with any link that can reach its master or not: a link to a closed port backs off.
TEST_F(MetricsPrometheusTest, BackoffLinksByPromQL) {
  std::set<std::string> got;
  EXPECT_TRUE(WaitLinks(prom_, "redlink_link_state{state=\"BACKOFF\"} == 1", {"backoff"}, &got))
      << Join(got) << " " << prom_.last_error();
  EXPECT_TRUE(WaitLinks(prom_, "redlink_link_state{state=\"PAUSED\"} == 1", {"paused"}, &got))
      << Join(got);
  EXPECT_TRUE(WaitLinks(prom_, "redlink_link_state{state=\"FAILED\"} == 1", {"failed"}, &got))
      << Join(got);
  EXPECT_TRUE(WaitLinks(prom_,
                        "increase(redlink_link_errors_total{step=\"CONNECT\"}[1m]) > 0 or "
                        "redlink_link_errors_total{step=\"CONNECT\"} > 0",
                        {"backoff"}, &got))
      << Join(got);
}

TEST_F(MetricsPrometheusTest, StreamingLinksByPromQL) {
  std::set<std::string> got;
  EXPECT_TRUE(WaitLinks(prom_, "redlink_link_state{state=\"STREAMING\"} == 1",
                        {"streaming-a", "streaming-b"}, &got))
      << Join(got) << " " << prom_.last_error();
  // The target is healthy and the scrape had no error.
  json targets = prom_.Api("targets");
  ASSERT_FALSE(targets.is_null()) << prom_.last_error();
  ASSERT_EQ(targets["activeTargets"].size(), 1u);
  EXPECT_EQ(targets["activeTargets"][0].value("health", ""), "up") << targets.dump();
  EXPECT_EQ(targets["activeTargets"][0].value("lastError", "x"), "") << targets.dump();
  // Aggregations the dashboard uses.
  json by_state = prom_.Query("sum by (state) (redlink_links)");
  std::map<std::string, double> counts;
  for (const auto& r : by_state) {
    counts[r["metric"].value("state", "")] = std::stod(r["value"][1].get<std::string>());
  }
  EXPECT_EQ(counts["STREAMING"], 2) << by_state.dump();
  EXPECT_EQ(counts["BACKOFF"], 1) << by_state.dump();
  EXPECT_EQ(counts.size(), 11u) << by_state.dump();
}

// Writes on a master show up in Prometheus as an applied-commands increase. Its own redlinkd and
// master, so a link that cannot apply the stream yet does not disturb the fixture above.
TEST(MetricsPrometheusApplyTest, AppliedCommandsIncrease) {
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  RedisServer master;
  ASSERT_TRUE(master.ok());
  PrometheusServer prom(redlink.metrics_port());
  ASSERT_TRUE(prom.ok()) << prom.log();
  ASSERT_TRUE(redlink.CreateLink("writer", master.port()).ok());
  std::set<std::string> got;
  ASSERT_TRUE(WaitLinks(prom, "redlink_link_state{state=\"STREAMING\"} == 1", {"writer"}, &got))
      << Join(got);
  for (int i = 0; i < 200; ++i) master.Cmd({"INCR", "counter"});
  v1::Link link;
  redlink.WaitLink(
      "writer",
      [](const v1::Link& l) {
        return l.commands_applied() >= 200 || l.state() == v1::LINK_STATE_FAILED;
      },
      &link);
  ASSERT_NE(link.state(), v1::LINK_STATE_FAILED) << link.ShortDebugString();
  EXPECT_TRUE(WaitFor(
      [&] {
        nlohmann::json r = prom.Query("sum(increase(redlink_link_commands_applied_total[1m]))");
        return r.size() == 1 && std::stod(r[0]["value"][1].get<std::string>()) >= 150;
      },
      std::chrono::seconds(30)));
}

}  // namespace
}  // namespace redlink::testing::metrics
