#include "engine/io/resolver.h"

#include <pthread.h>

#include "engine/common/log.h"

namespace redlink::engine {

Resolver::Resolver(int threads, size_t max_queue) : max_queue_(max_queue) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      pthread_setname_np(pthread_self(), "resolver");
      Run();
    });
  }
}

Resolver::~Resolver() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void Resolver::Resolve(std::string host, int port, EventLoop* loop, Callback done) {
  auto numeric = ParseNumericAddress(host, port);
  if (numeric.ok()) {
    auto task = [done = std::move(done), addr = *numeric]() mutable { done(addr); };
    if (loop->IsInLoopThread()) {
      loop->Defer(std::move(task));
    } else if (!loop->Post(std::move(task)).ok()) {
      LOG(Error) << "resolver: loop " << loop->index() << " task queue full";
    }
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() < max_queue_) {
      queue_.push_back(Request{std::move(host), port, loop, std::move(done)});
      cv_.notify_one();
      return;
    }
  }
  auto task = [done = std::move(done)]() mutable {
    done(absl::ResourceExhaustedError("resolver queue is full"));
  };
  if (loop->IsInLoopThread()) {
    loop->Defer(std::move(task));
  } else {
    (void)loop->Post(std::move(task));
  }
}

void Resolver::Run() {
  for (;;) {
    Request req;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      req = std::move(queue_.front());
      queue_.pop_front();
    }
    auto result = ResolveBlocking(req.host, req.port);
    auto status = req.loop->Post(
        [done = std::move(req.done), result = std::move(result)]() mutable { done(result); });
    if (!status.ok()) LOG(Error) << "resolver: " << status.message();
  }
}

}  // namespace redlink::engine
