#pragma once
// Starts a real redlinkd process on free loopback ports for integration tests and talks to it
// over gRPC (the generated LinkService stub) and RESP.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "redlink/v1/link_service.grpc.pb.h"
#include "tests/testing/test_util.h"

namespace redlink::testing {

class RedlinkdProcess {
 public:
  struct Options {
    std::vector<std::string> extra_args;
    std::map<std::string, std::string> env;
    std::string data_dir;  // empty: a fresh temp dir
    std::string token;     // non-empty: written to a file and passed as --auth_token_file
    int threads = 2;
  };
  RedlinkdProcess();
  explicit RedlinkdProcess(Options options);
  ~RedlinkdProcess();

  bool ok() const { return ok_; }
  int grpc_port() const { return grpc_port_; }
  int resp_port() const { return resp_port_; }
  int metrics_port() const { return metrics_port_; }
  const std::string& data_dir() const { return data_dir_; }
  Process& process() { return *proc_; }
  std::string log() const { return proc_ ? proc_->ReadLog() : ""; }

  redlink::v1::LinkService::Stub& stub() { return *stub_; }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }
  // A context with the token (if any) and a 10 s deadline.
  std::unique_ptr<grpc::ClientContext> Context(
      std::chrono::milliseconds deadline = std::chrono::seconds(10)) const;

  // Convenience calls.
  grpc::Status CreateLink(const std::string& id, int master_port, const std::string& password = "",
                          const std::string& username = "", redlink::v1::Link* out = nullptr,
                          const redlink::v1::LinkOptions* options = nullptr);
  grpc::Status GetLink(const std::string& id, redlink::v1::Link* out);
  // Polls GetLink until `pred` holds or `timeout` passes; returns the last Link seen.
  bool WaitLink(const std::string& id, const std::function<bool(const redlink::v1::Link&)>& pred,
                redlink::v1::Link* last = nullptr,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));
  bool WaitState(const std::string& id, redlink::v1::LinkState state,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20),
                 redlink::v1::Link* last = nullptr);

  // A RESP client authenticated to `link_id` on the read endpoint.
  RespClient ReadClient(const std::string& link_id);

  // SIGTERM, returns the exit status (as waitpid) or -1 on timeout.
  int Terminate(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Starts again with the same ports, data dir and options.
  bool Restart();

 private:
  bool Start();
  Options options_;
  std::unique_ptr<TempDir> dir_;
  std::string data_dir_;
  std::string token_file_;
  int grpc_port_ = 0, resp_port_ = 0, metrics_port_ = 0;
  std::unique_ptr<Process> proc_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<redlink::v1::LinkService::Stub> stub_;
  bool ok_ = false;
};

std::string RedlinkdPath();
std::string StateName(redlink::v1::LinkState state);

}  // namespace redlink::testing
