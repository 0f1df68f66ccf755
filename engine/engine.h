#pragma once
// The engine facade: the only engine header service/ includes. It owns the event loops, the
// links (each pinned to one loop), the RESP read endpoint and the watch hub. Every method is
// safe from any thread unless stated; none blocks on a loop. Results of actions on a link come
// back through callbacks that run on that link's loop thread (gRPC handlers finish from there).

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/common/string_map.h"
#include "engine/engine_types.h"
#include "engine/io/loop_pool.h"
#include "engine/io/resolver.h"
#include "engine/replication/replica_link.h"

namespace redlink::engine {

class RespServer;
class Reclaimer;

struct EngineOptions {
  int threads = 1;
  std::string resp_addr = "127.0.0.1:6380";  // empty: no read endpoint
  uint64_t max_bulk_len = 512ull * 1024 * 1024;
  int max_links = 10000;
  // Password of the RESP read endpoint (the API token). Empty: any password is accepted.
  std::string resp_password;
  int resp_max_clients = 10000;
  uint64_t resp_max_output_bytes = 256ull * 1024 * 1024;  // per client, then it is dropped
  size_t task_queue_capacity = EventLoop::kDefaultTaskQueueCapacity;
};

// What each loop owns: the links pinned to it, by id. Loop thread only.
struct LoopContext {
  EventLoop* loop = nullptr;
  StringMap<std::unique_ptr<ReplicaLink>> links;
  ReplicaLink* FindLink(std::string_view id) {
    auto it = links.find(id);
    return it == links.end() ? nullptr : it->second.get();
  }
};

class Engine : public LinkObserver {
 public:
  using StatusCallback = absl::AnyInvocable<void(absl::StatusOr<LinkStatusPtr>)>;
  using DoneCallback = absl::AnyInvocable<void(absl::Status)>;
  using WatchCallback = std::function<void(const LinkEvent&)>;

  explicit Engine(EngineOptions options);
  ~Engine() override;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Binds the read endpoint and starts the loops. Not thread-safe with Stop().
  absl::Status Start();
  // Stops every link (closing its connection), the endpoint and the loops. Idempotent.
  void Stop();
  // The RESP endpoint's port (after Start), 0 when there is none.
  int resp_port() const;

  // Creates a link and starts it. ALREADY_EXISTS, RESOURCE_EXHAUSTED (max_links or a full loop
  // queue). `done` gets the first snapshot.
  void CreateLink(LinkSpec spec, StatusCallback done);
  // Returns (through `done`) once the link is torn down: connection closed, dataset freed,
  // watchers told. NOT_FOUND for an unknown id.
  void DeleteLink(const std::string& id, DoneCallback done);
  void SetLinkAuth(const std::string& id, std::string username, std::string password,
                   StatusCallback done);
  // `done` runs once the link is PAUSED (at a command boundary).
  void PauseLink(const std::string& id, StatusCallback done);
  void ResumeLink(const std::string& id, StatusCallback done);
  void UpdateLink(const std::string& id, LinkUpdate update, StatusCallback done);

  // Snapshots (never wait on a loop). nullptr / empty when unknown.
  LinkStatusPtr GetLink(std::string_view id) const;
  std::vector<LinkStatusPtr> ListLinks() const;  // sorted by id
  // Grows whenever a link is added to or removed from ListLinks (the metrics page's cache).
  uint64_t link_set_changes() const { return link_set_changes_.load(std::memory_order_relaxed); }
  size_t num_links() const;

  // Watchers: `cb` first gets the current state of each matching link (from inside this call),
  // then one event per state change and a final deleted event, in order per link, never the
  // same state twice in a row. `cb` runs on loop threads and must not block. An empty filter
  // matches every link. Returns an id for RemoveWatcher.
  uint64_t AddWatcher(const std::string& link_id_filter, WatchCallback cb);
  void RemoveWatcher(uint64_t watcher_id);

  LoopPool& loops() { return *loops_; }
  LoopContext& context(int loop_index) { return *contexts_[loop_index]; }
  // The loop a link is pinned to, or nullptr.
  EventLoop* LoopOf(std::string_view id) const;
  const EngineOptions& options() const { return options_; }

  // LinkObserver (loop threads).
  void OnLinkStateChange(const LinkStatusPtr& status) override;

 private:
  struct Entry {
    std::shared_ptr<LinkSlot> slot;
    bool deleting = false;
  };
  struct Watcher {
    std::string filter;
    WatchCallback cb;
    absl::flat_hash_map<std::string, LinkState> last_state;
  };

  // Posts `fn(link)` to the link's loop; `fail` gets NOT_FOUND / RESOURCE_EXHAUSTED otherwise.
  void OnLink(const std::string& id, absl::AnyInvocable<void(ReplicaLink*)> fn,
              absl::AnyInvocable<void(absl::Status)> fail);
  void Notify(const LinkEvent& event);

  EngineOptions options_;
  std::unique_ptr<LoopPool> loops_;
  std::vector<std::unique_ptr<LoopContext>> contexts_;
  std::unique_ptr<Resolver> resolver_;
  std::unique_ptr<Reclaimer> reclaimer_;
  LinkEnvironment env_;
  std::unique_ptr<RespServer> resp_server_;
  bool started_ = false;
  bool stopped_ = false;

  mutable std::mutex mu_;  // guards links_
  std::map<std::string, Entry, std::less<>> links_;
  std::atomic<uint64_t> link_set_changes_{0};

  std::mutex watch_mu_;  // guards watchers_
  std::map<uint64_t, Watcher> watchers_;
  uint64_t next_watcher_id_ = 1;
};

}  // namespace redlink::engine
