#include "service/link_service.h"

#include <algorithm>
#include <deque>
#include <future>
#include <random>

#include "absl/hash/hash.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "engine/common/log.h"
#include "engine/common/strings.h"
#include "service/convert.h"
#include "service/validation.h"

namespace redlink::service {
namespace {

using engine::LinkStatusPtr;

constexpr int kDefaultPageSize = 100;
constexpr int kMaxPageSize = 1000;
constexpr size_t kMaxQueuedEvents = 1024;  // per watcher, then RESOURCE_EXHAUSTED

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

// Streams LinkEvents to one watcher. Events come from loop threads through the engine's watch
// callback, queue here (bounded) and are written one at a time.
class WatchReactor : public grpc::ServerWriteReactor<redlink::v1::LinkEvent> {
 public:
  WatchReactor(engine::Engine* engine, std::string filter) : engine_(engine) {
    watcher_id_ = engine_->AddWatcher(std::move(filter),
                                      [this](const engine::LinkEvent& e) { Enqueue(e); });
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard<std::mutex> lock(mu_);
    writing_ = false;
    if (!ok) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "the watcher went away"));
      return;
    }
    queue_.pop_front();
    WriteNextLocked();
  }

  void OnCancel() override {
    std::lock_guard<std::mutex> lock(mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    // After RemoveWatcher returns no engine callback is running or will run for this reactor.
    engine_->RemoveWatcher(watcher_id_);
    delete this;
  }

 private:
  void Enqueue(const engine::LinkEvent& event) {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    if (queue_.size() >= kMaxQueuedEvents) {
      // A slow watcher never slows a link: it is cut off and may resubscribe.
      FinishLocked(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                                StrCat("watcher fell ", kMaxQueuedEvents,
                                       " events behind; subscribe again")));
      return;
    }
    queue_.emplace_back();
    ToProto(*event.link, queue_.back().mutable_link());
    queue_.back().set_deleted(event.deleted);
    WriteNextLocked();
  }

  void WriteNextLocked() {
    if (writing_ || finished_ || queue_.empty()) return;
    writing_ = true;
    StartWrite(&queue_.front());
  }

  void FinishLocked(const grpc::Status& status) {
    if (finished_) return;
    finished_ = true;
    Finish(status);
  }

  engine::Engine* engine_;
  uint64_t watcher_id_ = 0;
  std::mutex mu_;
  std::deque<redlink::v1::LinkEvent> queue_;
  bool writing_ = false;
  bool finished_ = false;
};

class FailedWatch : public grpc::ServerWriteReactor<redlink::v1::LinkEvent> {
 public:
  explicit FailedWatch(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

LinkServiceImpl::LinkServiceImpl(engine::Engine* engine, Registry* registry,
                                 std::string api_token)
    : engine_(engine), registry_(registry), api_token_(std::move(api_token)) {
  std::random_device rd;
  token_secret_ = (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

LinkServiceImpl::~LinkServiceImpl() = default;

absl::Status LinkServiceImpl::CheckToken(grpc::CallbackServerContext* ctx) const {
  if (api_token_.empty()) return absl::OkStatus();
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it != md.end()) {
    std::string_view value(it->second.data(), it->second.size());
    constexpr std::string_view kBearer = "Bearer ";
    if (value.size() > kBearer.size() &&
        (value.substr(0, 7) == "Bearer " || value.substr(0, 7) == "bearer ") &&
        ConstantTimeEquals(value.substr(kBearer.size()), api_token_)) {
      return absl::OkStatus();
    }
  }
  return absl::UnauthenticatedError(
      "missing or wrong API token: send the metadata 'authorization: Bearer <token>' with the "
      "token of --auth_token_file");
}

std::vector<LinkRecord> LinkServiceImpl::Snapshot() {
  std::vector<LinkRecord> out;
  out.reserve(records_.size());
  for (const auto& [id, rec] : records_) out.push_back(rec);
  return out;
}

void LinkServiceImpl::Persist(absl::AnyInvocable<void(absl::Status)> done) {
  // Called with mu_ held, so the stores happen in the order of the changes.
  registry_->Store(Snapshot(), std::move(done));
}

grpc::ServerUnaryReactor* LinkServiceImpl::CreateLink(grpc::CallbackServerContext* ctx,
                                                      const redlink::v1::CreateLinkRequest* req,
                                                      redlink::v1::Link* resp) {
  if (auto s = CheckToken(ctx); !s.ok()) return FinishNow(ctx, s);
  absl::Status valid = ValidateLinkId(req->link_id());
  if (valid.ok() && !req->has_master()) valid = absl::InvalidArgumentError("master is required");
  if (valid.ok()) valid = ValidateMaster(req->master());
  if (valid.ok() && req->has_auth()) valid = ValidateAuth(req->auth());
  if (valid.ok() && req->has_options()) valid = ValidateOptions(req->options());
  if (!valid.ok()) return FinishNow(ctx, valid);

  engine::LinkSpec spec;
  spec.id = req->link_id();
  spec.host = req->master().host();
  spec.port = req->master().port();
  spec.username = req->auth().username();
  spec.password = req->auth().password();
  spec.options = FromProto(req->options());
  spec.create_time = absl::Now();
  auto* reactor = ctx->DefaultReactor();
  LinkRecord record{spec};
  engine_->CreateLink(std::move(spec), [this, reactor, resp, record = std::move(record)](
                                           absl::StatusOr<LinkStatusPtr> result) mutable {
    if (!result.ok()) {
      reactor->Finish(ToGrpcStatus(result.status()));
      return;
    }
    LOG(Info) << "link " << record.spec.id << " created: master " << record.spec.host << ":"
              << record.spec.port;
    std::lock_guard<std::mutex> lock(mu_);
    records_[record.spec.id] = std::move(record);
    Persist([reactor, resp, result](absl::Status s) {
      if (!s.ok()) {
        reactor->Finish(ToGrpcStatus(absl::InternalError(
            StrCat("link created but the registry could not be written: ", s.message()))));
        return;
      }
      FinishWithLink(reactor, resp, result);
    });
  });
  return reactor;
}

grpc::ServerUnaryReactor* LinkServiceImpl::GetLink(grpc::CallbackServerContext* ctx,
                                                   const redlink::v1::GetLinkRequest* req,
                                                   redlink::v1::Link* resp) {
  if (auto s = CheckToken(ctx); !s.ok()) return FinishNow(ctx, s);
  if (auto s = ValidateLinkId(req->link_id()); !s.ok()) return FinishNow(ctx, s);
  LinkStatusPtr status = engine_->GetLink(req->link_id());
  if (!status) {
    return FinishNow(ctx, absl::NotFoundError(StrCat("link '", req->link_id(), "' not found")));
  }
  ToProto(*status, resp);
  return FinishNow(ctx, absl::OkStatus());
}

std::string LinkServiceImpl::MakePageToken(const std::string& last_id, int state) const {
  uint64_t mac = absl::HashOf(token_secret_, state, last_id);
  std::string raw = StrCat("v1|", state, "|", last_id, "|", absl::Hex(mac));
  return absl::WebSafeBase64Escape(raw);
}

absl::Status LinkServiceImpl::ParsePageToken(const std::string& token, int state,
                                             std::string* last_id) const {
  auto bad = absl::InvalidArgumentError(
      "page_token was not issued by this server (or for another state filter): pass the "
      "next_page_token of the previous ListLinks response, with the same state");
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
  if (auto s = CheckToken(ctx); !s.ok()) return FinishNow(ctx, s);
  if (req->page_size() < 0) {
    return FinishNow(ctx, absl::InvalidArgumentError(StrCat(
                              "page_size must be 0 (default 100) to 1000: got ", req->page_size())));
  }
  if (auto s = ValidateState(req->state()); !s.ok()) return FinishNow(ctx, s);
  int page_size = req->page_size() == 0 ? kDefaultPageSize : std::min(req->page_size(), kMaxPageSize);
  std::string after;
  if (!req->page_token().empty()) {
    if (auto s = ParsePageToken(req->page_token(), req->state(), &after); !s.ok()) {
      return FinishNow(ctx, s);
    }
  }
  auto wanted = FromProto(req->state());
  std::vector<LinkStatusPtr> links = engine_->ListLinks();  // sorted by id
  int added = 0;
  std::string last;
  bool more = false;
  for (const auto& l : links) {
    if (!after.empty() && l->id <= after) continue;
    if (wanted != engine::LinkState::kUnspecified && l->state != wanted) continue;
    if (added == page_size) {
      more = true;
      break;
    }
    ToProto(*l, resp->add_links());
    last = l->id;
    ++added;
  }
  if (more) resp->set_next_page_token(MakePageToken(last, req->state()));
  return FinishNow(ctx, absl::OkStatus());
}

grpc::ServerUnaryReactor* LinkServiceImpl::UpdateLink(grpc::CallbackServerContext* ctx,
                                                      const redlink::v1::UpdateLinkRequest* req,
                                                      redlink::v1::Link* resp) {
  if (auto s = CheckToken(ctx); !s.ok()) return FinishNow(ctx, s);
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
  engine_->UpdateLink(id, update, [this, reactor, resp, id, update](absl::StatusOr<LinkStatusPtr> r) {
    if (!r.ok()) {
      reactor->Finish(ToGrpcStatus(r.status()));
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto it = records_.find(id);
    if (it != records_.end()) {
      if (update.host) it->second.spec.host = *update.host;
      if (update.port) it->second.spec.port = *update.port;
      if (update.options) it->second.spec.options = *update.options;
    }
    Persist([reactor, resp, r](absl::Status) { FinishWithLink(reactor, resp, r); });
  });
  return reactor;
}

grpc::ServerUnaryReactor* LinkServiceImpl::SetLinkAuth(grpc::CallbackServerContext* ctx,
                                                       const redlink::v1::SetLinkAuthRequest* req,
                                                       redlink::v1::Link* resp) {
  if (auto s = CheckToken(ctx); !s.ok()) return FinishNow(ctx, s);
  absl::Status valid = ValidateLinkId(req->link_id());
  if (valid.ok()) valid = ValidateAuth(req->auth());
  if (!valid.ok()) return FinishNow(ctx, valid);
  auto* reactor = ctx->DefaultReactor();
  std::string id = req->link_id();
  std::string user = req->auth().username(), pass = req->auth().password();
  engine_->SetLinkAuth(id, user, pass,
                       [this, reactor, resp, id, user, pass](absl::StatusOr<LinkStatusPtr> r) {
                         if (!r.ok()) {
                           reactor->Finish(ToGrpcStatus(r.status()));
                           return;
                         }
                         std::lock_guard<std::mutex> lock(mu_);
                         auto it = records_.find(id);
                         if (it != records_.end()) {
                           it->second.spec.username = user;
                           it->second.spec.password = pass;
                         }
                         Persist([reactor, resp, r](absl::Status) {
                           FinishWithLink(reactor, resp, r);
                         });
                       });
  return reactor;
}

grpc::ServerUnaryReactor* LinkServiceImpl::PauseLink(grpc::CallbackServerContext* ctx,
                                                     const redlink::v1::PauseLinkRequest* req,
                                                     redlink::v1::Link* resp) {
  if (auto s = CheckToken(ctx); !s.ok()) return FinishNow(ctx, s);
  if (auto s = ValidateLinkId(req->link_id()); !s.ok()) return FinishNow(ctx, s);
  auto* reactor = ctx->DefaultReactor();
  std::string id = req->link_id();
  engine_->PauseLink(id, [this, reactor, resp, id](absl::StatusOr<LinkStatusPtr> r) {
    if (!r.ok()) {
      reactor->Finish(ToGrpcStatus(r.status()));
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto it = records_.find(id);
    if (it != records_.end()) it->second.spec.paused = true;
    Persist([reactor, resp, r](absl::Status) { FinishWithLink(reactor, resp, r); });
  });
  return reactor;
}

grpc::ServerUnaryReactor* LinkServiceImpl::ResumeLink(grpc::CallbackServerContext* ctx,
                                                      const redlink::v1::ResumeLinkRequest* req,
                                                      redlink::v1::Link* resp) {
  if (auto s = CheckToken(ctx); !s.ok()) return FinishNow(ctx, s);
  if (auto s = ValidateLinkId(req->link_id()); !s.ok()) return FinishNow(ctx, s);
  auto* reactor = ctx->DefaultReactor();
  std::string id = req->link_id();
  engine_->ResumeLink(id, [this, reactor, resp, id](absl::StatusOr<LinkStatusPtr> r) {
    if (!r.ok()) {
      reactor->Finish(ToGrpcStatus(r.status()));
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    auto it = records_.find(id);
    if (it != records_.end()) it->second.spec.paused = false;
    Persist([reactor, resp, r](absl::Status) { FinishWithLink(reactor, resp, r); });
  });
  return reactor;
}

grpc::ServerUnaryReactor* LinkServiceImpl::DeleteLink(grpc::CallbackServerContext* ctx,
                                                      const redlink::v1::DeleteLinkRequest* req,
                                                      google::protobuf::Empty*) {
  if (auto s = CheckToken(ctx); !s.ok()) return FinishNow(ctx, s);
  if (auto s = ValidateLinkId(req->link_id()); !s.ok()) return FinishNow(ctx, s);
  auto* reactor = ctx->DefaultReactor();
  std::string id = req->link_id();
  engine_->DeleteLink(id, [this, reactor, id](absl::Status s) {
    if (!s.ok()) {
      reactor->Finish(ToGrpcStatus(s));
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    records_.erase(id);
    Persist([reactor](absl::Status) { reactor->Finish(grpc::Status::OK); });
  });
  return reactor;
}

grpc::ServerWriteReactor<redlink::v1::LinkEvent>* LinkServiceImpl::WatchLinks(
    grpc::CallbackServerContext* ctx, const redlink::v1::WatchLinksRequest* req) {
  if (auto s = CheckToken(ctx); !s.ok()) return new FailedWatch(ToGrpcStatus(s));
  if (!req->link_id().empty()) {
    if (auto s = ValidateLinkId(req->link_id()); !s.ok()) {
      return new FailedWatch(ToGrpcStatus(s));
    }
  }
  return new WatchReactor(engine_, req->link_id());
}

absl::Status LinkServiceImpl::CreateBlocking(engine::LinkSpec spec) {
  std::promise<absl::Status> done;
  auto future = done.get_future();
  engine_->CreateLink(std::move(spec), [&done](absl::StatusOr<LinkStatusPtr> r) {
    done.set_value(r.status());
  });
  return future.get();
}

absl::Status LinkServiceImpl::Restore(const std::vector<LinkRecord>& records) {
  for (const auto& rec : records) {
    if (auto s = CreateBlocking(rec.spec); !s.ok()) {
      LOG(Error) << "link " << rec.spec.id << " from the registry not restored: " << s.message();
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    records_[rec.spec.id] = rec;
  }
  return absl::OkStatus();
}

}  // namespace redlink::service
