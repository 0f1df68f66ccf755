// redlinkd: hosts replica links, serves LinkService over gRPC, the RESP read endpoint and
// Prometheus metrics. See README.md and service/README.md.

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <signal.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <sstream>

#include "engine/common/log.h"
#include "engine/common/strings.h"
#include "engine/engine.h"
#include "grpc/health/v1/health.pb.h"
#include "service/config.h"
#include "service/file_registry.h"
#include "service/link_service.h"
#include "service/links_file.h"
#include "service/metrics.h"
#include "service/registry.h"

namespace redlink::service {
namespace {

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(
        StrCat("--auth_token_file=", path, ": cannot read: ", strerror(errno)));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::string token = ss.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ' ||
                            token.back() == '\t')) {
    token.pop_back();
  }
  if (token.empty()) {
    return absl::InvalidArgumentError(StrCat("--auth_token_file=", path, " is empty"));
  }
  return token;
}

int Run(int argc, char** argv) {
  auto config = ParseConfig(argc, argv);
  if (!config.ok()) {
    fprintf(stderr, "redlinkd: %s\n", std::string(config.status().message()).c_str());
    return 2;
  }
  LogFormat format;
  ParseLogFormat(config->log_format, &format);
  SetLogFormat(format);
  LogLevel level;
  ParseLogLevel(config->log_level, &level);
  SetMinLogLevel(level);

  // Signals are taken synchronously by this thread; every thread started below inherits the
  // mask, so SIGTERM/SIGINT never interrupt a loop.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::error_code ec;
  std::filesystem::create_directories(config->data_dir, ec);
  if (ec) {
    LOG(Error) << "--data_dir=" << config->data_dir << ": " << ec.message();
    FlushLogs();
    return 1;
  }

  std::string token;
  if (!config->auth_token_file.empty()) {
    auto t = ReadToken(config->auth_token_file);
    if (!t.ok()) {
      LOG(Error) << t.status().message();
      FlushLogs();
      return 2;
    }
    token = *t;
    RedactInLogs(token);  // a safety net: no line should ever hold it
  } else {
    LOG(Warning) << "no --auth_token_file: the gRPC API and the RESP endpoint are open to "
                    "anyone who can reach them";
  }

  engine::EngineOptions eo;
  eo.threads = config->threads;
  eo.resp_addr = config->resp_addr;
  eo.max_bulk_len = config->max_bulk_len;
  eo.max_links = config->max_links;
  eo.resp_password = token;
  engine::Engine engine(eo);
  if (auto s = engine.Start(); !s.ok()) {
    LOG(Error) << s.message();
    FlushLogs();
    return 1;
  }

  // GET /metrics (read-only: snapshots and atomics) and the gRPC figures it serves.
  GrpcMetrics grpc_metrics;
  auto metrics = StartMetrics(config->metrics_addr, &engine, &grpc_metrics);
  if (!metrics.ok()) {
    LOG(Error) << metrics.status().message();
    engine.Stop();
    FlushLogs();
    return 1;
  }

  // The link registry in --data_dir, reconciled with --links_file, brings the links back as
  // the operator left them (paused ones stay paused).
  auto registry = FileRegistry::Open(config->data_dir);
  if (!registry.ok()) {
    LOG(Error) << registry.status().message();
    engine.Stop();
    FlushLogs();
    return 1;
  }
  auto records = PrepareLinks(registry->get(), config->links_file);
  if (!records.ok()) {
    LOG(Error) << records.status().message();
    engine.Stop();
    FlushLogs();
    return records.status().code() == absl::StatusCode::kInvalidArgument ? 2 : 1;
  }
  LinkServiceImpl service(&engine, registry->get(), token);
  (void)service.Restore(*records);

  // Reflection describes every service `list` shows: the generated health proto is linked in
  // (gRPC's built-in health service has no descriptor of its own).
  (void)grpc::health::v1::HealthCheckRequest::descriptor();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int grpc_port = 0;
  // No SO_REUSEPORT: a second redlinkd on the same address must fail, not share the port.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.AddListeningPort(config->grpc_addr, grpc::InsecureServerCredentials(), &grpc_port);
  builder.RegisterService(&service);
  builder.experimental().SetInterceptorCreators(MakeGrpcInterceptors(&grpc_metrics));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || grpc_port == 0) {
    LOG(Error) << "cannot serve gRPC on --grpc_addr=" << config->grpc_addr;
    engine.Stop();
    FlushLogs();
    return 1;
  }
  LOG(Info) << "redlinkd serving: gRPC " << config->grpc_addr << " (port " << grpc_port
            << "), RESP " << config->resp_addr << " (port " << engine.resp_port()
            << "), metrics " << config->metrics_addr << ", " << config->threads
            << " threads, data dir " << config->data_dir;

  int sig = 0;
  sigwait(&signals, &sig);
  LOG(Info) << "received " << (sig == SIGTERM ? "SIGTERM" : "SIGINT") << ": shutting down";
  // End the watch streams, stop accepting RPCs and let in-flight ones finish (they finish from
  // engine and registry callbacks, normally within milliseconds). One that still waits on a link
  // after 1.5 s (a pause waiting for a master's EXEC) is released by stopping the engine. Then
  // close the links and flush the registry.
  service.Shutdown();
  auto drained = std::async(std::launch::async, [&server] {
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  });
  if (drained.wait_for(std::chrono::milliseconds(1500)) != std::future_status::ready) {
    LOG(Warning) << "RPCs still in flight after 1.5 s: closing the links to release them";
  }
  engine.Stop();
  drained.wait();
  (*registry)->Stop();
  LOG(Info) << "stopped";
  FlushLogs();
  return 0;
}

}  // namespace
}  // namespace redlink::service

int main(int argc, char** argv) { return redlink::service::Run(argc, argv); }
