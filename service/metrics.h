#pragma once
// Prometheus metrics at GET /metrics on --metrics_addr (prometheus-cpp's pull Exposer).
//
// Every redlink family is built at scrape time by one Collectable (MetricsCollector) from what
// the engine already publishes: the links' immutable status snapshots (Engine::ListLinks), the
// loops' LoopStats atomics, the logger's counters, GrpcMetrics' atomics and /proc/self. So:
//   - nothing runs on a loop for a scrape, and a link's hot path costs nothing beyond the
//     counters it keeps anyway; the exposer's civetweb threads only read snapshots and atomics;
//   - a deleted link's series disappear by construction (it is no longer in ListLinks);
//   - each metric name comes from exactly one family (one collectable: no second HELP line).
// The exposer adds its own exposer_* families (scrapes, bytes, latencies) from its registry.
//
// Names (API.md's, plus engine, log and gRPC latency figures) are listed in metrics.cc;
// BENCHMARKS.md "Scrape cost" measures what a scrape costs the links.

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/engine.h"
#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"
#include "service/grpc_metrics.h"

namespace prometheus {
class Exposer;
}

namespace redlink::service {

// The process_* figures, read from /proc/self (Linux). Fields that cannot be read stay 0.
struct ProcessStats {
  double resident_memory_bytes = 0;
  double virtual_memory_bytes = 0;
  double cpu_seconds = 0;  // user + system
  double open_fds = 0;
  double max_fds = 0;
  double start_time_seconds = 0;  // since the Unix epoch
};
// False when /proc/self/stat cannot be read or parsed.
bool ReadProcessStats(ProcessStats* out);

// Builds the families at each scrape. Any thread (civetweb's); reads only snapshots and atomics.
class MetricsCollector : public prometheus::Collectable {
 public:
  // `engine` must outlive the collector; `grpc` may be null (no gRPC families).
  MetricsCollector(engine::Engine* engine, const GrpcMetrics* grpc);

  std::vector<prometheus::MetricFamily> Collect() const override;

  // The per-link families and redlink_links{state} for `links` at `now` (pure; tests use it).
  static void CollectLinks(const std::vector<engine::LinkStatusPtr>& links, absl::Time now,
                           std::vector<prometheus::MetricFamily>* out);

 private:
  engine::Engine* engine_;
  const GrpcMetrics* grpc_;
  double start_time_seconds_ = 0;  // the process's, read once
};

// The HTTP endpoint: prometheus-cpp's Exposer (civetweb), with the text page of GET /metrics
// rendered at most once per kPageMaxAge and shared by the scrapes within it (plain and
// gzip-compressed), and at once when a link was created or deleted since (a deleted link's
// series are gone from the first scrape after DeleteLink returns): the links publish their snapshots every 100 ms, so rendering more often
// would only repeat the same figures, and a burst of scrapes (an HA pair of Prometheus servers,
// a curl loop) costs the links no more than one. Serving stops when it is destroyed (before the
// engine is).
class MetricsServer {
 public:
  static constexpr absl::Duration kPageMaxAge = absl::Milliseconds(100);

  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port it listens on (useful with port 0).
  int port() const { return port_; }

  // The current page (rendered now if the cached one is older than kPageMaxAge), plain or
  // gzip-compressed. Any thread.
  std::shared_ptr<const std::string> Page(bool gzip);

 private:
  friend absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetrics(const std::string&,
                                                                     engine::Engine*,
                                                                     const GrpcMetrics*,
                                                                     absl::Duration);
  struct Rendered {
    absl::Time at = absl::InfinitePast();
    uint64_t link_set = 0;  // engine::Engine::link_set_changes() when rendered
    std::shared_ptr<const std::string> plain;
    std::shared_ptr<const std::string> gzip;  // compressed on first demand
  };
  MetricsServer() = default;
  std::shared_ptr<MetricsCollector> collector_;
  engine::Engine* engine_ = nullptr;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
  absl::Duration page_max_age_ = kPageMaxAge;
  std::mutex render_mu_;  // one render at a time; held while rendering (never by a loop)
  Rendered page_;
};

// Serves GET /metrics on `address` ("host:port"; "0.0.0.0:9121", ":9121" for every address,
// "[::1]:9121"). INVALID_ARGUMENT for a malformed address, UNAVAILABLE when it cannot bind.
// `engine` and `grpc` (may be null) must outlive the returned server. `page_max_age` is for
// tests.
absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetrics(
    const std::string& address, engine::Engine* engine, const GrpcMetrics* grpc,
    absl::Duration page_max_age = MetricsServer::kPageMaxAge);

}  // namespace redlink::service
