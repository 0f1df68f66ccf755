#pragma once
// The RESP read endpoint (--resp_addr). Any Redis client connects, picks a link's dataset with
// AUTH <link-id> <token> (or HELLO 3 AUTH ...), and reads it; writes get -READONLY. Every loop
// has its own listening socket on the same port (SO_REUSEPORT); once a client authenticates, it
// moves to the loop of its link, so all its commands run on the thread that owns the data.

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace redlink::engine {

class Engine;
class ReplicaLink;

class RespServer {
 public:
  explicit RespServer(Engine* engine);
  ~RespServer();

  // Creates the listening socket (before the loops start).
  absl::Status Bind(std::string_view addr);
  // Registers the listeners with the loops (after they started). Any thread.
  void Start();
  // Closes every client and listener, on their loops; waits for that. Any thread but a loop's.
  void Stop();
  int port() const { return port_; }

  // Loop thread of `loop_index`: a link was created / is being deleted there.
  void OnLinkCreated(int loop_index, ReplicaLink* link);
  void OnLinkDeleted(int loop_index, ReplicaLink* link);

  class LoopState;
  class Client;

 private:
  friend class Client;
  int TotalClients() const;
  Engine* engine_;
  std::atomic<uint64_t> next_client_id_{1};
  int port_ = 0;
  std::vector<int> listen_fds_;
  std::vector<std::unique_ptr<LoopState>> states_;
};

}  // namespace redlink::engine
