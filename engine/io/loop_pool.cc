#include "engine/io/loop_pool.h"

#include <pthread.h>

#include <string>

namespace redlink::engine {

LoopPool::LoopPool(int num_loops, size_t task_queue_capacity) {
  if (num_loops < 1) num_loops = 1;
  for (int i = 0; i < num_loops; ++i) {
    loops_.push_back(std::make_unique<EventLoop>(i, task_queue_capacity));
  }
}

LoopPool::~LoopPool() { Stop(); }

void LoopPool::Start() {
  for (auto& loop : loops_) {
    EventLoop* l = loop.get();
    threads_.emplace_back([l] {
      std::string name = "loop-" + std::to_string(l->index());
      pthread_setname_np(pthread_self(), name.c_str());
      l->Run();
    });
  }
}

void LoopPool::Stop() {
  for (auto& loop : loops_) loop->Stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

EventLoop* LoopPool::LeastLoaded() {
  EventLoop* best = loops_[0].get();
  for (auto& loop : loops_) {
    if (loop->stats().links.load() < best->stats().links.load()) best = loop.get();
  }
  return best;
}

}  // namespace redlink::engine
