#pragma once
// redlink.v1.LinkService on gRPC's callback API. Handlers validate the request, check the API
// token, hand the action to the engine and finish the RPC from the engine's callback (on the
// link's loop thread): no handler blocks. Status reads (GetLink, ListLinks) come from the
// snapshots links publish.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/engine.h"
#include "redlink/v1/link_service.grpc.pb.h"
#include "service/registry.h"

namespace redlink::service {

class LinkServiceImpl final : public redlink::v1::LinkService::CallbackService {
 public:
  // `api_token` empty: the API is open. The registry must outlive the service.
  LinkServiceImpl(engine::Engine* engine, Registry* registry, std::string api_token);
  ~LinkServiceImpl() override;

  // Starts the links of `records` (from the registry and the links file) before serving.
  // Blocks until each was created (it runs before the server accepts RPCs).
  absl::Status Restore(const std::vector<LinkRecord>& records);

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
  absl::Status CheckToken(grpc::CallbackServerContext* ctx) const;
  // Records a change to a link's definition and persists the whole set; then `done`.
  void Persist(absl::AnyInvocable<void(absl::Status)> done);
  std::vector<LinkRecord> Snapshot();
  std::string MakePageToken(const std::string& last_id, int state) const;
  absl::Status ParsePageToken(const std::string& token, int state, std::string* last_id) const;
  // Runs an engine action synchronously (startup only).
  absl::Status CreateBlocking(engine::LinkSpec spec);

  engine::Engine* engine_;
  Registry* registry_;
  const std::string api_token_;
  uint64_t token_secret_;

  std::mutex mu_;
  std::map<std::string, LinkRecord> records_;  // guarded by mu_
};

}  // namespace redlink::service
