#include "engine/engine.h"

#include <condition_variable>
#include <deque>
#include <thread>

#include "engine/common/log.h"
#include "engine/common/strings.h"
#include "engine/server/resp_server.h"

namespace redlink::engine {

// Destroys replaced datasets on a background thread: freeing millions of keys takes long, and
// no loop may stall on it (Redis's lazyfree for the same reason).
class Reclaimer {
 public:
  Reclaimer() : thread_([this] { Run(); }) {}
  ~Reclaimer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void Dispose(std::unique_ptr<Keyspace> keyspace) {
    if (!keyspace) return;
    {
      std::lock_guard<std::mutex> lock(mu_);
      queue_.push_back(std::move(keyspace));
    }
    cv_.notify_one();
  }

 private:
  void Run() {
    pthread_setname_np(pthread_self(), "reclaimer");
    for (;;) {
      std::unique_ptr<Keyspace> victim;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) return;
        victim = std::move(queue_.front());
        queue_.pop_front();
      }
      victim.reset();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Keyspace>> queue_;
  bool stop_ = false;
  std::thread thread_;
};

Engine::Engine(EngineOptions options) : options_(std::move(options)) {
  loops_ = std::make_unique<LoopPool>(options_.threads, options_.task_queue_capacity);
  for (int i = 0; i < loops_->size(); ++i) {
    auto ctx = std::make_unique<LoopContext>();
    ctx->loop = loops_->loop(i);
    contexts_.push_back(std::move(ctx));
  }
  resolver_ = std::make_unique<Resolver>();
  reclaimer_ = std::make_unique<Reclaimer>();
  env_.resolver = resolver_.get();
  env_.observer = this;
  env_.max_bulk_len = options_.max_bulk_len;
  env_.dispose = [r = reclaimer_.get()](std::unique_ptr<Keyspace> ks) {
    r->Dispose(std::move(ks));
  };
}

Engine::~Engine() { Stop(); }

absl::Status Engine::Start() {
  if (!options_.resp_addr.empty()) {
    resp_server_ = std::make_unique<RespServer>(this);
    if (auto s = resp_server_->Bind(options_.resp_addr); !s.ok()) return s;
    env_.announce_port = resp_server_->port();
  }
  loops_->Start();
  if (resp_server_) resp_server_->Start();
  started_ = true;
  return absl::OkStatus();
}

void Engine::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (started_) {
    // Tear every link down on its own loop, then stop the loops.
    std::mutex done_mu;
    std::condition_variable done_cv;
    int pending = 0;
    for (auto& ctx : contexts_) {
      LoopContext* c = ctx.get();
      ++pending;
      absl::Status s = c->loop->Post([c, &done_mu, &done_cv, &pending] {
        for (auto& [id, link] : c->links) link->Stop();
        c->links.clear();
        std::lock_guard<std::mutex> lock(done_mu);
        --pending;
        done_cv.notify_all();
      });
      if (!s.ok()) {
        std::lock_guard<std::mutex> lock(done_mu);
        --pending;
      }
    }
    {
      std::unique_lock<std::mutex> lock(done_mu);
      done_cv.wait_for(lock, std::chrono::seconds(5), [&] { return pending == 0; });
    }
    if (resp_server_) resp_server_->Stop();
  }
  loops_->Stop();
  for (auto& ctx : contexts_) ctx->links.clear();
  resp_server_.reset();
}

int Engine::resp_port() const { return resp_server_ ? resp_server_->port() : 0; }

void Engine::CreateLink(LinkSpec spec, StatusCallback done) {
  std::shared_ptr<LinkSlot> slot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (links_.count(spec.id)) {
      done(absl::AlreadyExistsError(StrCat("link '", spec.id, "' already exists")));
      return;
    }
    if (static_cast<int>(links_.size()) >= options_.max_links) {
      done(absl::ResourceExhaustedError(StrCat(
          "this process already has the most links it accepts (--max_links=", options_.max_links,
          ")")));
      return;
    }
    slot = std::make_shared<LinkSlot>();
    slot->id = spec.id;
    slot->loop = loops_->LeastLoaded();
    slot->loop->stats().links.fetch_add(1);
    links_[spec.id] = Entry{slot, false};
    link_set_changes_.fetch_add(1, std::memory_order_relaxed);
  }
  EventLoop* loop = slot->loop;
  LoopContext* ctx = contexts_[loop->index()].get();
  auto shared_done = std::make_shared<StatusCallback>(std::move(done));
  absl::Status posted =
      loop->Post([this, ctx, slot, spec = std::move(spec), shared_done]() mutable {
        std::string id = spec.id;
        auto link = std::make_unique<ReplicaLink>(ctx->loop, std::move(spec), slot, &env_);
        ReplicaLink* raw = link.get();
        ctx->links[id] = std::move(link);
        if (resp_server_) resp_server_->OnLinkCreated(ctx->loop->index(), raw);
        raw->Start();
        (*shared_done)(slot->status.load());
      });
  if (!posted.ok()) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      links_.erase(slot->id);
      link_set_changes_.fetch_add(1, std::memory_order_relaxed);
    }
    loop->stats().links.fetch_sub(1);
    (*shared_done)(posted);
  }
}

void Engine::OnLink(const std::string& id, absl::AnyInvocable<void(ReplicaLink*)> fn,
                    absl::AnyInvocable<void(absl::Status)> fail) {
  EventLoop* loop = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = links_.find(id);
    if (it == links_.end() || it->second.deleting) {
      fail(absl::NotFoundError(StrCat("link '", id, "' not found")));
      return;
    }
    loop = it->second.slot->loop;
  }
  LoopContext* ctx = contexts_[loop->index()].get();
  auto shared_fail = std::make_shared<absl::AnyInvocable<void(absl::Status)>>(std::move(fail));
  absl::Status posted = loop->Post([ctx, id, fn = std::move(fn), shared_fail]() mutable {
    ReplicaLink* link = ctx->FindLink(id);
    if (!link) {
      (*shared_fail)(absl::NotFoundError(StrCat("link '", id, "' not found")));
      return;
    }
    fn(link);
  });
  if (!posted.ok()) (*shared_fail)(posted);
}

void Engine::DeleteLink(const std::string& id, DoneCallback done) {
  std::shared_ptr<LinkSlot> slot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = links_.find(id);
    if (it == links_.end() || it->second.deleting) {
      done(absl::NotFoundError(StrCat("link '", id, "' not found")));
      return;
    }
    it->second.deleting = true;
    link_set_changes_.fetch_add(1, std::memory_order_relaxed);
    slot = it->second.slot;
  }
  EventLoop* loop = slot->loop;
  LoopContext* ctx = contexts_[loop->index()].get();
  auto shared_done = std::make_shared<DoneCallback>(std::move(done));
  absl::Status posted = loop->Post([this, ctx, id, slot, shared_done] {
    auto it = ctx->links.find(id);
    if (it != ctx->links.end()) {
      std::unique_ptr<ReplicaLink> link = std::move(it->second);
      ctx->links.erase(it);
      if (resp_server_) resp_server_->OnLinkDeleted(ctx->loop->index(), link.get());
      link->Stop();
      // The dataset goes to the reclaimer; the link object itself is small.
      LinkStatusPtr last = slot->status.load();
      link.reset();
      {
        std::lock_guard<std::mutex> lock(mu_);
        links_.erase(id);
        link_set_changes_.fetch_add(1, std::memory_order_relaxed);
      }
      ctx->loop->stats().links.fetch_sub(1);
      LOG(Info) << "link " << id << " deleted";
      if (last) Notify(LinkEvent{last, true});
    }
    (*shared_done)(absl::OkStatus());
  });
  if (!posted.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = links_.find(id);
    if (it != links_.end()) it->second.deleting = false;
    (*shared_done)(posted);
  }
}

namespace {
// Wraps a StatusCallback so that OnLink's failure path and the success path share it.
struct SharedCallback {
  std::shared_ptr<Engine::StatusCallback> cb;
  void operator()(absl::StatusOr<LinkStatusPtr> s) const { (*cb)(std::move(s)); }
};
SharedCallback Share(Engine::StatusCallback cb) {
  return SharedCallback{std::make_shared<Engine::StatusCallback>(std::move(cb))};
}
}  // namespace

void Engine::SetLinkAuth(const std::string& id, std::string username, std::string password,
                         StatusCallback done) {
  auto cb = Share(std::move(done));
  OnLink(
      id,
      [cb, username = std::move(username),
       password = std::move(password)](ReplicaLink* link) mutable {
        link->SetAuth(std::move(username), std::move(password));
        cb(link->status());
      },
      [cb](absl::Status s) { cb(s); });
}

void Engine::PauseLink(const std::string& id, StatusCallback done) {
  auto cb = Share(std::move(done));
  OnLink(
      id,
      [cb](ReplicaLink* link) {
        link->Pause([cb, link](absl::Status s) {
          if (s.ok()) {
            cb(link->status());
          } else {
            cb(s);
          }
        });
      },
      [cb](absl::Status s) { cb(s); });
}

void Engine::ResumeLink(const std::string& id, StatusCallback done) {
  auto cb = Share(std::move(done));
  OnLink(
      id,
      [cb](ReplicaLink* link) {
        link->Resume();
        cb(link->status());
      },
      [cb](absl::Status s) { cb(s); });
}

void Engine::UpdateLink(const std::string& id, LinkUpdate update, StatusCallback done) {
  auto cb = Share(std::move(done));
  OnLink(
      id,
      [cb, update = std::move(update)](ReplicaLink* link) {
        link->Update(update);
        cb(link->status());
      },
      [cb](absl::Status s) { cb(s); });
}

LinkStatusPtr Engine::GetLink(std::string_view id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = links_.find(id);
  if (it == links_.end() || it->second.deleting) return nullptr;
  return it->second.slot->status.load();
}

std::vector<LinkStatusPtr> Engine::ListLinks() const {
  std::vector<LinkStatusPtr> out;
  std::lock_guard<std::mutex> lock(mu_);
  out.reserve(links_.size());
  for (const auto& [id, entry] : links_) {
    if (entry.deleting) continue;
    if (auto s = entry.slot->status.load()) out.push_back(std::move(s));
  }
  return out;
}

size_t Engine::num_links() const {
  std::lock_guard<std::mutex> lock(mu_);
  return links_.size();
}

EventLoop* Engine::LoopOf(std::string_view id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = links_.find(id);
  return it == links_.end() || it->second.deleting ? nullptr : it->second.slot->loop;
}

uint64_t Engine::AddWatcher(const std::string& filter, WatchCallback cb) {
  std::lock_guard<std::mutex> lock(watch_mu_);
  uint64_t id = next_watcher_id_++;
  Watcher w{filter, std::move(cb), {}};
  // The current state first, under watch_mu_: a state change racing with this call is either
  // already in the snapshot (and then dropped as a repeat) or delivered after it.
  for (const auto& status : ListLinks()) {
    if (!filter.empty() && status->id != filter) continue;
    w.last_state[status->id] = status->state;
    w.cb(LinkEvent{status, false});
  }
  watchers_.emplace(id, std::move(w));
  return id;
}

void Engine::RemoveWatcher(uint64_t watcher_id) {
  std::lock_guard<std::mutex> lock(watch_mu_);
  watchers_.erase(watcher_id);
}

void Engine::OnLinkStateChange(const LinkStatusPtr& status) { Notify(LinkEvent{status, false}); }

void Engine::Notify(const LinkEvent& event) {
  std::lock_guard<std::mutex> lock(watch_mu_);
  const std::string& id = event.link->id;
  for (auto& [wid, w] : watchers_) {
    if (!w.filter.empty() && w.filter != id) continue;
    if (event.deleted) {
      w.last_state.erase(id);
      w.cb(event);
      continue;
    }
    auto [it, inserted] = w.last_state.try_emplace(id, event.link->state);
    if (!inserted) {
      if (it->second == event.link->state) continue;  // never the same state twice in a row
      it->second = event.link->state;
    }
    w.cb(event);
  }
}

}  // namespace redlink::engine
