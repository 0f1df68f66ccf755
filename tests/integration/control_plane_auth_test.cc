// The API token (--auth_token_file) on a real redlinkd: every LinkService RPC without it, or with
// a wrong one, is UNAUTHENTICATED; health and server reflection stay open (probes, grpcurl
// list/describe); the same token is the RESP endpoint's password. Without a token file the
// server says once, at start, that the API is open.

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using redlink::v1::Link;

constexpr char kToken[] = "auth-test-token-5521";

RedlinkdProcess::Options WithToken() {
  RedlinkdProcess::Options o;
  o.token = kToken;
  return o;
}

class ControlPlaneAuth : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(redlink_.ok()) << redlink_.log(); }
  RedlinkdProcess redlink_{WithToken()};
};

TEST_F(ControlPlaneAuth, EveryLinkServiceRpcNeedsTheToken) {
  ASSERT_TRUE(redlink_.CreateLink("guarded", FreePort()).ok()) << "with the token it works";
  auto& stub = redlink_.stub();
  using Call = std::function<grpc::Status(grpc::ClientContext*)>;
  Link link;
  google::protobuf::Empty empty;
  v1::ListLinksResponse list;
  std::vector<std::pair<std::string, Call>> rpcs = {
      {"CreateLink",
       [&](grpc::ClientContext* c) {
         v1::CreateLinkRequest r;
         r.set_link_id("intruder");
         r.mutable_master()->set_host("127.0.0.1");
         r.mutable_master()->set_port(6379);
         return stub.CreateLink(c, r, &link);
       }},
      {"GetLink",
       [&](grpc::ClientContext* c) {
         v1::GetLinkRequest r;
         r.set_link_id("guarded");
         return stub.GetLink(c, r, &link);
       }},
      {"ListLinks",
       [&](grpc::ClientContext* c) { return stub.ListLinks(c, v1::ListLinksRequest(), &list); }},
      {"UpdateLink",
       [&](grpc::ClientContext* c) {
         v1::UpdateLinkRequest r;
         r.set_link_id("guarded");
         r.mutable_master()->set_host("127.0.0.2");
         r.mutable_master()->set_port(6379);
         return stub.UpdateLink(c, r, &link);
       }},
      {"SetLinkAuth",
       [&](grpc::ClientContext* c) {
         v1::SetLinkAuthRequest r;
         r.set_link_id("guarded");
         r.mutable_auth()->set_password("x");
         return stub.SetLinkAuth(c, r, &link);
       }},
      {"PauseLink",
       [&](grpc::ClientContext* c) {
         v1::PauseLinkRequest r;
         r.set_link_id("guarded");
         return stub.PauseLink(c, r, &link);
       }},
      {"ResumeLink",
       [&](grpc::ClientContext* c) {
         v1::ResumeLinkRequest r;
         r.set_link_id("guarded");
         return stub.ResumeLink(c, r, &link);
       }},
      {"DeleteLink",
       [&](grpc::ClientContext* c) {
         v1::DeleteLinkRequest r;
         r.set_link_id("guarded");
         return stub.DeleteLink(c, r, &empty);
       }},
      {"WatchLinks",
       [&](grpc::ClientContext* c) {
         auto reader = stub.WatchLinks(c, v1::WatchLinksRequest());
         v1::LinkEvent e;
         while (reader->Read(&e)) {
         }
         return reader->Finish();
       }},
  };
  const std::vector<std::string> headers = {"",
                                            "Bearer wrong-token",
                                            std::string("Bearer ") + kToken + "x",
                                            std::string("Basic ") + kToken,
                                            kToken,
                                            "Bearer"};
  for (const auto& [name, call] : rpcs) {
    for (const auto& h : headers) {
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
      if (!h.empty()) ctx.AddMetadata("authorization", h);
      grpc::Status s = call(&ctx);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << name << " with authorization '" << h << "': " << s.error_message();
      EXPECT_NE(s.error_message().find("authorization: Bearer"), std::string::npos)
          << s.error_message();
      EXPECT_EQ(s.error_message().find(kToken), std::string::npos) << "never echo a token";
    }
  }
  // Nothing happened to the link, and the server is still serving.
  ASSERT_TRUE(redlink_.GetLink("guarded", &link).ok());
  EXPECT_EQ(link.master().host(), "127.0.0.1");
  EXPECT_FALSE(link.auth().password_set());
  EXPECT_NE(link.state(), v1::LINK_STATE_PAUSED);
  EXPECT_TRUE(redlink_.process().running());
}

TEST_F(ControlPlaneAuth, HealthAndReflectionStayOpen) {
  auto health = grpc::health::v1::Health::NewStub(redlink_.channel());
  grpc::ClientContext hctx;
  grpc::health::v1::HealthCheckResponse hresp;
  ASSERT_TRUE(health->Check(&hctx, grpc::health::v1::HealthCheckRequest(), &hresp).ok());
  EXPECT_EQ(hresp.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  auto reflection = grpc::reflection::v1alpha::ServerReflection::NewStub(redlink_.channel());
  grpc::ClientContext rctx;
  auto stream = reflection->ServerReflectionInfo(&rctx);
  grpc::reflection::v1alpha::ServerReflectionRequest req;
  req.set_list_services("");
  ASSERT_TRUE(stream->Write(req));
  grpc::reflection::v1alpha::ServerReflectionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  std::set<std::string> names;
  for (const auto& s : resp.list_services_response().service()) names.insert(s.name());
  EXPECT_TRUE(names.count("redlink.v1.LinkService"));
  EXPECT_TRUE(names.count("grpc.health.v1.Health"));
}

TEST_F(ControlPlaneAuth, TheTokenIsTheReadEndpointsPassword) {
  RespClient good;
  ASSERT_TRUE(good.Connect("127.0.0.1", redlink_.resp_port()));
  ASSERT_TRUE(redlink_.CreateLink("ro", FreePort()).ok());
  EXPECT_EQ(good.Command({"AUTH", "ro", kToken}), "OK");
  RespClient bad;
  ASSERT_TRUE(bad.Connect("127.0.0.1", redlink_.resp_port()));
  std::string reply = bad.Command({"AUTH", "ro", "not-the-token"});
  EXPECT_EQ(reply.rfind("-", 0), 0u) << reply;
}

TEST(ControlPlaneOpenApi, SaysOnceAtStartThatTheApiIsOpen) {
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  ASSERT_TRUE(redlink.CreateLink("open", FreePort()).ok()) << "no token needed";
  std::string log = redlink.log();
  size_t first = log.find("no --auth_token_file");
  ASSERT_NE(first, std::string::npos) << log;
  EXPECT_EQ(log.find("no --auth_token_file", first + 1), std::string::npos) << "said once";
}

}  // namespace
}  // namespace redlink::testing
