#include "engine/io/event_loop.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/common/log.h"
#include "engine/common/strings.h"

namespace redlink::engine {
namespace {
constexpr int kMaxEventsPerWait = 256;
constexpr uint64_t kWakeTag = ~uint64_t{0};

uint64_t Pack(int fd, uint64_t generation) {
  return (generation << 32) | static_cast<uint32_t>(fd);
}
}  // namespace

EventLoop::EventLoop(int index, size_t task_queue_capacity)
    : index_(index), task_queue_capacity_(task_queue_capacity), now_(Clock::now()) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  CHECK(epoll_fd_ >= 0) << "epoll_create1: " << strerror(errno);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  CHECK(wake_fd_ >= 0) << "eventfd: " << strerror(errno);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeTag;
  CHECK(epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev) == 0) << strerror(errno);
}

EventLoop::~EventLoop() {
  close(wake_fd_);
  close(epoll_fd_);
}

void EventLoop::Stop() {
  stop_.store(true);
  Wake();
}

void EventLoop::Wake() {
  uint64_t one = 1;
  ssize_t n = write(wake_fd_, &one, sizeof(one));
  (void)n;  // EAGAIN means the counter is already non-zero: the loop will wake anyway.
}

absl::Status EventLoop::Post(Task task) {
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    if (posted_.size() >= task_queue_capacity_) {
      stats_.posts_rejected.fetch_add(1, std::memory_order_relaxed);
      return absl::ResourceExhaustedError(
          StrCat("event loop ", index_, " task queue is full (", task_queue_capacity_, " tasks)"));
    }
    posted_.push_back(std::move(task));
  }
  Wake();
  return absl::OkStatus();
}

void EventLoop::Defer(Task task) {
  DCHECK(IsInLoopThread());
  deferred_.push_back(std::move(task));
}

EventLoop::TimerId EventLoop::RunAfter(Clock::duration delay, Task task) {
  return RunAt(Clock::now() + delay, std::move(task));
}

EventLoop::TimerId EventLoop::RunAt(Clock::time_point when, Task task) {
  DCHECK(IsInLoopThread());
  TimerId id = next_timer_id_++;
  timers_.emplace(std::make_pair(when, id), std::move(task));
  timer_deadlines_.emplace(id, when);
  return id;
}

void EventLoop::CancelTimer(TimerId id) {
  DCHECK(IsInLoopThread());
  auto it = timer_deadlines_.find(id);
  if (it == timer_deadlines_.end()) return;
  timers_.erase(std::make_pair(it->second, id));
  timer_deadlines_.erase(it);
}

absl::Status EventLoop::Watch(int fd, uint32_t events, IoHandler* handler) {
  DCHECK(IsInLoopThread() || thread_id_.load() == std::thread::id());
  uint64_t generation = next_generation_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = Pack(fd, generation);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return absl::InternalError(StrCat("epoll_ctl(ADD, fd ", fd, "): ", strerror(errno)));
  }
  registrations_[fd] = Registration{handler, generation};
  return absl::OkStatus();
}

absl::Status EventLoop::Modify(int fd, uint32_t events) {
  DCHECK(IsInLoopThread());
  auto it = registrations_.find(fd);
  if (it == registrations_.end()) {
    return absl::FailedPreconditionError(StrCat("fd ", fd, " is not watched"));
  }
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = Pack(fd, it->second.generation);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) != 0) {
    return absl::InternalError(StrCat("epoll_ctl(MOD, fd ", fd, "): ", strerror(errno)));
  }
  return absl::OkStatus();
}

void EventLoop::Unwatch(int fd) {
  DCHECK(IsInLoopThread() || thread_id_.load() == std::thread::id());
  if (registrations_.erase(fd) > 0) {
    epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  }
}

void EventLoop::RunPosted() {
  std::deque<Task> batch;
  {
    std::lock_guard<std::mutex> lock(post_mu_);
    batch.swap(posted_);
  }
  for (auto& task : batch) {
    task();
    stats_.tasks_run.fetch_add(1, std::memory_order_relaxed);
    RunDeferred();
  }
}

void EventLoop::RunDeferred() {
  // Deferred tasks may defer more; run until none is left.
  while (!deferred_.empty()) {
    std::vector<Task> batch;
    batch.swap(deferred_);
    for (auto& task : batch) {
      task();
      stats_.tasks_run.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

void EventLoop::RunTimers() {
  now_ = Clock::now();
  while (!timers_.empty()) {
    auto it = timers_.begin();
    if (it->first.first > now_) break;
    Task task = std::move(it->second);
    timer_deadlines_.erase(it->first.second);
    timers_.erase(it);
    task();
    stats_.tasks_run.fetch_add(1, std::memory_order_relaxed);
    RunDeferred();
  }
}

int EventLoop::NextTimeoutMs() const {
  if (!deferred_.empty()) return 0;
  if (timers_.empty()) return 1000;
  auto delta = timers_.begin()->first.first - Clock::now();
  if (delta <= Clock::duration::zero()) return 0;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(delta).count() + 1;
  return static_cast<int>(std::min<int64_t>(ms, 1000));
}

void EventLoop::Run() {
  thread_id_.store(std::this_thread::get_id());
  epoll_event events[kMaxEventsPerWait];
  while (!stop_.load(std::memory_order_relaxed)) {
    int n = epoll_wait(epoll_fd_, events, kMaxEventsPerWait, NextTimeoutMs());
    auto busy_start = Clock::now();
    now_ = busy_start;
    if (n < 0 && errno != EINTR) {
      LOG(Error) << "epoll_wait on loop " << index_ << ": " << strerror(errno);
    }
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kWakeTag) {
        uint64_t value;
        ssize_t r = read(wake_fd_, &value, sizeof(value));
        (void)r;
        continue;
      }
      int fd = static_cast<int>(tag & 0xffffffffu);
      auto it = registrations_.find(fd);
      if (it == registrations_.end() || it->second.generation != (tag >> 32)) continue;
      stats_.io_events.fetch_add(1, std::memory_order_relaxed);
      it->second.handler->OnIo(events[i].events);
      RunDeferred();
    }
    RunPosted();
    RunTimers();
    RunDeferred();
    stats_.busy_ns.fetch_add(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - busy_start).count(),
        std::memory_order_relaxed);
  }
  // Drain what was posted before Stop() so that nothing holding resources is leaked.
  RunPosted();
  RunDeferred();
}

}  // namespace redlink::engine
