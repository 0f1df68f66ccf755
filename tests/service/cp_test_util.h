#pragma once
// Test support for the control-plane tests (tests/service and tests/integration/control_plane_*):
// running redlinkctl, collecting a WatchLinks stream on a thread, reading files and log lines.

#include <grpcpp/grpcpp.h>
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "redlink/v1/link_service.grpc.pb.h"

namespace redlink::testing {

struct CtlResult {
  int exit_code = -1;  // -1: did not exit normally
  std::string out;
  std::string err;
};

// Runs build/service/redlinkctl with `args`, `stdin_data` on its stdin and `env` added to the
// environment; waits for it (at most `timeout`, then SIGKILL).
CtlResult RunCtl(const std::vector<std::string>& args, const std::string& stdin_data = "",
                 const std::map<std::string, std::string>& env = {},
                 std::chrono::milliseconds timeout = std::chrono::seconds(30));
std::string RedlinkctlPath();

// Reads a WatchLinks stream on its own thread until Stop() or the stream ends.
class WatchCollector {
 public:
  // `token` empty: no authorization metadata.
  WatchCollector(std::shared_ptr<grpc::Channel> channel, const std::string& link_id,
                 const std::string& token = "");
  ~WatchCollector();
  WatchCollector(const WatchCollector&) = delete;
  WatchCollector& operator=(const WatchCollector&) = delete;

  std::vector<redlink::v1::LinkEvent> events() const;
  // Just the states (deleted events as "DELETED"), in arrival order.
  std::vector<std::string> states() const;
  bool finished() const { return finished_; }
  grpc::Status status() const;
  // Cancels the stream and joins the thread.
  void Stop();

 private:
  grpc::ClientContext ctx_;
  std::unique_ptr<redlink::v1::LinkService::Stub> stub_;
  mutable std::mutex mu_;
  std::vector<redlink::v1::LinkEvent> events_;
  grpc::Status status_;
  std::atomic<bool> finished_{false};
  std::thread thread_;
};

std::string ReadFileOrEmpty(const std::string& path);
// The permission bits of `path`, or -1.
int FileMode(const std::string& path);
// "LINK_STATE_STREAMING" -> "STREAMING".
std::string ShortState(redlink::v1::LinkState state);
// The public state transitions redlinkd logged for `link_id` ("state A -> B" lines), as the
// sequence of states the link was in: the first line's A, then every B.
std::vector<std::string> LoggedStates(const std::string& log, const std::string& link_id);

}  // namespace redlink::testing
