// LinkServiceImpl in process: a real engine (links to a closed port, so they cycle through
// CONNECTING and BACKOFF), a FileRegistry in a temp dir, and a gRPC server on a free port.
// Covers paging, the watch contract (links that do not exist yet, deletion, a slow watcher cut
// off without slowing anyone, shutdown), the token, and that every change reaches the registry.

#include "service/link_service.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <future>
#include <set>

#include "engine/common/strings.h"
#include "service/file_registry.h"
#include "tests/service/cp_test_util.h"
#include "tests/testing/test_util.h"

namespace redlink::service {
namespace {

namespace v1 = redlink::v1;
using redlink::testing::FreePort;
using redlink::testing::ShortState;
using redlink::testing::TempDir;
using redlink::testing::WaitFor;
using redlink::testing::WatchCollector;

class LinkServiceTest : public ::testing::Test {
 protected:
  void Start(const std::string& token = "", size_t max_queued = 0) {
    engine::EngineOptions eo;
    eo.threads = 2;
    eo.resp_addr = "";
    eo.max_links = 400;
    engine_ = std::make_unique<engine::Engine>(eo);
    ASSERT_TRUE(engine_->Start().ok());
    auto reg = FileRegistry::Open(dir_.path());
    ASSERT_TRUE(reg.ok()) << reg.status();
    registry_ = std::move(*reg);
    ASSERT_TRUE(registry_->Load().ok());
    token_ = token;
    service_ = std::make_unique<LinkServiceImpl>(engine_.get(), registry_.get(), token);
    if (max_queued) service_->SetMaxQueuedEventsForTest(max_queued);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(service_.get());
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_ && port_ > 0);
    channel_ = grpc::CreateChannel(StrCat("127.0.0.1:", port_), grpc::InsecureChannelCredentials());
    stub_ = v1::LinkService::NewStub(channel_);
    dead_port_ = FreePort();
  }

  void TearDown() override {
    if (service_) service_->Shutdown();
    if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    if (engine_) engine_->Stop();
    if (registry_) registry_->Stop();
  }

  std::unique_ptr<grpc::ClientContext> Ctx() {
    auto ctx = std::make_unique<grpc::ClientContext>();
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    if (!token_.empty()) ctx->AddMetadata("authorization", "Bearer " + token_);
    return ctx;
  }

  grpc::Status Create(const std::string& id, v1::Link* out = nullptr) {
    v1::CreateLinkRequest req;
    req.set_link_id(id);
    req.mutable_master()->set_host("127.0.0.1");
    req.mutable_master()->set_port(dead_port_);
    v1::Link link;
    auto ctx = Ctx();
    return stub_->CreateLink(ctx.get(), req, out ? out : &link);
  }

  grpc::Status List(int state, int page_size, const std::string& token,
                    v1::ListLinksResponse* out) {
    v1::ListLinksRequest req;
    req.set_state(static_cast<v1::LinkState>(state));
    req.set_page_size(page_size);
    req.set_page_token(token);
    auto ctx = Ctx();
    return stub_->ListLinks(ctx.get(), req, out);
  }

  std::map<std::string, engine::LinkSpec> OnDisk() {
    auto decoded =
        DecodeRegistry(redlink::testing::ReadFileOrEmpty(registry_->path()), registry_->path());
    EXPECT_TRUE(decoded.ok()) << decoded.status();
    std::map<std::string, engine::LinkSpec> out;
    if (decoded.ok()) {
      for (auto& r : *decoded) out[r.spec.id] = r.spec;
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<engine::Engine> engine_;
  std::unique_ptr<FileRegistry> registry_;
  std::unique_ptr<LinkServiceImpl> service_;
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::LinkService::Stub> stub_;
  std::string token_;
  int port_ = 0;
  int dead_port_ = 0;
};

TEST_F(LinkServiceTest, ListLinksPagesAndFilters) {
  Start();
  constexpr int kLinks = 250;
  std::vector<std::string> ids;
  for (int i = 0; i < kLinks; ++i) ids.push_back(StrCat("link-", 1000 + i));
  for (const auto& id : ids) ASSERT_TRUE(Create(id).ok()) << id;

  // Default page size 100, then the rest.
  v1::ListLinksResponse page;
  ASSERT_TRUE(List(0, 0, "", &page).ok());
  EXPECT_EQ(page.links_size(), 100);
  EXPECT_FALSE(page.next_page_token().empty());
  // Small pages visit every link once, in id order.
  std::vector<std::string> seen;
  std::string token;
  int pages = 0;
  do {
    v1::ListLinksResponse r;
    ASSERT_TRUE(List(0, 7, token, &r).ok());
    EXPECT_LE(r.links_size(), 7);
    for (const auto& l : r.links()) seen.push_back(l.link_id());
    token = r.next_page_token();
    ++pages;
  } while (!token.empty() && pages < 100);
  EXPECT_EQ(seen, ids);
  EXPECT_EQ(pages, (kLinks + 6) / 7);
  // More than 1000 is capped at 1000 (here: everything, no next page).
  v1::ListLinksResponse big;
  ASSERT_TRUE(List(0, 5000, "", &big).ok());
  EXPECT_EQ(big.links_size(), kLinks);
  EXPECT_TRUE(big.next_page_token().empty());
  // Exactly one full page: no next token.
  v1::ListLinksResponse exact;
  ASSERT_TRUE(List(0, kLinks, "", &exact).ok());
  EXPECT_TRUE(exact.next_page_token().empty());

  // Bad inputs.
  v1::ListLinksResponse r;
  grpc::Status s = List(0, -1, "", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("page_size must be 0 (default 100) to 1000: got -1"),
            std::string::npos)
      << s.error_message();
  for (const std::string& bad :
       std::vector<std::string>{"garbage", "djF8MHxsaW5rLTEwMDZ8MTIzNA", std::string(600, 'A')}) {
    s = List(0, 7, bad, &r);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_NE(s.error_message().find("page_token was not issued"), std::string::npos);
  }
  // A token is bound to its state filter.
  s = List(v1::LINK_STATE_BACKOFF, 7, page.next_page_token(), &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  s = List(77, 0, "", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // State filter, with paging.
  for (int i = 0; i < 12; ++i) {
    v1::PauseLinkRequest req;
    req.set_link_id(ids[i * 20]);
    v1::Link link;
    auto ctx = Ctx();
    ASSERT_TRUE(stub_->PauseLink(ctx.get(), req, &link).ok());
    EXPECT_EQ(link.state(), v1::LINK_STATE_PAUSED);
  }
  std::vector<std::string> paused;
  token.clear();
  do {
    v1::ListLinksResponse p;
    ASSERT_TRUE(List(v1::LINK_STATE_PAUSED, 5, token, &p).ok());
    for (const auto& l : p.links()) {
      EXPECT_EQ(l.state(), v1::LINK_STATE_PAUSED);
      paused.push_back(l.link_id());
    }
    token = p.next_page_token();
  } while (!token.empty());
  ASSERT_EQ(paused.size(), 12u);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(paused[i], ids[i * 20]);
}

TEST_F(LinkServiceTest, WatchALinkThatDoesNotExistYet) {
  Start();
  WatchCollector watch(channel_, "later");
  WatchCollector all(channel_, "");
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_TRUE(watch.events().empty());
  ASSERT_TRUE(Create("other").ok());
  ASSERT_TRUE(Create("later").ok());
  ASSERT_TRUE(WaitFor([&] {
    auto s = watch.states();
    return std::find(s.begin(), s.end(), "BACKOFF") != s.end();
  }));
  v1::DeleteLinkRequest del;
  del.set_link_id("later");
  google::protobuf::Empty empty;
  auto ctx = Ctx();
  ASSERT_TRUE(stub_->DeleteLink(ctx.get(), del, &empty).ok());
  // DeleteLink returned: the link is gone and the watcher has (or gets) its last event.
  v1::GetLinkRequest get;
  get.set_link_id("later");
  v1::Link link;
  auto ctx2 = Ctx();
  EXPECT_EQ(stub_->GetLink(ctx2.get(), get, &link).error_code(), grpc::StatusCode::NOT_FOUND);
  ASSERT_TRUE(WaitFor([&] {
    auto s = watch.states();
    return !s.empty() && s.back() == "DELETED";
  }));
  std::vector<v1::LinkEvent> events = watch.events();
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(ShortState(events[0].link().state()), "CONNECTING");
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].link().link_id(), "later");
    EXPECT_EQ(events[i].deleted(), i + 1 == events.size());
    if (i > 0 && i + 1 < events.size()) {
      EXPECT_NE(events[i].link().state(), events[i - 1].link().state()) << "repeat at " << i;
    }
  }
  // The unfiltered watcher saw both links.
  std::set<std::string> ids;
  for (const auto& e : all.events()) ids.insert(e.link().link_id());
  EXPECT_EQ(ids, (std::set<std::string>{"later", "other"}));
}

TEST_F(LinkServiceTest, SlowWatcherIsCutOffAndNobodyWaits) {
  Start("", /*max_queued=*/256);
  // A watcher that never reads: a small HTTP/2 window so its writes back up quickly.
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_HTTP2_STREAM_LOOKAHEAD_BYTES, 1024);
  args.SetInt(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  auto slow_channel = grpc::CreateCustomChannel(StrCat("127.0.0.1:", port_),
                                                grpc::InsecureChannelCredentials(), args);
  auto slow_stub = v1::LinkService::NewStub(slow_channel);
  grpc::ClientContext slow_ctx;
  v1::WatchLinksRequest req;
  auto slow = slow_stub->WatchLinks(&slow_ctx, req);
  slow->WaitForInitialMetadata();  // subscribed (the server sends headers at once)
  WatchCollector fast(channel_, "");

  // 300 links to a closed port: each makes a few state changes a second at first.
  constexpr int kLinks = 300;
  for (int i = 0; i < kLinks; ++i) ASSERT_TRUE(Create(StrCat("flap-", i)).ok());
  // The links keep their pace while the slow watcher is stuck: three attempts each.
  auto attempts = [&] {
    uint64_t n = 0;
    for (const auto& l : engine_->ListLinks()) n += l->connect_attempts;
    return n;
  };
  ASSERT_TRUE(WaitFor([&] { return attempts() >= 3 * kLinks; }, std::chrono::seconds(60)))
      << attempts();
  // The slow watcher: whatever it buffered, then RESOURCE_EXHAUSTED.
  v1::LinkEvent e;
  int read = 0;
  while (slow->Read(&e)) ++read;
  grpc::Status s = slow->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
      << s.error_message() << " after " << read << " events";
  EXPECT_NE(s.error_message().find("call WatchLinks again"), std::string::npos);
  // The watcher that reads kept up and is still subscribed.
  EXPECT_FALSE(fast.finished()) << fast.status().error_message();
  EXPECT_GE(fast.events().size(), static_cast<size_t>(2 * kLinks));
  // It can subscribe again, and starts with the current state of every link.
  WatchCollector again(channel_, "");
  ASSERT_TRUE(WaitFor([&] { return again.events().size() >= kLinks; }));
}

TEST_F(LinkServiceTest, ShutdownEndsWatchesAndRefusesNewCalls) {
  Start();
  ASSERT_TRUE(Create("a").ok());
  WatchCollector w1(channel_, "");
  WatchCollector w2(channel_, "a");
  ASSERT_TRUE(WaitFor([&] { return !w1.events().empty() && !w2.events().empty(); }));
  auto start = std::chrono::steady_clock::now();
  service_->Shutdown();
  ASSERT_TRUE(WaitFor([&] { return w1.finished() && w2.finished(); }, std::chrono::seconds(2)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  EXPECT_EQ(w1.status().error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(w1.status().error_message().find("shutting down"), std::string::npos);
  grpc::Status s = Create("b");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE);
  WatchCollector late(channel_, "");
  ASSERT_TRUE(WaitFor([&] { return late.finished(); }));
  EXPECT_EQ(late.status().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(LinkServiceTest, EveryChangeIsDurableBeforeTheReply) {
  Start();
  v1::CreateLinkRequest create;
  create.set_link_id("d");
  create.mutable_master()->set_host("127.0.0.1");
  create.mutable_master()->set_port(dead_port_);
  create.mutable_auth()->set_username("repl");
  create.mutable_auth()->set_password("pw-1");
  create.mutable_options()->set_repl_timeout_seconds(33);
  v1::Link link;
  {
    auto ctx = Ctx();
    ASSERT_TRUE(stub_->CreateLink(ctx.get(), create, &link).ok());
  }
  EXPECT_TRUE(link.auth().password_set());
  auto disk = OnDisk();
  ASSERT_TRUE(disk.count("d"));
  EXPECT_EQ(disk["d"].password, "pw-1");
  EXPECT_EQ(disk["d"].username, "repl");
  EXPECT_EQ(disk["d"].options.repl_timeout_seconds, 33);
  EXPECT_FALSE(disk["d"].declared);
  EXPECT_NE(disk["d"].create_time, absl::InfinitePast());
  EXPECT_EQ(redlink::testing::FileMode(registry_->path()), 0600);

  {
    v1::PauseLinkRequest r;
    r.set_link_id("d");
    auto ctx = Ctx();
    ASSERT_TRUE(stub_->PauseLink(ctx.get(), r, &link).ok());
  }
  EXPECT_TRUE(OnDisk()["d"].paused);
  {
    v1::UpdateLinkRequest r;
    r.set_link_id("d");
    r.mutable_master()->set_host("localhost");
    r.mutable_master()->set_port(dead_port_);
    r.mutable_options()->set_unsupported_commands(v1::UNSUPPORTED_COMMAND_POLICY_SKIP);
    auto ctx = Ctx();
    ASSERT_TRUE(stub_->UpdateLink(ctx.get(), r, &link).ok());
    EXPECT_EQ(link.master().host(), "localhost");
    EXPECT_EQ(link.state(), v1::LINK_STATE_PAUSED) << "an update keeps a paused link paused";
  }
  disk = OnDisk();
  EXPECT_EQ(disk["d"].host, "localhost");
  EXPECT_EQ(disk["d"].options.unsupported_commands, engine::UnsupportedCommandPolicy::kSkip);
  EXPECT_EQ(disk["d"].options.repl_timeout_seconds, 60) << "options are replaced as a whole";
  EXPECT_TRUE(disk["d"].paused);
  {
    v1::SetLinkAuthRequest r;
    r.set_link_id("d");
    r.mutable_auth();  // empty: clears
    auto ctx = Ctx();
    ASSERT_TRUE(stub_->SetLinkAuth(ctx.get(), r, &link).ok());
    EXPECT_FALSE(link.auth().password_set());
  }
  EXPECT_EQ(OnDisk()["d"].password, "");
  {
    v1::ResumeLinkRequest r;
    r.set_link_id("d");
    auto ctx = Ctx();
    ASSERT_TRUE(stub_->ResumeLink(ctx.get(), r, &link).ok());
    EXPECT_NE(link.state(), v1::LINK_STATE_PAUSED);
    // Idempotent.
    auto ctx2 = Ctx();
    ASSERT_TRUE(stub_->ResumeLink(ctx2.get(), r, &link).ok());
  }
  EXPECT_FALSE(OnDisk()["d"].paused);
  {
    v1::DeleteLinkRequest r;
    r.set_link_id("d");
    google::protobuf::Empty e;
    auto ctx = Ctx();
    ASSERT_TRUE(stub_->DeleteLink(ctx.get(), r, &e).ok());
  }
  EXPECT_TRUE(OnDisk().empty());
}

TEST_F(LinkServiceTest, MaxLinksIsResourceExhausted) {
  Start();
  for (int i = 0; i < 400; ++i) ASSERT_TRUE(Create(StrCat("m-", i)).ok());
  grpc::Status s = Create("one-too-many");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_NE(s.error_message().find("--max_links=400"), std::string::npos) << s.error_message();
  EXPECT_FALSE(OnDisk().count("one-too-many"));
}

TEST_F(LinkServiceTest, TokenGuardsEveryRpc) {
  Start("the-token-123");
  token_.clear();  // calls below carry no token unless they add one
  auto check = [&](const char* what,
                   const std::function<grpc::Status(grpc::ClientContext*)>& call) {
    for (const std::string header : {"", "Bearer wrong", "Basic the-token-123", "Bearer ",
                                     "Bearer the-token-1234", "the-token-123"}) {
      grpc::ClientContext ctx;
      if (!header.empty()) ctx.AddMetadata("authorization", header);
      grpc::Status s = call(&ctx);
      EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED)
          << what << " with '" << header << "'";
    }
    grpc::ClientContext ok;
    ok.AddMetadata("authorization", "Bearer the-token-123");
    EXPECT_NE(call(&ok).error_code(), grpc::StatusCode::UNAUTHENTICATED) << what;
  };
  v1::Link link;
  google::protobuf::Empty empty;
  v1::ListLinksResponse list;
  check("CreateLink", [&](grpc::ClientContext* c) {
    v1::CreateLinkRequest r;
    r.set_link_id("t");
    r.mutable_master()->set_host("127.0.0.1");
    r.mutable_master()->set_port(dead_port_);
    return stub_->CreateLink(c, r, &link);
  });
  check("GetLink", [&](grpc::ClientContext* c) {
    v1::GetLinkRequest r;
    r.set_link_id("t");
    return stub_->GetLink(c, r, &link);
  });
  check("ListLinks",
        [&](grpc::ClientContext* c) { return stub_->ListLinks(c, v1::ListLinksRequest(), &list); });
  check("UpdateLink", [&](grpc::ClientContext* c) {
    v1::UpdateLinkRequest r;
    r.set_link_id("t");
    r.mutable_options();
    return stub_->UpdateLink(c, r, &link);
  });
  check("SetLinkAuth", [&](grpc::ClientContext* c) {
    v1::SetLinkAuthRequest r;
    r.set_link_id("t");
    r.mutable_auth();
    return stub_->SetLinkAuth(c, r, &link);
  });
  check("PauseLink", [&](grpc::ClientContext* c) {
    v1::PauseLinkRequest r;
    r.set_link_id("t");
    return stub_->PauseLink(c, r, &link);
  });
  check("ResumeLink", [&](grpc::ClientContext* c) {
    v1::ResumeLinkRequest r;
    r.set_link_id("t");
    return stub_->ResumeLink(c, r, &link);
  });
  check("WatchLinks", [&](grpc::ClientContext* c) {
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
    auto reader = stub_->WatchLinks(c, v1::WatchLinksRequest());
    v1::LinkEvent e;
    while (reader->Read(&e)) {
    }
    return reader->Finish();  // DEADLINE_EXCEEDED when admitted
  });
  check("DeleteLink", [&](grpc::ClientContext* c) {
    v1::DeleteLinkRequest r;
    r.set_link_id("t");
    return stub_->DeleteLink(c, r, &empty);
  });
}

}  // namespace
}  // namespace redlink::service
