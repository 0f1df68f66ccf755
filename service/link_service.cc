#include "service/link_service.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <optional>
#include <random>

#include "absl/hash/hash.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "engine/common/log.h"
#include "engine/common/strings.h"
#include "service/convert.h"
#include "service/validation.h"

namespace redlink::service {

using engine::LinkStatusPtr;

namespace {

// Compares in time that depends only on the lengths, never on where the first difference is.
bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned char>(x ^ y);
  }
  return diff == 0;
}

// Finishes a unary RPC with a status snapshot or an error.
void FinishWithLink(grpc::ServerUnaryReactor* reactor, redlink::v1::Link* resp,
                    const absl::StatusOr<LinkStatusPtr>& result) {
  if (!result.ok()) {
    reactor->Finish(ToGrpcStatus(result.status()));
    return;
  }
  if (*result) ToProto(**result, resp);
  reactor->Finish(grpc::Status::OK);
}

grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* ctx, const absl::Status& s) {
  auto* reactor = ctx->DefaultReactor();
  reactor->Finish(ToGrpcStatus(s));
  return reactor;
}

// The registry callback of an RPC that changed a link: the change is applied (the engine did
// it), and the reply waits for it to be durable. `what` says what was done, for the message
// when the registry could not write it.
Registry::Done FinishWhenDurable(grpc::ServerUnaryReactor* reactor, redlink::v1::Link* resp,
                                 absl::StatusOr<LinkStatusPtr> result, std::string what) {
  return [reactor, resp, result = std::move(result), what = std::move(what)](absl::Status s) {
    if (!s.ok()) {
      reactor->Finish(ToGrpcStatus(
          absl::Status(s.code(), StrCat(what, ", but the change is not durable: ", s.message()))));
      return;
    }
    FinishWithLink(reactor, resp, result);
  };
}

class FailedWatch : public grpc::ServerWriteReactor<redlink::v1::LinkEvent> {
 public:
  explicit FailedWatch(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

// Streams LinkEvents to one watcher. Events come from loop threads through the engine's watch
// callback (which already drops repeats of a state and orders each link's events), queue here
// as snapshot pointers (bounded) and are converted and written one at a time. A watcher that
// falls kMaxQueuedEvents behind is finished with RESOURCE_EXHAUSTED: a slow reader never slows
// a link or the other watchers. Lock order: service watches_mu_ -> mu_; engine watch lock -> mu_.
class WatchReactor : public grpc::ServerWriteReactor<redlink::v1::LinkEvent> {
 public:
  WatchReactor(LinkServiceImpl* service, const std::string& filter)
      : service_(service), filter_(filter) {
    {
      std::lock_guard<std::mutex> lock(service_->watches_mu_);
      if (service_->shutting_down_) {
        std::lock_guard<std::mutex> l(mu_);
        FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, "redlinkd is shutting down"));
        return;
      }
      service_->watches_.insert(this);
      registered_ = true;
    }
    // The current state of each matching link is delivered from inside AddWatcher; those events
    // do not count against the bound (a watcher of every link starts with one per link).
    watcher_id_ =
        service_->engine_->AddWatcher(filter_, [this](const engine::LinkEvent& e) { Enqueue(e); });
    // The bound grows with the number of links, so that a burst (a master with many links
    // restarting) does not cut off a watcher that reads at a normal pace; a queued event is a
    // pointer to a shared snapshot, so this costs little.
    size_t bound = std::max(service_->max_queued_events_, 2 * service_->engine_->num_links());
    std::lock_guard<std::mutex> lock(mu_);
    initial_ = queue_.size();
    limit_ = initial_ + bound;
    // With nothing to send yet (a link that does not exist yet), send the headers now so the
    // client knows it is subscribed; otherwise they go with the first event.
    if (!writing_ && !finished_) StartSendInitialMetadata();
  }

  // Shutdown: called with the service's watches_mu_ held.
  void EndForShutdown() {
    std::lock_guard<std::mutex> lock(mu_);
    FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                              "redlinkd is shutting down: watch again once it is back"));
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (deferred_finish_) {
      // FinishLocked ran during the write and left the real Finish to this point.
      grpc::Status status = std::move(*deferred_finish_);
      deferred_finish_.reset();
      Finish(status);
      return;
    }
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher went away"));
      return;
    }
    WriteNextLocked();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (registered_) service_->RemoveWatch(this);
    // After RemoveWatcher returns, no engine callback is running or will run for this reactor.
    if (watcher_id_) service_->engine_->RemoveWatcher(watcher_id_);
    delete this;
  }

 private:
  // Loop threads (and the constructor, for the initial snapshot).
  void Enqueue(const engine::LinkEvent& event) {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    if (queue_.size() >= limit_) {
      FinishLocked(grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          StrCat("this watcher fell ", limit_ - initial_,
                 " events behind and was cut off so that it does not hold links back; call "
                 "WatchLinks again (it starts with the current state of every link)")));
      return;
    }
    queue_.push_back(event);
    WriteNextLocked();
  }

  void WriteNextLocked() {
    if (writing_ || finished_ || queue_.empty()) return;
    writing_ = true;
    current_.Clear();
    ToProto(*queue_.front().link, current_.mutable_link());
    current_.set_deleted(queue_.front().deleted);
    queue_.pop_front();
    StartWrite(&current_);
  }

  // Finishes once; while a write is in flight the Finish waits for its OnWriteDone (one
  // operation of each kind at a time, as the callback API wants).
  void FinishLocked(const grpc::Status& status) {
    if (finished_) return;
    finished_ = true;
    queue_.clear();
    if (writing_) {
      deferred_finish_ = status;
      return;
    }
    Finish(status);
  }

  LinkServiceImpl* const service_;
  const std::string filter_;
  uint64_t watcher_id_ = 0;
  bool registered_ = false;

  std::mutex mu_;
  std::deque<engine::LinkEvent> queue_;          // guarded by mu_
  size_t limit_ = SIZE_MAX;                      // guarded by mu_; unbounded during the snapshot
  size_t initial_ = 0;                           // guarded by mu_; events of the initial snapshot
  redlink::v1::LinkEvent current_;               // guarded by mu_; the message being written
  bool writing_ = false;                         // guarded by mu_
  bool finished_ = false;                        // guarded by mu_
  std::optional<grpc::Status> deferred_finish_;  // guarded by mu_
};

LinkServiceImpl::LinkServiceImpl(engine::Engine* engine, Registry* registry, std::string api_token)
    : engine_(engine), registry_(registry), api_token_(std::move(api_token)) {
  std::random_device rd;
  token_secret_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

LinkServiceImpl::~LinkServiceImpl() = default;

absl::Status LinkServiceImpl::Admit(grpc::CallbackServerContext* ctx) const {
  if (!api_token_.empty()) {
    const auto& md = ctx->client_metadata();
    auto it = md.find("authorization");
    bool ok = false;
    if (it != md.end()) {
      std::string_view value(it->second.data(), it->second.size());
      constexpr std::string_view kBearer = "Bearer ";
      // RFC 6750: the scheme is case-insensitive.
      ok = value.size() > kBearer.size() &&
           (value.substr(0, kBearer.size()) == kBearer ||
            value.substr(0, kBearer.size()) == "bearer ") &&
           ConstantTimeEquals(value.substr(kBearer.size()), api_token_);
    }
    if (!ok) {
      return absl::UnauthenticatedError(
          it == md.end()
              ? "this server needs an API token: send the metadata 'authorization: Bearer "
                "<token>' with the token of its --auth_token_file"
              : "wrong API token: send 'authorization: Bearer <token>' with the token of the "
                "server's --auth_token_file");
    }
  }
  if (shutting_down_) {
    return absl::UnavailableError("redlinkd is shutting down: retry once it is back");
  }
  return absl::OkStatus();
}

std::vector<LinkRecord> LinkServiceImpl::RecordsForTest() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<LinkRecord> out;
  for (const auto& [id, rec] : records_) out.push_back(rec);
  return out;
}

void LinkServiceImpl::ChangeRecord(
    const std::string& id, const std::function<void(std::map<std::string, LinkRecord>&)>& edit,
    Registry::Done done) {
  // Under mu_, so the registry receives the changes in the order they were made.
  std::lock_guard<std::mutex> lock(mu_);
  edit(records_);
  auto it = records_.find(id);
  if (it != records_.end()) {
    registry_->Put(it->second, std::move(done));
  } else {
    registry_->Remove(id, std::move(done));
  }
}

grpc::ServerUnaryReactor* LinkServiceImpl::CreateLink(grpc::CallbackServerContext* ctx,
                                                      const redlink::v1::CreateLinkRequest* req,
                                                      redlink::v1::Link* resp) {
  if (auto s = Admit(ctx); !s.ok()) return FinishNow(ctx, s);
  absl::Status valid = ValidateLinkId(req->link_id());
  if (valid.ok() && !req->has_master()) {
    valid = absl::InvalidArgumentError("master is required: {host, port} of the Redis master");
  }
  if (valid.ok()) valid = ValidateMaster(req->master());
  if (valid.ok() && req->has_auth()) valid = ValidateAuth(req->auth());
  if (valid.ok() && req->has_options()) valid = ValidateOptions(req->options());
  if (!valid.ok()) return FinishNow(ctx, valid);

  LinkRecord record;
  engine::LinkSpec& spec = record.spec;
  spec.id = req->link_id();
  spec.host = req->master().host();
  spec.port = req->master().port();
  spec.username = req->auth().username();
  spec.password = req->auth().password();
  spec.options = FromProto(req->options());
  spec.create_time = absl::Now();
  auto* reactor = ctx->DefaultReactor();
  engine::LinkSpec engine_spec = spec;
  engine_->CreateLink(std::move(engine_spec), [this, reactor, resp, record = std::move(record)](
                                                  absl::StatusOr<LinkStatusPtr> result) mutable {
    if (!result.ok()) {
      reactor->Finish(ToGrpcStatus(result.status()));
      return;
    }
    std::string id = record.spec.id;
    LINK_LOG(Info, id) << "created over the API: master " << record.spec.host << ":"
                       << record.spec.port;
    ChangeRecord(
        id, [&](auto& records) { records[id] = std::move(record); },
        FinishWhenDurable(reactor, resp, std::move(result), StrCat("link '", id, "' was created")));
  });
  return reactor;
}

grpc::ServerUnaryReactor* LinkServiceImpl::GetLink(grpc::CallbackServerContext* ctx,
                                                   const redlink::v1::GetLinkRequest* req,
                                                   redlink::v1::Link* resp) {
  if (auto s = Admit(ctx); !s.ok()) return FinishNow(ctx, s);
  if (auto s = ValidateLinkId(req->link_id()); !s.ok()) return FinishNow(ctx, s);
  LinkStatusPtr status = engine_->GetLink(req->link_id());
  if (!status) {
    return FinishNow(ctx, absl::NotFoundError(StrCat("link '", req->link_id(), "' not found")));
  }
  ToProto(*status, resp);
  return FinishNow(ctx, absl::OkStatus());
}

// Page tokens: base64 of "v1|<state>|<last id>|<mac>", the mac keyed with a per-process random
// secret, so a token the server did not issue (or issued for another state filter) is refused.
// Tokens die with the process; a client that gets INVALID_ARGUMENT after a restart starts over.
std::string LinkServiceImpl::MakePageToken(const std::string& last_id, int state) const {
  uint64_t mac = absl::HashOf(token_secret_, state, last_id);
  std::string raw = StrCat("v1|", state, "|", last_id, "|", absl::Hex(mac));
  return absl::WebSafeBase64Escape(raw);
}

absl::Status LinkServiceImpl::ParsePageToken(const std::string& token, int state,
                                             std::string* last_id) const {
  auto bad = absl::InvalidArgumentError(
      "page_token was not issued by this server process for this state filter: pass the "
      "next_page_token of the previous ListLinks response with the same state, or no token to "
      "start over");
  std::string raw;
  if (token.size() > 512 || !absl::WebSafeBase64Unescape(token, &raw)) return bad;
  std::vector<std::string> parts = absl::StrSplit(raw, '|');
  if (parts.size() != 4 || parts[0] != "v1") return bad;
  if (parts[1] != StrCat(state)) return bad;
  if (parts[3] != StrCat(absl::Hex(absl::HashOf(token_secret_, state, parts[2])))) return bad;
  *last_id = parts[2];
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* LinkServiceImpl::ListLinks(grpc::CallbackServerContext* ctx,
                                                     const redlink::v1::ListLinksRequest* req,
                                                     redlink::v1::ListLinksResponse* resp) {
  if (auto s = Admit(ctx); !s.ok()) return FinishNow(ctx, s);
  if (req->page_size() < 0) {
    return FinishNow(
        ctx, absl::InvalidArgumentError(StrCat("page_size must be 0 (default ", kDefaultPageSize,
                                               ") to ", kMaxPageSize, ": got ", req->page_size())));
  }
  if (auto s = ValidateState(req->state()); !s.ok()) return FinishNow(ctx, s);
  int page_size =
      req->page_size() == 0 ? kDefaultPageSize : std::min(req->page_size(), kMaxPageSize);
  std::string after;
  if (!req->page_token().empty()) {
    if (auto s = ParsePageToken(req->page_token(), req->state(), &after); !s.ok()) {
      return FinishNow(ctx, s);
    }
  }
  auto wanted = FromProto(req->state());
  std::vector<LinkStatusPtr> links = engine_->ListLinks();  // sorted by id
  auto begin = after.empty() ? links.begin()
                             : std::upper_bound(links.begin(), links.end(), after,
                                                [](const std::string& id, const LinkStatusPtr& l) {
                                                  return id < l->id;
                                                });
  int added = 0;
  std::string last;
  for (auto it = begin; it != links.end(); ++it) {
    const auto& l = *it;
    if (wanted != engine::LinkState::kUnspecified && l->state != wanted) continue;
    if (added == page_size) {
      // There is at least one more match: the next page starts after the last one returned.
      resp->set_next_page_token(MakePageToken(last, req->state()));
      break;
    }
    ToProto(*l, resp->add_links());
    last = l->id;
    ++added;
  }
  return FinishNow(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* LinkServiceImpl::UpdateLink(grpc::CallbackServerContext* ctx,
                                                      const redlink::v1::UpdateLinkRequest* req,
                                                      redlink::v1::Link* resp) {
  if (auto s = Admit(ctx); !s.ok()) return FinishNow(ctx, s);
  absl::Status valid = ValidateLinkId(req->link_id());
  if (valid.ok() && !req->has_master() && !req->has_options()) {
    valid = absl::InvalidArgumentError("nothing to update: set master and/or options");
  }
  if (valid.ok() && req->has_master()) valid = ValidateMaster(req->master());
  if (valid.ok() && req->has_options()) valid = ValidateOptions(req->options());
  if (!valid.ok()) return FinishNow(ctx, valid);
  engine::LinkUpdate update;
  if (req->has_master()) {
    update.host = req->master().host();
    update.port = req->master().port();
  }
  if (req->has_options()) update.options = FromProto(req->options());
  auto* reactor = ctx->DefaultReactor();
  std::string id = req->link_id();
  engine_->UpdateLink(
      id, update, [this, reactor, resp, id, update](absl::StatusOr<LinkStatusPtr> r) {
        if (!r.ok()) {
          reactor->Finish(ToGrpcStatus(r.status()));
          return;
        }
        ChangeRecord(
            id,
            [&](auto& records) {
              auto it = records.find(id);
              if (it == records.end()) return;
              if (update.host) it->second.spec.host = *update.host;
              if (update.port) it->second.spec.port = *update.port;
              if (update.options) it->second.spec.options = *update.options;
            },
            FinishWhenDurable(reactor, resp, std::move(r), StrCat("link '", id, "' was updated")));
      });
  return reactor;
}

grpc::ServerUnaryReactor* LinkServiceImpl::SetLinkAuth(grpc::CallbackServerContext* ctx,
                                                       const redlink::v1::SetLinkAuthRequest* req,
                                                       redlink::v1::Link* resp) {
  if (auto s = Admit(ctx); !s.ok()) return FinishNow(ctx, s);
  absl::Status valid = ValidateLinkId(req->link_id());
  if (valid.ok() && !req->has_auth()) {
    valid = absl::InvalidArgumentError(
        "auth is required: {username, password}; an empty password clears the credentials");
  }
  if (valid.ok()) valid = ValidateAuth(req->auth());
  if (!valid.ok()) return FinishNow(ctx, valid);
  auto* reactor = ctx->DefaultReactor();
  std::string id = req->link_id();
  std::string user = req->auth().username(), pass = req->auth().password();
  engine_->SetLinkAuth(
      id, user, pass, [this, reactor, resp, id, user, pass](absl::StatusOr<LinkStatusPtr> r) {
        if (!r.ok()) {
          reactor->Finish(ToGrpcStatus(r.status()));
          return;
        }
        ChangeRecord(
            id,
            [&](auto& records) {
              auto it = records.find(id);
              if (it == records.end()) return;
              it->second.spec.username = user;
              it->second.spec.password = pass;
            },
            FinishWhenDurable(reactor, resp, std::move(r),
                              StrCat("the credentials of link '", id, "' were set")));
      });
  return reactor;
}

grpc::ServerUnaryReactor* LinkServiceImpl::PauseLink(grpc::CallbackServerContext* ctx,
                                                     const redlink::v1::PauseLinkRequest* req,
                                                     redlink::v1::Link* resp) {
  if (auto s = Admit(ctx); !s.ok()) return FinishNow(ctx, s);
  if (auto s = ValidateLinkId(req->link_id()); !s.ok()) return FinishNow(ctx, s);
  auto* reactor = ctx->DefaultReactor();
  std::string id = req->link_id();
  // The engine calls back once the link is PAUSED (at a command boundary, after an open
  // MULTI/EXEC); only then is the pause recorded.
  engine_->PauseLink(id, [this, reactor, resp, id](absl::StatusOr<LinkStatusPtr> r) {
    if (!r.ok()) {
      reactor->Finish(ToGrpcStatus(r.status()));
      return;
    }
    ChangeRecord(
        id,
        [&](auto& records) {
          auto it = records.find(id);
          if (it != records.end()) it->second.spec.paused = true;
        },
        FinishWhenDurable(reactor, resp, std::move(r), StrCat("link '", id, "' was paused")));
  });
  return reactor;
}

grpc::ServerUnaryReactor* LinkServiceImpl::ResumeLink(grpc::CallbackServerContext* ctx,
                                                      const redlink::v1::ResumeLinkRequest* req,
                                                      redlink::v1::Link* resp) {
  if (auto s = Admit(ctx); !s.ok()) return FinishNow(ctx, s);
  if (auto s = ValidateLinkId(req->link_id()); !s.ok()) return FinishNow(ctx, s);
  auto* reactor = ctx->DefaultReactor();
  std::string id = req->link_id();
  engine_->ResumeLink(id, [this, reactor, resp, id](absl::StatusOr<LinkStatusPtr> r) {
    if (!r.ok()) {
      reactor->Finish(ToGrpcStatus(r.status()));
      return;
    }
    ChangeRecord(
        id,
        [&](auto& records) {
          auto it = records.find(id);
          if (it != records.end()) it->second.spec.paused = false;
        },
        FinishWhenDurable(reactor, resp, std::move(r), StrCat("link '", id, "' was resumed")));
  });
  return reactor;
}

grpc::ServerUnaryReactor* LinkServiceImpl::DeleteLink(grpc::CallbackServerContext* ctx,
                                                      const redlink::v1::DeleteLinkRequest* req,
                                                      google::protobuf::Empty*) {
  if (auto s = Admit(ctx); !s.ok()) return FinishNow(ctx, s);
  if (auto s = ValidateLinkId(req->link_id()); !s.ok()) return FinishNow(ctx, s);
  auto* reactor = ctx->DefaultReactor();
  std::string id = req->link_id();
  // The engine calls back once the link is torn down (connection closed, dataset handed to the
  // reclaimer, watchers told); then the registry forgets it; then the RPC returns.
  engine_->DeleteLink(id, [this, reactor, id](absl::Status s) {
    if (!s.ok()) {
      reactor->Finish(ToGrpcStatus(s));
      return;
    }
    ChangeRecord(
        id, [&](auto& records) { records.erase(id); },
        [reactor, id](absl::Status st) {
          if (!st.ok()) {
            reactor->Finish(ToGrpcStatus(absl::Status(
                st.code(), StrCat("link '", id, "' was deleted, but the change is not durable: ",
                                  st.message()))));
            return;
          }
          reactor->Finish(grpc::Status::OK);
        });
  });
  return reactor;
}

grpc::ServerWriteReactor<redlink::v1::LinkEvent>* LinkServiceImpl::WatchLinks(
    grpc::CallbackServerContext* ctx, const redlink::v1::WatchLinksRequest* req) {
  if (auto s = Admit(ctx); !s.ok()) return new FailedWatch(ToGrpcStatus(s));
  if (!req->link_id().empty()) {
    if (auto s = ValidateLinkId(req->link_id()); !s.ok()) {
      return new FailedWatch(ToGrpcStatus(s));
    }
  }
  return new WatchReactor(this, req->link_id());
}

void LinkServiceImpl::RemoveWatch(WatchReactor* watch) {
  std::lock_guard<std::mutex> lock(watches_mu_);
  watches_.erase(watch);
}

void LinkServiceImpl::Shutdown() {
  std::lock_guard<std::mutex> lock(watches_mu_);
  shutting_down_ = true;
  for (WatchReactor* w : watches_) w->EndForShutdown();
}

absl::Status LinkServiceImpl::Restore(const std::vector<LinkRecord>& records) {
  // Creates are pipelined (a bounded number in flight), so thousands of links come back fast.
  constexpr size_t kWindow = 256;
  std::mutex m;
  std::condition_variable cv;
  size_t in_flight = 0;
  size_t restored = 0, paused = 0, failed = 0;
  for (const LinkRecord& rec : records) {
    {
      std::unique_lock<std::mutex> lock(m);
      cv.wait(lock, [&] { return in_flight < kWindow; });
      ++in_flight;
    }
    engine_->CreateLink(rec.spec, [&, rec](absl::StatusOr<LinkStatusPtr> r) {
      if (!r.ok()) {
        LINK_LOG(Error, rec.spec.id)
            << "not restored (it stays in the registry): " << r.status().message();
      } else {
        std::lock_guard<std::mutex> lock(mu_);
        records_[rec.spec.id] = rec;
      }
      std::lock_guard<std::mutex> lock(m);
      --in_flight;
      if (r.ok()) {
        ++restored;
        if (rec.spec.paused) ++paused;
      } else {
        ++failed;
      }
      cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(m);
  cv.wait(lock, [&] { return in_flight == 0; });
  if (!records.empty()) {
    LOG(Info) << "restored " << restored << " links (" << paused << " paused)"
              << (failed ? StrCat(", ", failed, " could not be restored") : "");
  }
  return failed ? absl::ResourceExhaustedError(StrCat(failed, " links could not be restored"))
                : absl::OkStatus();
}

}  // namespace redlink::service
