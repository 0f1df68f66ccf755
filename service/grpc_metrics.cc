#include "service/grpc_metrics.h"

#include <grpcpp/server_context.h>

#include <chrono>
#include <cstring>
#include <limits>

#include "engine/common/log.h"
#include "engine/common/strings.h"
#include "redlink/v1/link_service.pb.h"

namespace redlink::service {
namespace {

constexpr const char* kCodeNames[GrpcMetrics::kNumCodes] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

int CodeIndex(grpc::StatusCode code) {
  int i = static_cast<int>(code);
  return i >= 0 && i < GrpcMetrics::kNumCodes ? i : static_cast<int>(grpc::StatusCode::UNKNOWN);
}

std::vector<std::string> DefaultMethods() {
  std::vector<std::string> out;
  const auto* service = redlink::v1::Link::descriptor()->file()->FindServiceByName("LinkService");
  if (service != nullptr) {
    for (int i = 0; i < service->method_count(); ++i) {
      out.push_back(StrCat("/", service->full_name(), "/", service->method(i)->name()));
    }
  }
  out.push_back("/grpc.health.v1.Health/Check");
  out.push_back("/grpc.health.v1.Health/Watch");
  out.push_back("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo");
  out.push_back("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo");
  return out;
}

prometheus::ClientMetric::Label L(std::string name, std::string value) {
  return {std::move(name), std::move(value)};
}

// Times one RPC from its start (the interceptor is created when the call arrives) to the status
// it sends; a call that ends without sending one (the client went away) counts as CANCELLED.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(GrpcMetrics* metrics, grpc::experimental::ServerRpcInfo* info)
      : metrics_(metrics),
        info_(info),
        method_(metrics->MethodIndex(info->method())),
        start_(std::chrono::steady_clock::now()) {}

  ~MetricsInterceptor() override {
    if (!recorded_) Finish(grpc::StatusCode::CANCELLED);
  }

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!recorded_ && methods->QueryInterceptionHookPoint(
                          grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::StatusCode code = methods->GetSendStatus().error_code();
      Finish(code);
      if (code == grpc::StatusCode::UNAUTHENTICATED) LogUnauthenticated();
    }
    methods->Proceed();
  }

 private:
  void Finish(grpc::StatusCode code) {
    recorded_ = true;
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    metrics_->Record(method_, code, seconds);
  }

  // One line per 10 s at most, however many clients knock with a wrong token. The method and
  // the peer's address only: the metadata (which holds the token) is never looked at here.
  void LogUnauthenticated() {
    std::string peer = info_->server_context() ? info_->server_context()->peer() : "";
    LOG_EVERY_N_SEC(Warning, 10) << "gRPC API: UNAUTHENTICATED (missing or wrong API token) for "
                                 << metrics_->MethodLabel(method_) << " from "
                                 << (peer.empty() ? "an unknown peer" : peer);
  }

  GrpcMetrics* metrics_;
  grpc::experimental::ServerRpcInfo* info_;
  int method_;
  std::chrono::steady_clock::time_point start_;
  bool recorded_ = false;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(metrics_, info);
  }

 private:
  GrpcMetrics* metrics_;
};

}  // namespace

const char* GrpcCodeName(grpc::StatusCode code) { return kCodeNames[CodeIndex(code)]; }

GrpcMetrics::GrpcMetrics() : GrpcMetrics(DefaultMethods()) {}

GrpcMetrics::GrpcMetrics(const std::vector<std::string>& full_method_names) {
  StringMap<int> by_short;
  for (const auto& full : full_method_names) {
    std::string_view name = full;
    if (auto pos = name.rfind('/'); pos != std::string_view::npos) name.remove_prefix(pos + 1);
    if (name.empty() || name == "other") continue;
    auto [it, inserted] = by_short.try_emplace(std::string(name), static_cast<int>(names_.size()));
    if (inserted) names_.emplace_back(name);
    index_[full] = it->second;
  }
  names_.push_back("other");
  per_method_ = std::make_unique<PerMethod[]>(names_.size());
}

int GrpcMetrics::MethodIndex(const char* full_method) const {
  if (full_method == nullptr) return other_index();
  auto it = index_.find(std::string_view(full_method));
  return it == index_.end() ? other_index() : it->second;
}

void GrpcMetrics::Record(int method, grpc::StatusCode code, double seconds) {
  if (method < 0 || method > other_index()) method = other_index();
  PerMethod& m = per_method_[method];
  m.codes[CodeIndex(code)].fetch_add(1, std::memory_order_relaxed);
  size_t bucket = 0;
  while (bucket < kBuckets.size() && seconds > kBuckets[bucket]) ++bucket;
  m.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  if (seconds > 0) {
    m.sum_ns.fetch_add(static_cast<uint64_t>(seconds * 1e9), std::memory_order_relaxed);
  }
}

uint64_t GrpcMetrics::CountForTest(std::string_view method_label, grpc::StatusCode code) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == method_label) {
      return per_method_[i].codes[CodeIndex(code)].load(std::memory_order_relaxed);
    }
  }
  return 0;
}

void GrpcMetrics::Collect(std::vector<prometheus::MetricFamily>* out) const {
  prometheus::MetricFamily requests;
  requests.name = "redlink_grpc_requests_total";
  requests.help =
      "gRPC requests finished, by method (the short RPC name; \"other\" for unknown methods) "
      "and status code name.";
  requests.type = prometheus::MetricType::Counter;
  prometheus::MetricFamily latency;
  latency.name = "redlink_grpc_request_duration_seconds";
  latency.help =
      "Time from a gRPC call's arrival to its status, by method (streams: their whole life).";
  latency.type = prometheus::MetricType::Histogram;

  for (size_t i = 0; i < names_.size(); ++i) {
    const PerMethod& m = per_method_[i];
    bool other = static_cast<int>(i) == other_index();
    uint64_t counts[kBuckets.size() + 1];
    uint64_t total = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      counts[b] = m.buckets[b].load(std::memory_order_relaxed);
      total += counts[b];
    }
    if (other && total == 0) continue;
    for (int c = 0; c < kNumCodes; ++c) {
      uint64_t n = m.codes[c].load(std::memory_order_relaxed);
      if (n == 0 && c != 0) continue;
      prometheus::ClientMetric metric;
      metric.label = {L("method", names_[i]), L("code", kCodeNames[c])};
      metric.counter.value = static_cast<double>(n);
      requests.metric.push_back(std::move(metric));
    }
    if (total == 0) continue;  // a histogram of nothing is 17 lines of zeros on every scrape
    prometheus::ClientMetric h;
    h.label = {L("method", names_[i])};
    uint64_t cumulative = 0;
    for (size_t b = 0; b <= kBuckets.size(); ++b) {
      cumulative += counts[b];
      prometheus::ClientMetric::Bucket bucket;
      bucket.cumulative_count = cumulative;
      bucket.upper_bound =
          b < kBuckets.size() ? kBuckets[b] : std::numeric_limits<double>::infinity();
      h.histogram.bucket.push_back(bucket);
    }
    h.histogram.sample_count = cumulative;
    h.histogram.sample_sum = static_cast<double>(m.sum_ns.load(std::memory_order_relaxed)) / 1e9;
    latency.metric.push_back(std::move(h));
  }
  out->push_back(std::move(requests));
  out->push_back(std::move(latency));
}

std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MakeGrpcInterceptors(GrpcMetrics* metrics) {
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> out;
  out.push_back(std::make_unique<MetricsInterceptorFactory>(metrics));
  return out;
}

}  // namespace redlink::service
