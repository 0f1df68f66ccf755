#include "engine/io/event_loop.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include "engine/io/loop_pool.h"

namespace redlink::engine {
namespace {

class LoopThread {
 public:
  explicit LoopThread(size_t capacity = EventLoop::kDefaultTaskQueueCapacity)
      : loop_(0, capacity), thread_([this] { loop_.Run(); }) {}
  ~LoopThread() {
    loop_.Stop();
    thread_.join();
  }
  EventLoop& loop() { return loop_; }
  // Runs `fn` on the loop and waits for it.
  void RunSync(std::function<void()> fn) {
    std::promise<void> done;
    ASSERT_TRUE(loop_
                    .Post([&] {
                      fn();
                      done.set_value();
                    })
                    .ok());
    done.get_future().wait();
  }

 private:
  EventLoop loop_;
  std::thread thread_;
};

TEST(EventLoopTest, PostedTasksRunInOrderOnTheLoopThread) {
  LoopThread t;
  std::vector<int> order;
  std::promise<void> done;
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(t.loop()
                    .Post([&, i] {
                      EXPECT_TRUE(t.loop().IsInLoopThread());
                      order.push_back(i);
                      if (i == 99) done.set_value();
                    })
                    .ok());
  }
  done.get_future().wait();
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
  EXPECT_FALSE(t.loop().IsInLoopThread());
}

TEST(EventLoopTest, FullQueueRefusesWithoutBlocking) {
  // Block the loop inside a task so that posts pile up.
  LoopThread t(/*capacity=*/8);
  // The blocked task owns what it touches: the test may end while it is still waking up.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  auto entered = std::make_shared<std::promise<void>>();
  std::future<void> entered_future = entered->get_future();
  ASSERT_TRUE(t.loop()
                  .Post([entered, released] {
                    entered->set_value();
                    released.wait();
                  })
                  .ok());
  entered_future.wait();
  int accepted = 0, refused = 0;
  for (int i = 0; i < 20; ++i) {
    absl::Status s = t.loop().Post([] {});
    if (s.ok()) {
      ++accepted;
    } else {
      EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
      ++refused;
    }
  }
  EXPECT_EQ(accepted, 8);
  EXPECT_EQ(refused, 12);
  EXPECT_EQ(t.loop().stats().posts_rejected.load(), 12u);
  release.set_value();
}

TEST(EventLoopTest, TimersFireInDeadlineOrderAndCancel) {
  LoopThread t;
  std::vector<int> fired;
  std::promise<void> done;
  t.RunSync([&] {
    t.loop().RunAfter(std::chrono::milliseconds(30), [&] { fired.push_back(3); });
    t.loop().RunAfter(std::chrono::milliseconds(10), [&] { fired.push_back(1); });
    auto cancelled = t.loop().RunAfter(std::chrono::milliseconds(20), [&] { fired.push_back(2); });
    t.loop().CancelTimer(cancelled);
    t.loop().CancelTimer(987654);  // unknown: no-op
    t.loop().RunAfter(std::chrono::milliseconds(40), [&] { done.set_value(); });
  });
  auto start = std::chrono::steady_clock::now();
  done.get_future().wait();
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(35));
  EXPECT_EQ(fired, (std::vector<int>{1, 3}));
}

TEST(EventLoopTest, DeferRunsAfterTheCurrentCallback) {
  LoopThread t;
  std::vector<int> order;
  t.RunSync([&] {
    t.loop().Defer([&] {
      order.push_back(2);
      t.loop().Defer([&] { order.push_back(3); });
    });
    order.push_back(1);
  });
  t.RunSync([] {});
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

class PipeReader : public IoHandler {
 public:
  explicit PipeReader(int fd) : fd_(fd) {}
  void OnIo(uint32_t) override {
    char buf[64];
    ssize_t n = read(fd_, buf, sizeof(buf));
    if (n > 0) got.append(buf, static_cast<size_t>(n));
    ++events;
  }
  int fd_;
  std::string got;
  int events = 0;
};

TEST(EventLoopTest, UnwatchStopsEventsEvenInTheSameBatch) {
  LoopThread t;
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  PipeReader reader(fds[0]);
  t.RunSync([&] { ASSERT_TRUE(t.loop().Watch(fds[0], EPOLLIN, &reader).ok()); });
  ASSERT_EQ(write(fds[1], "hello", 5), 5);
  ASSERT_TRUE([&] {
    for (int i = 0; i < 200; ++i) {
      bool done = false;
      t.RunSync([&] { done = reader.got == "hello"; });
      if (done) return true;
      std::this_thread::yield();
    }
    return false;
  }());
  t.RunSync([&] { t.loop().Unwatch(fds[0]); });
  int before = 0;
  t.RunSync([&] { before = reader.events; });
  ASSERT_EQ(write(fds[1], "more", 4), 4);
  t.RunSync([] {});
  t.RunSync([] {});
  int after = 0;
  t.RunSync([&] { after = reader.events; });
  EXPECT_EQ(before, after);
  close(fds[0]);
  close(fds[1]);
}

TEST(LoopPoolTest, LeastLoadedBalancesLinks) {
  LoopPool pool(3);
  pool.Start();
  for (int i = 0; i < 9; ++i) pool.LeastLoaded()->stats().links.fetch_add(1);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(pool.loop(i)->stats().links.load(), 3);
  pool.Stop();
}

}  // namespace
}  // namespace redlink::engine
