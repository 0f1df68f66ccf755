#pragma once
// Host name resolution off the event loops (getaddrinfo blocks). A small pool of threads takes
// requests from a bounded queue and posts each result back to the requesting loop.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "engine/io/event_loop.h"
#include "engine/io/socket.h"

namespace redlink::engine {

class Resolver {
 public:
  using Callback = absl::AnyInvocable<void(absl::StatusOr<SocketAddress>)>;

  explicit Resolver(int threads = 2, size_t max_queue = 4096);
  ~Resolver();  // Stops the threads; pending requests are dropped.

  // Resolves `host` (a name or a numeric address) and runs `done` on `loop`. Numeric addresses
  // are answered without a thread hop (still through Defer, never re-entrantly). Any thread may
  // call it; `done` always runs on `loop`'s thread.
  void Resolve(std::string host, int port, EventLoop* loop, Callback done);

 private:
  struct Request {
    std::string host;
    int port;
    EventLoop* loop;
    Callback done;
  };
  void Run();

  const size_t max_queue_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Request> queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace redlink::engine
