#pragma once
// gRPC request figures for /metrics: redlink_grpc_requests_total{method,code} and the latency
// histogram redlink_grpc_request_duration_seconds{method}, collected by a server interceptor
// (registered with ServerBuilder::experimental().SetInterceptorCreators()). Every RPC is
// counted: LinkService, health and reflection. The interceptor also logs UNAUTHENTICATED
// answers, rate-limited, with the method and the peer (never the token).
//
// Label cardinality is bounded: the methods are a fixed set chosen at construction (the short
// RPC name is the label: "CreateLink", "Check", "ServerReflectionInfo"); anything else is
// method="other". Codes are the 17 gRPC status code names.
//
// Thread safety: Record() and Collect() may run on any thread at once; recording is a few
// relaxed atomic increments, no lock (R43).

#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/string_map.h"
#include "prometheus/metric_family.h"

namespace redlink::service {

// "OK", "NOT_FOUND", ... ("UNKNOWN" for a value outside the enum).
const char* GrpcCodeName(grpc::StatusCode code);

class GrpcMetrics {
 public:
  static constexpr int kNumCodes = 17;  // grpc::StatusCode OK .. UNAUTHENTICATED
  // Upper bounds of the latency buckets, in seconds (+Inf is implied).
  static constexpr std::array<double, 14> kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  // The methods redlinkd serves: every redlink.v1.LinkService RPC (from the proto descriptor),
  // grpc.health.v1.Health Check and Watch, and server reflection (v1alpha and v1).
  GrpcMetrics();
  // Full method names ("/package.Service/Method"); the label is the part after the last '/'.
  // Full names sharing a short name share its series.
  explicit GrpcMetrics(const std::vector<std::string>& full_method_names);
  GrpcMetrics(const GrpcMetrics&) = delete;
  GrpcMetrics& operator=(const GrpcMetrics&) = delete;

  // The index of a full method name (nullptr allowed); other_index() when it is unknown.
  int MethodIndex(const char* full_method) const;
  int other_index() const { return static_cast<int>(names_.size()) - 1; }
  // The label of a method index ("other" for other_index()).
  const std::string& MethodLabel(int index) const { return names_[index]; }

  // Counts one finished RPC. Any thread.
  void Record(int method, grpc::StatusCode code, double seconds);

  // Appends the two families. Series: every (method, OK) pair and every pair seen; one
  // histogram per method that has been called. Any thread.
  void Collect(std::vector<prometheus::MetricFamily>* out) const;

  // Reading back for tests.
  uint64_t CountForTest(std::string_view method_label, grpc::StatusCode code) const;

 private:
  struct PerMethod {
    std::array<std::atomic<uint64_t>, kNumCodes> codes{};
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // not cumulative
    std::atomic<uint64_t> sum_ns{0};
  };

  std::vector<std::string> names_;  // short names, "other" last
  StringMap<int> index_;            // full name -> index into names_
  std::unique_ptr<PerMethod[]> per_method_;
};

// The interceptor factories to pass to ServerBuilder::experimental().SetInterceptorCreators().
// `metrics` must outlive the server.
std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
MakeGrpcInterceptors(GrpcMetrics* metrics);

}  // namespace redlink::service
