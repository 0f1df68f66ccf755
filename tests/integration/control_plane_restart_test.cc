// The link registry across restarts: SIGTERM then start brings every link back with its master,
// options, credentials, pause state and create time; SIGKILL at random moments while clients
// mutate links never leaves a registry that fails to load, and what comes back is, link by link,
// the last acknowledged state or the one in flight. --links_file declares links: created or
// updated at start, never duplicated, API links left alone, links created from the file deleted
// once the file drops them; a bad file is a clear startup error.

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "tests/service/cp_test_util.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using redlink::v1::Link;

constexpr char kToken[] = "restart-test-token";

RedlinkdProcess::Options WithToken(std::vector<std::string> extra = {},
                                   std::map<std::string, std::string> env = {}) {
  RedlinkdProcess::Options o;
  o.token = kToken;
  o.extra_args = std::move(extra);
  o.env = std::move(env);
  return o;
}

std::map<std::string, Link> ListAll(RedlinkdProcess& r) {
  std::map<std::string, Link> out;
  v1::ListLinksRequest req;
  req.set_page_size(1000);
  v1::ListLinksResponse resp;
  auto ctx = r.Context();
  grpc::Status s = r.stub().ListLinks(ctx.get(), req, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
  for (const auto& l : resp.links()) {
    EXPECT_FALSE(out.count(l.link_id())) << "duplicate " << l.link_id();
    out[l.link_id()] = l;
  }
  return out;
}

grpc::Status Pause(RedlinkdProcess& r, const std::string& id) {
  v1::PauseLinkRequest req;
  req.set_link_id(id);
  Link link;
  auto ctx = r.Context();
  return r.stub().PauseLink(ctx.get(), req, &link);
}

TEST(ControlPlaneRestart, SigtermThenStartBringsEveryLinkBack) {
  RedisServer master({"--requirepass", "master-pw", "--repl-diskless-sync-delay", "0"});
  ASSERT_TRUE(master.ok());
  ASSERT_EQ(master.Cmd({"AUTH", "master-pw"}), "OK");
  ASSERT_EQ(master.Cmd({"ACL", "SETUSER", "repl", "on", ">repl-pw", "+@all", "~*"}), "OK");
  RedlinkdProcess redlink(WithToken());
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  int dead = FreePort();

  v1::LinkOptions opts;
  opts.set_repl_timeout_seconds(77);
  opts.set_unsupported_commands(v1::UNSUPPORTED_COMMAND_POLICY_SKIP);
  opts.set_drop_before_load(true);
  ASSERT_TRUE(redlink.CreateLink("r-stream", master.port(), "master-pw", "", nullptr, &opts).ok());
  ASSERT_TRUE(redlink.CreateLink("r-user", master.port(), "repl-pw", "repl").ok());
  ASSERT_TRUE(redlink.CreateLink("r-paused", master.port(), "master-pw").ok());
  v1::LinkOptions dead_opts;
  dead_opts.set_handshake_timeout_seconds(3);
  dead_opts.set_connect_timeout_seconds(2);
  ASSERT_TRUE(redlink.CreateLink("r-dead", dead, "", "", nullptr, &dead_opts).ok());
  for (const char* id : {"r-stream", "r-user", "r-paused"}) {
    ASSERT_TRUE(redlink.WaitState(id, v1::LINK_STATE_STREAMING, std::chrono::seconds(30))) << id;
  }
  ASSERT_TRUE(Pause(redlink, "r-paused").ok());
  {
    v1::SetLinkAuthRequest req;
    req.set_link_id("r-dead");
    req.mutable_auth()->set_username("someone");
    req.mutable_auth()->set_password("later-pw");
    Link link;
    auto ctx = redlink.Context();
    ASSERT_TRUE(redlink.stub().SetLinkAuth(ctx.get(), req, &link).ok());
  }
  std::map<std::string, Link> before = ListAll(redlink);
  ASSERT_EQ(before.size(), 4u);

  auto start = std::chrono::steady_clock::now();
  int status = redlink.Terminate(std::chrono::seconds(5));
  ASSERT_TRUE(WIFEXITED(status)) << status << "\n" << redlink.log();
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(FileMode(redlink.data_dir() + "/registry.json"), 0600);

  ASSERT_TRUE(redlink.Restart()) << redlink.log();
  std::map<std::string, Link> after = ListAll(redlink);
  ASSERT_EQ(after.size(), before.size());
  for (const auto& [id, b] : before) {
    ASSERT_TRUE(after.count(id)) << id;
    const Link& a = after[id];
    EXPECT_EQ(a.master().host(), b.master().host()) << id;
    EXPECT_EQ(a.master().port(), b.master().port()) << id;
    EXPECT_EQ(a.options().DebugString(), b.options().DebugString()) << id;
    EXPECT_EQ(a.auth().username(), b.auth().username()) << id;
    EXPECT_EQ(a.auth().password_set(), b.auth().password_set()) << id;
    EXPECT_EQ(a.create_time().seconds(), b.create_time().seconds()) << id;
    EXPECT_EQ(a.create_time().nanos(), b.create_time().nanos()) << id;
    EXPECT_FALSE(a.declared()) << id;
  }
  // The paused link stays paused and does not even connect.
  EXPECT_EQ(after["r-paused"].state(), v1::LINK_STATE_PAUSED);
  absl::SleepFor(absl::Seconds(2));
  Link paused;
  ASSERT_TRUE(redlink.GetLink("r-paused", &paused).ok());
  EXPECT_EQ(paused.state(), v1::LINK_STATE_PAUSED);
  EXPECT_EQ(paused.connect_attempts(), 0u);
  // The others come back with their credentials (AUTH works, with the ACL user too).
  EXPECT_TRUE(redlink.WaitState("r-stream", v1::LINK_STATE_STREAMING, std::chrono::seconds(30)));
  EXPECT_TRUE(redlink.WaitState("r-user", v1::LINK_STATE_STREAMING, std::chrono::seconds(30)));
  EXPECT_EQ(after["r-dead"].auth().username(), "someone");
  EXPECT_EQ(after["r-stream"].options().repl_timeout_seconds(), 77);
  EXPECT_EQ(after["r-dead"].options().handshake_timeout_seconds(), 3);
  // And resume works on the restored paused link.
  v1::ResumeLinkRequest req;
  req.set_link_id("r-paused");
  Link link;
  auto ctx = redlink.Context();
  ASSERT_TRUE(redlink.stub().ResumeLink(ctx.get(), req, &link).ok());
  EXPECT_TRUE(redlink.WaitState("r-paused", v1::LINK_STATE_STREAMING, std::chrono::seconds(30)));
}

// What a client knows about one link: the state the server last acknowledged, and the state an
// unanswered call would lead to.
struct Model {
  bool exists = false;
  bool paused = false;
  int port = 0;
  bool password_set = false;
  bool operator==(const Model& o) const {
    return exists == o.exists &&
           (!exists || (paused == o.paused && port == o.port && password_set == o.password_set));
  }
  std::string ToString() const {
    if (!exists) return "absent";
    return absl::StrCat("port=", port, " paused=", paused, " password_set=", password_set);
  }
};

TEST(ControlPlaneRestart, SigkillDuringRegistryWritesNeverCorruptsIt) {
  TempDir data;
  RedlinkdProcess::Options o = WithToken();
  o.data_dir = data.path() + "/data";
  RedlinkdProcess redlink(o);
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  constexpr int kThreads = 4, kLinksPerThread = 4, kRounds = 12;
  std::vector<Model> acked(kThreads * kLinksPerThread);
  std::vector<std::optional<Model>> pending(acked.size());
  std::mt19937 rng(12345);
  auto id_of = [](int i) { return absl::StrCat("crash-", i); };
  int base_port = 20000;  // nothing listens on these ports; only the registry matters here

  for (int round = 0; round < kRounds; ++round) {
    std::atomic<bool> stop{false};
    std::atomic<int> acks{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < kThreads; ++t) {
      clients.emplace_back([&, t] {
        std::mt19937 r(round * 100 + t);
        while (!stop) {
          int i = t * kLinksPerThread + static_cast<int>(r() % kLinksPerThread);
          Model cur = acked[i];
          Model next = cur;
          grpc::Status s;
          Link link;
          auto ctx = redlink.Context(std::chrono::seconds(5));
          std::string id = id_of(i);
          int op = static_cast<int>(r() % 6);
          if (!cur.exists) op = 0;
          if (op == 0 && cur.exists) op = 5;
          switch (op) {
            case 0: {  // create
              v1::CreateLinkRequest req;
              req.set_link_id(id);
              req.mutable_master()->set_host("127.0.0.1");
              next.exists = true;
              next.port = base_port + static_cast<int>(r() % 1000);
              next.paused = false;
              next.password_set = r() % 2;
              req.mutable_master()->set_port(next.port);
              if (next.password_set) req.mutable_auth()->set_password("pw");
              pending[i] = next;
              s = redlink.stub().CreateLink(ctx.get(), req, &link);
              break;
            }
            case 1: {
              v1::PauseLinkRequest req;
              req.set_link_id(id);
              next.paused = true;
              pending[i] = next;
              s = redlink.stub().PauseLink(ctx.get(), req, &link);
              break;
            }
            case 2: {
              v1::ResumeLinkRequest req;
              req.set_link_id(id);
              next.paused = false;
              pending[i] = next;
              s = redlink.stub().ResumeLink(ctx.get(), req, &link);
              break;
            }
            case 3: {
              v1::UpdateLinkRequest req;
              req.set_link_id(id);
              next.port = base_port + static_cast<int>(r() % 1000);
              req.mutable_master()->set_host("127.0.0.1");
              req.mutable_master()->set_port(next.port);
              pending[i] = next;
              s = redlink.stub().UpdateLink(ctx.get(), req, &link);
              break;
            }
            case 4: {
              v1::SetLinkAuthRequest req;
              req.set_link_id(id);
              next.password_set = !cur.password_set;
              req.mutable_auth()->set_password(next.password_set ? "pw2" : "");
              pending[i] = next;
              s = redlink.stub().SetLinkAuth(ctx.get(), req, &link);
              break;
            }
            case 5: {
              v1::DeleteLinkRequest req;
              req.set_link_id(id);
              next = Model{};
              pending[i] = next;
              google::protobuf::Empty e;
              s = redlink.stub().DeleteLink(ctx.get(), req, &e);
              break;
            }
          }
          if (s.ok()) {
            acked[i] = next;
            pending[i].reset();
            ++acks;
          } else {
            // The server died under us (or the call failed): the outcome stays unknown.
            return;
          }
        }
      });
    }
    // SIGKILL at a random moment while the clients hammer the registry (after the first
    // acknowledgement, so that every round tests something even on a loaded machine).
    EXPECT_TRUE(WaitFor([&] { return acks > 0; }, std::chrono::seconds(20))) << redlink.log();
    std::uniform_int_distribution<int> ms(0, 500);
    absl::SleepFor(absl::Milliseconds(ms(rng)));
    redlink.process().Kill();
    stop = true;
    for (auto& c : clients) c.join();
    // The registry loads, and every link is its acknowledged state or its in-flight one.
    ASSERT_TRUE(redlink.Restart()) << "round " << round << ": redlinkd did not start again\n"
                                   << redlink.log();
    std::map<std::string, Link> links = ListAll(redlink);
    for (size_t i = 0; i < acked.size(); ++i) {
      Model seen;
      auto it = links.find(id_of(static_cast<int>(i)));
      if (it != links.end()) {
        seen.exists = true;
        seen.paused = it->second.state() == v1::LINK_STATE_PAUSED;
        seen.port = it->second.master().port();
        seen.password_set = it->second.auth().password_set();
      }
      bool ok = seen == acked[i] || (pending[i] && seen == *pending[i]);
      EXPECT_TRUE(ok) << "round " << round << " link " << i << ": saw " << seen.ToString()
                      << ", acknowledged " << acked[i].ToString() << ", in flight "
                      << (pending[i] ? pending[i]->ToString() : "none");
      // From now on the observed state is the acknowledged one.
      acked[i] = seen;
      pending[i].reset();
    }
    EXPECT_GT(acks.load(), 0) << "round " << round;
  }
}

TEST(ControlPlaneRestart, LinksFileDeclaresLinks) {
  RedisServer master({"--requirepass", "file-pw", "--repl-diskless-sync-delay", "0"});
  ASSERT_TRUE(master.ok());
  TempDir dir;
  std::string links = dir.File("links.yaml");
  std::string pw_file = dir.File("password");
  std::ofstream(pw_file) << "file-pw\n";  // as a mounted Secret key: one trailing newline
  int dead = FreePort();
  std::ofstream(links) << "links:\n"
                       << "  - link_id: decl-a\n"
                       << "    master: {host: 127.0.0.1, port: " << master.port() << "}\n"
                       << "    auth: {password_file: " << pw_file << "}\n"
                       << "    options: {repl_timeout_seconds: 90}\n"
                       << "  - link_id: decl-b\n"
                       << "    master: {host: 127.0.0.1, port: " << master.port() << "}\n"
                       << "    auth: {password_env: DECL_B_PASSWORD}\n";
  RedlinkdProcess redlink(WithToken({"--links_file=" + links}, {{"DECL_B_PASSWORD", "file-pw"}}));
  ASSERT_TRUE(redlink.ok()) << redlink.log();
  for (const char* id : {"decl-a", "decl-b"}) {
    Link link;
    ASSERT_TRUE(redlink.WaitState(id, v1::LINK_STATE_STREAMING, std::chrono::seconds(30), &link))
        << id << ": " << link.DebugString();
    EXPECT_TRUE(link.declared()) << id;
    EXPECT_TRUE(link.auth().password_set()) << id;
  }
  ASSERT_TRUE(redlink.CreateLink("api-1", dead).ok());
  ASSERT_TRUE(Pause(redlink, "decl-a").ok());
  std::map<std::string, Link> first = ListAll(redlink);
  EXPECT_EQ(first["decl-a"].options().repl_timeout_seconds(), 90);

  // Same file again: nothing duplicated, nothing changed.
  ASSERT_EQ(redlink.Terminate(std::chrono::seconds(5)), 0);
  ASSERT_TRUE(redlink.Restart()) << redlink.log();
  std::map<std::string, Link> second = ListAll(redlink);
  EXPECT_EQ(second.size(), 3u);
  EXPECT_EQ(second["decl-a"].state(), v1::LINK_STATE_PAUSED);
  EXPECT_EQ(second["decl-a"].create_time().seconds(), first["decl-a"].create_time().seconds());

  // A new file (JSON, a bare list): decl-a changes options, decl-b is gone, decl-c is new.
  std::ofstream(links) << "[{\"link_id\": \"decl-a\", \"master\": {\"host\": \"127.0.0.1\", "
                          "\"port\": "
                       << master.port() << "}, \"auth\": {\"password_file\": \"" << pw_file
                       << "\"}, \"options\": {\"repl_timeout_seconds\": 45}},"
                       << " {\"link_id\": \"decl-c\", \"master\": {\"host\": \"127.0.0.1\", "
                          "\"port\": "
                       << dead << "}}]\n";
  ASSERT_EQ(redlink.Terminate(std::chrono::seconds(5)), 0);
  ASSERT_TRUE(redlink.Restart()) << redlink.log();
  std::map<std::string, Link> third = ListAll(redlink);
  EXPECT_EQ(third.size(), 3u);
  ASSERT_TRUE(third.count("decl-a"));
  EXPECT_EQ(third["decl-a"].options().repl_timeout_seconds(), 45);
  EXPECT_EQ(third["decl-a"].state(), v1::LINK_STATE_PAUSED) << "the operator's pause stays";
  EXPECT_EQ(third["decl-a"].create_time().seconds(), first["decl-a"].create_time().seconds());
  EXPECT_FALSE(third.count("decl-b")) << "created from the file, dropped from it: deleted";
  EXPECT_TRUE(third.count("decl-c"));
  EXPECT_TRUE(third["decl-c"].declared());
  EXPECT_TRUE(third.count("api-1")) << "API links are left alone";
  EXPECT_FALSE(third["api-1"].declared());
  EXPECT_NE(redlink.log().find("decl-b"), std::string::npos) << "the deletion is logged";

  // A bad file is a startup error naming the file, the entry and the field.
  std::ofstream(links) << "links:\n"
                       << "  - link_id: decl-a\n"
                       << "    master: {host: 127.0.0.1, port: 70000}\n";
  ASSERT_EQ(redlink.Terminate(std::chrono::seconds(5)), 0);
  EXPECT_FALSE(redlink.Restart());
  ASSERT_TRUE(WaitFor([&] { return !redlink.process().running(); }));
  int status = redlink.process().Stop(SIGKILL);
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
  std::string log = redlink.log();
  EXPECT_NE(log.find("--links_file=" + links +
                     ":3: links[0] (link_id 'decl-a'): master.port "
                     "must be 1..65535: got 70000"),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace redlink::testing
