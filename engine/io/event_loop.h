#pragma once
// One event loop per thread: epoll (level-triggered), monotonic timers, and a bounded task queue
// with an eventfd wake-up for work posted from other threads. Everything registered with a loop
// (fds, timers, deferred work) runs on the loop's thread only. See engine/README.md.

#include <sys/epoll.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"

namespace redlink::engine {

using Clock = std::chrono::steady_clock;
using Task = absl::AnyInvocable<void()>;

// Receives readiness events for one fd.
class IoHandler {
 public:
  virtual ~IoHandler() = default;
  // `events` is the epoll mask (EPOLLIN, EPOLLOUT, EPOLLERR, EPOLLHUP). Loop thread.
  virtual void OnIo(uint32_t events) = 0;
};

// Figures a loop publishes for metrics; read from any thread.
struct LoopStats {
  std::atomic<uint64_t> tasks_run{0};       // posted tasks, deferred tasks and timers run
  std::atomic<uint64_t> io_events{0};       // fd events dispatched
  std::atomic<uint64_t> busy_ns{0};         // time spent outside epoll_wait
  std::atomic<int64_t> links{0};            // links pinned to this loop
  std::atomic<int64_t> clients{0};          // RESP read-endpoint clients served here
  std::atomic<uint64_t> posts_rejected{0};  // Post() calls refused because the queue was full
};

class EventLoop {
 public:
  using TimerId = uint64_t;
  static constexpr size_t kDefaultTaskQueueCapacity = 65536;

  explicit EventLoop(int index, size_t task_queue_capacity = kDefaultTaskQueueCapacity);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs the loop on the calling thread until Stop(). The calling thread becomes the loop thread.
  void Run();
  // Asks Run() to return after the current iteration. Any thread.
  void Stop();

  // Queues `task` to run on the loop thread. Any thread. Never blocks: when the queue holds
  // `task_queue_capacity` tasks it returns RESOURCE_EXHAUSTED and drops the task.
  absl::Status Post(Task task);

  // Runs `task` on the loop thread after the current callback returns (before the next
  // epoll_wait). Loop thread only; unbounded by design (a loop's own continuations).
  void Defer(Task task);

  // Timers on the monotonic clock. Loop thread only. Cancelling an unknown or fired id is a no-op.
  TimerId RunAfter(Clock::duration delay, Task task);
  TimerId RunAt(Clock::time_point when, Task task);
  void CancelTimer(TimerId id);

  // Registers `fd` for `events` (EPOLLIN/EPOLLOUT). The handler must outlive its registration;
  // after Unwatch() no further event reaches it, even from the current epoll batch. Loop thread.
  absl::Status Watch(int fd, uint32_t events, IoHandler* handler);
  absl::Status Modify(int fd, uint32_t events);
  void Unwatch(int fd);

  bool IsInLoopThread() const { return std::this_thread::get_id() == thread_id_.load(); }
  int index() const { return index_; }
  LoopStats& stats() { return stats_; }
  // The loop's cached time of the current iteration. Loop thread.
  Clock::time_point now() const { return now_; }

 private:
  struct Registration {
    IoHandler* handler;
    uint64_t generation;
  };

  void Wake();
  void RunPosted();
  void RunDeferred();
  void RunTimers();
  int NextTimeoutMs() const;

  const int index_;
  const size_t task_queue_capacity_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::atomic<std::thread::id> thread_id_{};
  Clock::time_point now_;

  std::mutex post_mu_;
  std::deque<Task> posted_;  // guarded by post_mu_
  std::vector<Task> deferred_;

  // fd -> registration; the epoll data carries (generation << 32 | fd) so a stale event of an
  // fd that was unwatched (and maybe reused) within the same batch is recognised and dropped.
  absl::flat_hash_map<int, Registration> registrations_;
  uint64_t next_generation_ = 1;

  TimerId next_timer_id_ = 1;
  std::map<std::pair<Clock::time_point, TimerId>, Task> timers_;
  absl::flat_hash_map<TimerId, Clock::time_point> timer_deadlines_;

  LoopStats stats_;
};

}  // namespace redlink::engine
