#pragma once
// N event loops, one thread each. Links and read-endpoint clients are pinned to one loop for life.

#include <memory>
#include <thread>
#include <vector>

#include "engine/io/event_loop.h"

namespace redlink::engine {

class LoopPool {
 public:
  explicit LoopPool(int num_loops,
                    size_t task_queue_capacity = EventLoop::kDefaultTaskQueueCapacity);
  ~LoopPool();  // Stops and joins.

  void Start();
  // Stops every loop and joins its thread. Idempotent. Any thread but a loop thread.
  void Stop();

  int size() const { return static_cast<int>(loops_.size()); }
  EventLoop* loop(int i) { return loops_[i].get(); }
  // The loop with the fewest links (ties: lowest index). Any thread.
  EventLoop* LeastLoaded();

 private:
  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::vector<std::thread> threads_;
};

}  // namespace redlink::engine
