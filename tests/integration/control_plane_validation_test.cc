// Bad input on a real redlinkd: a table of malformed requests across every RPC, each answered
// with INVALID_ARGUMENT, NOT_FOUND or ALREADY_EXISTS and a message that says what is wrong, while
// the server stays up and nothing changes. --max_links is RESOURCE_EXHAUSTED.

#include <gtest/gtest.h>

#include <functional>

#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using grpc::StatusCode;
using redlink::v1::Link;

struct Case {
  std::string name;
  std::function<grpc::Status(RedlinkdProcess&, grpc::ClientContext*)> call;
  StatusCode code;
  std::string message;  // a substring of the error message
};

v1::CreateLinkRequest CreateReq(const std::string& id, const std::string& host = "127.0.0.1",
                                int port = 6379) {
  v1::CreateLinkRequest r;
  r.set_link_id(id);
  r.mutable_master()->set_host(host);
  r.mutable_master()->set_port(port);
  return r;
}

std::function<grpc::Status(RedlinkdProcess&, grpc::ClientContext*)> Create(
    v1::CreateLinkRequest req) {
  return [req](RedlinkdProcess& r, grpc::ClientContext* c) {
    Link link;
    return r.stub().CreateLink(c, req, &link);
  };
}

template <typename F>
v1::CreateLinkRequest With(v1::CreateLinkRequest r, F f) {
  f(r);
  return r;
}

std::function<grpc::Status(RedlinkdProcess&, grpc::ClientContext*)> Get(const std::string& id) {
  return [id](RedlinkdProcess& r, grpc::ClientContext* c) {
    v1::GetLinkRequest req;
    req.set_link_id(id);
    Link link;
    return r.stub().GetLink(c, req, &link);
  };
}

std::function<grpc::Status(RedlinkdProcess&, grpc::ClientContext*)> List(int state, int size,
                                                                         std::string token) {
  return [=](RedlinkdProcess& r, grpc::ClientContext* c) {
    v1::ListLinksRequest req;
    req.set_state(static_cast<v1::LinkState>(state));
    req.set_page_size(size);
    req.set_page_token(token);
    v1::ListLinksResponse resp;
    return r.stub().ListLinks(c, req, &resp);
  };
}

std::function<grpc::Status(RedlinkdProcess&, grpc::ClientContext*)> Update(
    v1::UpdateLinkRequest req) {
  return [req](RedlinkdProcess& r, grpc::ClientContext* c) {
    Link link;
    return r.stub().UpdateLink(c, req, &link);
  };
}

std::function<grpc::Status(RedlinkdProcess&, grpc::ClientContext*)> Auth(
    v1::SetLinkAuthRequest req) {
  return [req](RedlinkdProcess& r, grpc::ClientContext* c) {
    Link link;
    return r.stub().SetLinkAuth(c, req, &link);
  };
}

TEST(ControlPlaneValidation, MalformedRequestsGetClearErrorsAndTheServerStaysUp) {
  RedlinkdProcess::Options opts;
  opts.extra_args = {"--max_links=3"};
  RedlinkdProcess redlink(opts);
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  int dead = FreePort();
  ASSERT_TRUE(redlink.CreateLink("exists", dead).ok());
  // A page token issued for the unfiltered list, to replay with another filter.
  std::string token;
  {
    ASSERT_TRUE(redlink.CreateLink("exists-2", dead).ok());
    v1::ListLinksRequest req;
    req.set_page_size(1);
    v1::ListLinksResponse resp;
    auto ctx = redlink.Context();
    ASSERT_TRUE(redlink.stub().ListLinks(ctx.get(), req, &resp).ok());
    token = resp.next_page_token();
    ASSERT_FALSE(token.empty());
  }

  const StatusCode kInvalid = StatusCode::INVALID_ARGUMENT;
  std::vector<Case> cases = {
      // CreateLink: the id.
      {"empty id", Create(CreateReq("")), kInvalid, "link_id is required"},
      {"upper case and underscore", Create(CreateReq("Cache_A")), kInvalid,
       "link_id must match [a-z0-9-]{1,63}, starting and ending with a letter or digit (a DNS "
       "label): got 'Cache_A'"},
      {"leading dash", Create(CreateReq("-cache")), kInvalid, "got '-cache'"},
      {"trailing dash", Create(CreateReq("cache-")), kInvalid, "start and end with a letter"},
      {"64 characters", Create(CreateReq(std::string(64, 'a'))), kInvalid, "(64 characters)"},
      {"dot", Create(CreateReq("cache.a")), kInvalid, "got 'cache.a'"},
      {"space", Create(CreateReq("cache a")), kInvalid, "got 'cache a'"},
      {"unicode", Create(CreateReq("caché")), kInvalid, "link_id must match"},
      {"control character", Create(CreateReq("a\x01")), kInvalid, "got 'a\\x01'"},
      // CreateLink: the master.
      {"no master", Create(With(CreateReq("m1"), [](auto& r) { r.clear_master(); })), kInvalid,
       "master is required"},
      {"empty host", Create(CreateReq("m2", "")), kInvalid, "master.host is required"},
      {"host with a space", Create(CreateReq("m3", "redis a")), kInvalid,
       "master.host must be a host name"},
      {"host with a port", Create(CreateReq("m4", "redis:6379")), kInvalid,
       "or an IPv4/IPv6 address without brackets: got 'redis:6379'"},
      {"bracketed IPv6", Create(CreateReq("m5", "[::1]")), kInvalid, "without brackets"},
      {"label starting with a dash", Create(CreateReq("m6", "-redis.example")), kInvalid,
       "master.host"},
      {"empty label", Create(CreateReq("m7", "redis..example")), kInvalid, "master.host"},
      {"host too long", Create(CreateReq("m8", std::string(300, 'h'))), kInvalid,
       "longer than 253"},
      {"port 0", Create(CreateReq("m9", "127.0.0.1", 0)), kInvalid,
       "master.port must be 1..65535: got 0"},
      {"port too big", Create(CreateReq("m10", "127.0.0.1", 65536)), kInvalid,
       "master.port must be 1..65535: got 65536"},
      {"negative port", Create(CreateReq("m11", "127.0.0.1", -1)), kInvalid, "got -1"},
      // CreateLink: credentials and options.
      {"username without password",
       Create(With(CreateReq("a1"), [](auto& r) { r.mutable_auth()->set_username("u"); })),
       kInvalid, "auth.username needs auth.password"},
      {"username with a space",
       Create(With(CreateReq("a2"),
                   [](auto& r) {
                     r.mutable_auth()->set_username("a user");
                     r.mutable_auth()->set_password("pw");
                   })),
       kInvalid, "auth.username must be printable ASCII without spaces"},
      {"password too long",
       Create(With(CreateReq("a3"),
                   [](auto& r) { r.mutable_auth()->set_password(std::string(5000, 'p')); })),
       kInvalid, "auth.password is longer than 4096 bytes"},
      {"negative repl timeout",
       Create(With(CreateReq("o1"),
                   [](auto& r) { r.mutable_options()->set_repl_timeout_seconds(-5); })),
       kInvalid, "options.repl_timeout_seconds must be 0 (default) to 86400 seconds: got -5"},
      {"huge handshake timeout",
       Create(With(CreateReq("o2"),
                   [](auto& r) { r.mutable_options()->set_handshake_timeout_seconds(100000); })),
       kInvalid, "options.handshake_timeout_seconds"},
      {"negative connect timeout",
       Create(With(CreateReq("o3"),
                   [](auto& r) { r.mutable_options()->set_connect_timeout_seconds(-1); })),
       kInvalid, "options.connect_timeout_seconds"},
      {"unknown policy",
       Create(With(CreateReq("o4"),
                   [](auto& r) {
                     r.mutable_options()->set_unsupported_commands(
                         static_cast<v1::UnsupportedCommandPolicy>(7));
                   })),
       kInvalid, "options.unsupported_commands must be FAIL or SKIP: got 7"},
      {"taken id", Create(CreateReq("exists", "127.0.0.1", dead)), StatusCode::ALREADY_EXISTS,
       "link 'exists' already exists"},
      // GetLink.
      {"get unknown", Get("nope"), StatusCode::NOT_FOUND, "link 'nope' not found"},
      {"get bad id", Get("NOPE"), kInvalid, "got 'NOPE'"},
      {"get empty id", Get(""), kInvalid, "link_id is required"},
      // ListLinks.
      {"negative page size", List(0, -1, ""), kInvalid,
       "page_size must be 0 (default 100) to 1000: got -1"},
      {"foreign page token", List(0, 0, "bm90LWEtdG9rZW4"), kInvalid,
       "page_token was not issued by this server"},
      {"page token not base64", List(0, 0, "%%%"), kInvalid, "page_token"},
      {"page token for another filter", List(v1::LINK_STATE_PAUSED, 1, token), kInvalid,
       "for this state filter"},
      {"unknown state", List(99, 0, ""), kInvalid, "state must be a LinkState: got 99"},
      // UpdateLink.
      {"update nothing", Update([] {
         v1::UpdateLinkRequest r;
         r.set_link_id("exists");
         return r;
       }()),
       kInvalid, "nothing to update: set master and/or options"},
      {"update unknown", Update([] {
         v1::UpdateLinkRequest r;
         r.set_link_id("ghost");
         r.mutable_options();
         return r;
       }()),
       StatusCode::NOT_FOUND, "link 'ghost' not found"},
      {"update bad port", Update([] {
         v1::UpdateLinkRequest r;
         r.set_link_id("exists");
         r.mutable_master()->set_host("127.0.0.1");
         r.mutable_master()->set_port(0);
         return r;
       }()),
       kInvalid, "master.port must be 1..65535"},
      // SetLinkAuth.
      {"auth without auth", Auth([] {
         v1::SetLinkAuthRequest r;
         r.set_link_id("exists");
         return r;
       }()),
       kInvalid, "auth is required"},
      {"auth unknown", Auth([] {
         v1::SetLinkAuthRequest r;
         r.set_link_id("ghost");
         r.mutable_auth()->set_password("pw");
         return r;
       }()),
       StatusCode::NOT_FOUND, "link 'ghost' not found"},
      // PauseLink, ResumeLink, DeleteLink, WatchLinks.
      {"pause unknown",
       [](RedlinkdProcess& r, grpc::ClientContext* c) {
         v1::PauseLinkRequest req;
         req.set_link_id("ghost");
         Link l;
         return r.stub().PauseLink(c, req, &l);
       },
       StatusCode::NOT_FOUND, "link 'ghost' not found"},
      {"resume bad id",
       [](RedlinkdProcess& r, grpc::ClientContext* c) {
         v1::ResumeLinkRequest req;
         req.set_link_id("Ghost!");
         Link l;
         return r.stub().ResumeLink(c, req, &l);
       },
       kInvalid, "got 'Ghost!'"},
      {"delete unknown",
       [](RedlinkdProcess& r, grpc::ClientContext* c) {
         v1::DeleteLinkRequest req;
         req.set_link_id("ghost");
         google::protobuf::Empty e;
         return r.stub().DeleteLink(c, req, &e);
       },
       StatusCode::NOT_FOUND, "link 'ghost' not found"},
      {"watch bad id",
       [](RedlinkdProcess& r, grpc::ClientContext* c) {
         v1::WatchLinksRequest req;
         req.set_link_id("UPPER");
         auto reader = r.stub().WatchLinks(c, req);
         v1::LinkEvent e;
         while (reader->Read(&e)) {
         }
         return reader->Finish();
       },
       kInvalid, "got 'UPPER'"},
  };
  ASSERT_GE(cases.size(), 30u);
  for (const auto& c : cases) {
    auto ctx = redlink.Context();
    grpc::Status s = c.call(redlink, ctx.get());
    EXPECT_EQ(s.error_code(), c.code) << c.name << ": " << s.error_message();
    EXPECT_NE(s.error_message().find(c.message), std::string::npos)
        << c.name << ": want '" << c.message << "' in: " << s.error_message();
    ASSERT_TRUE(redlink.process().running()) << c.name << "\n" << redlink.log();
  }

  // Nothing was created by the bad calls; the server still works.
  v1::ListLinksRequest req;
  v1::ListLinksResponse resp;
  auto ctx = redlink.Context();
  ASSERT_TRUE(redlink.stub().ListLinks(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.links_size(), 2);

  // --max_links=3: the fourth link is RESOURCE_EXHAUSTED.
  ASSERT_TRUE(redlink.CreateLink("third", dead).ok());
  grpc::Status s = redlink.CreateLink("fourth", dead);
  EXPECT_EQ(s.error_code(), StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(s.error_message().find("--max_links=3"), std::string::npos) << s.error_message();
  Link link;
  EXPECT_EQ(redlink.GetLink("fourth", &link).error_code(), StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace redlink::testing
