#pragma once
// redlink.v1.LinkService on gRPC's callback API. Handlers check the API token, validate the
// request, hand the action to the engine and finish the RPC from the engine's callback (on the
// link's loop thread) or, for a change to a link's definition, from the registry's callback once
// the change is durable (on the registry's writer thread): no handler ever blocks. Status reads
// (GetLink, ListLinks) come from the snapshots links publish. See service/README.md.
//
// Threading: every RPC method is called on gRPC callback threads. `records_` (the definitions
// the registry persists) is guarded by `mu_`, which is held only for map updates and for handing
// the change to the registry (so the registry sees changes in the order they were made); no
// callback runs under it.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "redlink/v1/link_service.grpc.pb.h"
#include "service/registry.h"

namespace redlink::service {

class WatchReactor;

class LinkServiceImpl final : public redlink::v1::LinkService::CallbackService {
 public:
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;
  // Events a watcher may fall behind (besides its initial snapshot) before it is cut off with
  // RESOURCE_EXHAUSTED: this many, or twice the number of links when that is more.
  static constexpr size_t kMaxQueuedEvents = 1024;

  // `api_token` empty: the API is open. The engine and the registry must outlive the service.
  LinkServiceImpl(engine::Engine* engine, Registry* registry, std::string api_token);
  ~LinkServiceImpl() override;

  // Starts the links of `records` (the reconciled registry and links file; already durable)
  // before the server accepts RPCs. Blocks until each was created. A link the engine refuses
  // (e.g. beyond --max_links) is logged and skipped; it stays in the registry. Main thread.
  absl::Status Restore(const std::vector<LinkRecord>& records);

  // Graceful shutdown, step one (before grpc::Server::Shutdown): ends every WatchLinks stream
  // with UNAVAILABLE and refuses new RPCs with UNAVAILABLE. Any thread; idempotent.
  void Shutdown();

  // The definitions the service holds (tests). Any thread.
  std::vector<LinkRecord> RecordsForTest();
  // Lowers the watcher bound (tests of the slow-watcher cut-off). Before serving.
  void SetMaxQueuedEventsForTest(size_t n) { max_queued_events_ = n; }

  grpc::ServerUnaryReactor* CreateLink(grpc::CallbackServerContext* ctx,
                                       const redlink::v1::CreateLinkRequest* req,
                                       redlink::v1::Link* resp) override;
  grpc::ServerUnaryReactor* GetLink(grpc::CallbackServerContext* ctx,
                                    const redlink::v1::GetLinkRequest* req,
                                    redlink::v1::Link* resp) override;
  grpc::ServerUnaryReactor* ListLinks(grpc::CallbackServerContext* ctx,
                                      const redlink::v1::ListLinksRequest* req,
                                      redlink::v1::ListLinksResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateLink(grpc::CallbackServerContext* ctx,
                                       const redlink::v1::UpdateLinkRequest* req,
                                       redlink::v1::Link* resp) override;
  grpc::ServerUnaryReactor* SetLinkAuth(grpc::CallbackServerContext* ctx,
                                        const redlink::v1::SetLinkAuthRequest* req,
                                        redlink::v1::Link* resp) override;
  grpc::ServerUnaryReactor* PauseLink(grpc::CallbackServerContext* ctx,
                                      const redlink::v1::PauseLinkRequest* req,
                                      redlink::v1::Link* resp) override;
  grpc::ServerUnaryReactor* ResumeLink(grpc::CallbackServerContext* ctx,
                                       const redlink::v1::ResumeLinkRequest* req,
                                       redlink::v1::Link* resp) override;
  grpc::ServerUnaryReactor* DeleteLink(grpc::CallbackServerContext* ctx,
                                       const redlink::v1::DeleteLinkRequest* req,
                                       google::protobuf::Empty* resp) override;
  grpc::ServerWriteReactor<redlink::v1::LinkEvent>* WatchLinks(
      grpc::CallbackServerContext* ctx, const redlink::v1::WatchLinksRequest* req) override;

 private:
  friend class WatchReactor;

  // The token check and the shutdown check every RPC starts with.
  absl::Status Admit(grpc::CallbackServerContext* ctx) const;
  // Applies `edit` to records_ under mu_, then hands the record of `id` to the registry (or its
  // removal, when there is none any more) and runs `done` once that is durable. Any thread;
  // `done` must not take mu_ (the registry may run it inline).
  void ChangeRecord(const std::string& id,
                    const std::function<void(std::map<std::string, LinkRecord>&)>& edit,
                    Registry::Done done);
  std::string MakePageToken(const std::string& last_id, int state) const;
  absl::Status ParsePageToken(const std::string& token, int state, std::string* last_id) const;
  void RemoveWatch(WatchReactor* watch);

  engine::Engine* engine_;
  Registry* registry_;
  const std::string api_token_;
  uint64_t token_secret_;
  std::atomic<bool> shutting_down_{false};
  size_t max_queued_events_ = kMaxQueuedEvents;

  std::mutex mu_;
  std::map<std::string, LinkRecord> records_;  // guarded by mu_

  std::mutex watches_mu_;
  std::set<WatchReactor*> watches_;  // guarded by watches_mu_; live WatchLinks streams
};

}  // namespace redlink::service
