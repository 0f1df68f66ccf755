// The Grafana dashboard (deploy/grafana/redlink-dashboard.json) and the alert rules
// (deploy/prometheus/redlink-alerts.yaml) against a live redlinkd: promtool accepts the rules,
// the dashboard parses, every metric name their expressions read exists in a live scrape, and
// every expression runs without error on a real Prometheus server scraping redlinkd.

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <regex>

#include "tests/integration/metrics_test_util.h"

namespace redlink::testing::metrics {
namespace {

using nlohmann::json;

// The source tree: $REDLINK_SOURCE_DIR, else the one this test was built from (CTest's
// ENVIRONMENT for gtest_discover_tests carries only the first variable of the list today).
std::string Root() {
  if (getenv("REDLINK_SOURCE_DIR")) return SourceDir();
#ifdef REDLINK_METRICS_SOURCE_DIR
  return REDLINK_METRICS_SOURCE_DIR;
#else
  return SourceDir();
#endif
}
std::string Dashboard() { return Root() + "/deploy/grafana/redlink-dashboard.json"; }
std::string Alerts() { return Root() + "/deploy/prometheus/redlink-alerts.yaml"; }

// The metric names a PromQL expression reads (the same rules as tests/deploy/deploy_test.py's
// promql_metric_names: good enough for dashboards and alert rules).
std::set<std::string> PromqlMetricNames(std::string e) {
  e = std::regex_replace(e, std::regex(R"re("(?:[^"\\]|\\.)*")re"), "\"\"");
  e = std::regex_replace(e, std::regex(R"(\{[^}]*\})"), "");
  e = std::regex_replace(e, std::regex(R"(\[[^\]]*\])"), "");
  e = std::regex_replace(
      e, std::regex(R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))"), "");
  e = std::regex_replace(e, std::regex(R"(\$\{?\w+\}?)"), "");
  static const std::set<std::string> kKeywords = {
      "by", "without", "on",   "ignoring", "group_left", "group_right", "and",
      "or", "unless",  "bool", "offset",   "inf",        "nan"};
  std::set<std::string> names;
  std::regex token(R"([A-Za-z_:][A-Za-z0-9_:]*)");
  for (auto it = std::sregex_iterator(e.begin(), e.end(), token); it != std::sregex_iterator();
       ++it) {
    std::string tok = it->str();
    size_t end = static_cast<size_t>(it->position() + it->length());
    size_t next = e.find_first_not_of(" \t\n", end);
    if (next != std::string::npos && e[next] == '(') continue;  // a function or aggregation
    std::string lower = tok;
    for (auto& c : lower) c = static_cast<char>(tolower(c));
    if (kKeywords.count(lower)) continue;
    if (it->position() > 0 && isdigit(static_cast<unsigned char>(e[it->position() - 1]))) {
      continue;  // a unit or exponent of a number (5m, 1e3)
    }
    names.insert(tok);
  }
  return names;
}

// Every panel target's expression, nested rows included.
void CollectExprs(const json& panels, std::vector<std::string>* out) {
  for (const auto& p : panels) {
    for (const auto& t : p.value("targets", json::array())) {
      if (t.contains("expr")) out->push_back(t["expr"].get<std::string>());
    }
    if (p.contains("panels")) CollectExprs(p["panels"], out);
  }
}

struct Sources {
  std::vector<std::string> dashboard_exprs;
  std::vector<std::string> template_metrics;  // label_values(<metric>, ...) of query variables
  std::vector<std::pair<std::string, std::string>> alert_exprs;  // alert name, expr
};

Sources ReadSources() {
  Sources s;
  json dash = json::parse(ReadFile(Dashboard()));
  CollectExprs(dash["panels"], &s.dashboard_exprs);
  std::regex label_values(R"(label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*))");
  for (const auto& v : dash["templating"]["list"]) {
    if (v.value("type", "") != "query") continue;
    std::string def = v.value("definition", "");
    std::smatch m;
    if (std::regex_search(def, m, label_values)) s.template_metrics.push_back(m[1]);
  }
  YAML::Node rules = YAML::LoadFile(Alerts());
  for (const auto& group : rules["groups"]) {
    for (const auto& rule : group["rules"]) {
      std::string name =
          rule["alert"] ? rule["alert"].as<std::string>() : rule["record"].as<std::string>();
      s.alert_exprs.emplace_back(name, rule["expr"].as<std::string>());
    }
  }
  return s;
}

TEST(MetricsDashboardTest, PromqlNameExtraction) {
  EXPECT_EQ(
      PromqlMetricNames("sum without (state) (a_b{state=~\"X|Y\"}) == 0 and on (job) c > 1e3"),
      (std::set<std::string>{"a_b", "c"}));
  EXPECT_EQ(PromqlMetricNames("time() - process_start_time_seconds{job=~\"$job\"}"),
            (std::set<std::string>{"process_start_time_seconds"}));
  EXPECT_EQ(PromqlMetricNames("rate(x[$__rate_interval]) or vector(0)"),
            (std::set<std::string>{"x"}));
}

TEST(MetricsDashboardTest, PromtoolChecksTheAlertRules) {
  std::string out;
  EXPECT_EQ(RunShell("promtool check rules " + ShellQuote(Alerts()), &out), 0) << out;
  EXPECT_NE(out.find("SUCCESS"), std::string::npos) << out;
}

TEST(MetricsDashboardTest, DashboardParsesAndHasExpressions) {
  json dash = json::parse(ReadFile(Dashboard()), nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(dash.is_discarded()) << "the dashboard is not valid JSON";
  Sources s = ReadSources();
  EXPECT_GT(s.dashboard_exprs.size(), 10u);
  EXPECT_FALSE(s.template_metrics.empty());
  EXPECT_FALSE(s.alert_exprs.empty());
}

class MetricsDashboardLiveTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(env_.ok()) << env_.what(); }
  std::set<std::string> LiveNames() {
    int status = 0;
    std::string page = HttpGet(env_.redlink().metrics_port(), "/metrics", &status);
    EXPECT_EQ(status, 200);
    return ParseExposition(page).SampleNames();
  }
  LinksInSeveralStates env_;
};

TEST_F(MetricsDashboardLiveTest, EveryMetricTheyReadIsInALiveScrape) {
  std::set<std::string> live = LiveNames();
  Sources s = ReadSources();
  for (const auto& e : s.dashboard_exprs) {
    auto names = PromqlMetricNames(e);
    EXPECT_FALSE(names.empty()) << e;
    for (const auto& n : names) EXPECT_TRUE(live.count(n)) << n << " (dashboard: " << e << ")";
  }
  for (const auto& m : s.template_metrics) EXPECT_TRUE(live.count(m)) << m << " (variable)";
  for (const auto& [alert, e] : s.alert_exprs) {
    auto names = PromqlMetricNames(e);
    EXPECT_FALSE(names.empty()) << alert;
    for (const auto& n : names) EXPECT_TRUE(live.count(n)) << n << " (alert " << alert << ")";
  }
  // tests/deploy/metric_names.txt (the list the deploy checks hold the dashboard to) is served.
  std::istringstream list(ReadFile(Root() + "/tests/deploy/metric_names.txt"));
  std::string line;
  int listed = 0;
  while (std::getline(list, line)) {
    line = line.substr(0, line.find('#'));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    line.erase(0, line.find_first_not_of(" \t"));
    if (line.empty()) continue;
    ++listed;
    EXPECT_TRUE(live.count(line)) << line << " (tests/deploy/metric_names.txt)";
  }
  EXPECT_GE(listed, 18);
}

// Every expression runs on a real Prometheus scraping redlinkd (Grafana's variables replaced by
// what Prometheus would see), so a typo in a label or function fails here, not on a dashboard.
TEST_F(MetricsDashboardLiveTest, EveryExpressionRunsOnPrometheus) {
  PrometheusServer prom(env_.redlink().metrics_port());
  ASSERT_TRUE(prom.ok()) << prom.log();
  ASSERT_TRUE(
      WaitFor([&] { return !prom.Query("redlink_links").empty(); }, std::chrono::seconds(30)))
      << prom.last_error();
  Sources s = ReadSources();
  std::vector<std::pair<std::string, std::string>> all;
  for (const auto& e : s.dashboard_exprs) all.emplace_back("dashboard", e);
  for (const auto& a : s.alert_exprs) all.push_back(a);
  for (auto [what, e] : all) {
    e = std::regex_replace(e, std::regex(R"(\$__rate_interval|\$__interval|\$__range)"), "1m");
    e = std::regex_replace(e, std::regex(R"(\$\{?\w+\}?)"), ".*");
    nlohmann::json data = prom.Api("query?query=" + UrlEncode(e));
    EXPECT_FALSE(data.is_null()) << what << ": " << e << ": " << prom.last_error();
  }
  // The dashboard's core panels show the fixture's links.
  EXPECT_EQ(prom.Query("sum(redlink_links{job=~\".*\", instance=~\".*\"})").size(), 1u);
  EXPECT_EQ(
      prom.Query("max by (instance, link, state) (redlink_link_state{link=~\".*\"}) == 1").size(),
      5u);
}

}  // namespace
}  // namespace redlink::testing::metrics
