// --links_file: the accepted shapes (YAML, JSON, bare list, the chart's output), the password
// sources, errors that name the file, the line, the entry and the field (never the password),
// and the reconciliation rules with the registry.

#include "service/links_file.h"

#include <gtest/gtest.h>

#include <map>

namespace redlink::service {
namespace {

LinksFileEnv FakeEnv() {
  static const auto* files = new std::map<std::string, std::string>{
      {"/secrets/a/password", "file-pw\n"},
      {"/secrets/crlf", "crlf-pw\r\n"},
      {"/secrets/two-newlines", "pw\n\n"},
      {"/secrets/empty", ""},
  };
  LinksFileEnv env;
  env.read_file = [](const std::string& path) -> absl::StatusOr<std::string> {
    auto it = files->find(path);
    if (it == files->end()) return absl::NotFoundError("No such file or directory");
    return it->second;
  };
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (name == "REDIS_PW") return std::string("env-pw");
    if (name == "EMPTY_PW") return std::string();
    return std::nullopt;
  };
  return env;
}

absl::StatusOr<std::vector<LinkRecord>> Parse(const std::string& text) {
  return ParseLinksFile(text, "links.yaml", FakeEnv());
}

TEST(LinksFile, YamlWithEveryField) {
  auto links = Parse(R"(
links:
  - link_id: cache-a
    master: {host: redis-a.cache.svc.cluster.local, port: 6380}
    auth:
      username: default
      password_file: /secrets/a/password
    options:
      repl_timeout_seconds: 120
      handshake_timeout_seconds: 7
      connect_timeout_seconds: 3
      drop_before_load: true
      unsupported_commands: SKIP
  - link_id: cache-b
    master:
      host: 10.0.0.6
      port: 6379
    auth: {password_env: REDIS_PW}
  - link_id: cache-c
    master: {host: "::1", port: 7000}
    auth: {password: literal-pw}
)");
  ASSERT_TRUE(links.ok()) << links.status();
  ASSERT_EQ(links->size(), 3u);
  const engine::LinkSpec& a = (*links)[0].spec;
  EXPECT_EQ(a.id, "cache-a");
  EXPECT_EQ(a.host, "redis-a.cache.svc.cluster.local");
  EXPECT_EQ(a.port, 6380);
  EXPECT_EQ(a.username, "default");
  EXPECT_EQ(a.password, "file-pw") << "one trailing newline stripped";
  EXPECT_EQ(a.options.repl_timeout_seconds, 120);
  EXPECT_EQ(a.options.handshake_timeout_seconds, 7);
  EXPECT_EQ(a.options.connect_timeout_seconds, 3);
  EXPECT_TRUE(a.options.drop_before_load);
  EXPECT_EQ(a.options.unsupported_commands, engine::UnsupportedCommandPolicy::kSkip);
  EXPECT_TRUE(a.declared);
  EXPECT_FALSE(a.paused);
  const engine::LinkSpec& b = (*links)[1].spec;
  EXPECT_EQ(b.password, "env-pw");
  EXPECT_EQ(b.options.repl_timeout_seconds, 60) << "defaults";
  EXPECT_EQ(b.options.unsupported_commands, engine::UnsupportedCommandPolicy::kFail);
  EXPECT_EQ((*links)[2].spec.host, "::1");
  EXPECT_EQ((*links)[2].spec.password, "literal-pw");
}

TEST(LinksFile, JsonAndBareListAndEmpty) {
  auto json = Parse(R"({"links": [{"link_id": "j", "master": {"host": "h", "port": 1}}]})");
  ASSERT_TRUE(json.ok()) << json.status();
  ASSERT_EQ(json->size(), 1u);
  EXPECT_EQ((*json)[0].spec.id, "j");
  auto bare = Parse("- link_id: x\n  master: {host: h, port: 2}\n");
  ASSERT_TRUE(bare.ok()) << bare.status();
  EXPECT_EQ((*bare)[0].spec.port, 2);
  auto bare_json = Parse(R"([{"link_id": "y", "master": {"host": "h", "port": 3}}])");
  ASSERT_TRUE(bare_json.ok()) << bare_json.status();
  for (const char* empty : {"links: []", "", "# nothing\n", "links:\n"}) {
    auto e = Parse(empty);
    ASSERT_TRUE(e.ok()) << empty << ": " << e.status();
    EXPECT_TRUE(e->empty());
  }
}

TEST(LinksFile, WhatTheHelmChartRenders) {
  // deploy/helm/redlink/templates/_helpers.tpl redlink.linkEntry: link_id first, toYaml sorts
  // the rest; a pod with no links gets `links: []`.
  auto links = Parse(R"(# Links of pod redlink-0: adler32(link_id) mod 2 == 0.
links:
  - link_id: cache-a
    auth:
      password_file: /secrets/a/password
      username: default
    master:
      host: redis-a.cache.svc.cluster.local
      port: 6379
    options:
      repl_timeout_seconds: 60
      unsupported_commands: SKIP
)");
  ASSERT_TRUE(links.ok()) << links.status();
  ASSERT_EQ(links->size(), 1u);
  EXPECT_EQ((*links)[0].spec.password, "file-pw");
}

TEST(LinksFile, PasswordFileNewlines) {
  auto crlf =
      Parse("- {link_id: a, master: {host: h, port: 1}, auth: {password_file: /secrets/crlf}}");
  ASSERT_TRUE(crlf.ok()) << crlf.status();
  EXPECT_EQ((*crlf)[0].spec.password, "crlf-pw");
  auto two = Parse(
      "- {link_id: a, master: {host: h, port: 1}, auth: {password_file: /secrets/two-newlines}}");
  ASSERT_TRUE(two.ok()) << two.status();
  EXPECT_EQ((*two)[0].spec.password, "pw\n") << "only one newline is stripped";
}

TEST(LinksFile, ErrorsNameTheFileLineEntryAndField) {
  struct Case {
    std::string text;
    std::vector<std::string> expect;
  } cases[] = {
      {"links: [", {"links.yaml:", "not valid YAML or JSON"}},
      {"foo: []", {"links.yaml:1", "unknown top-level field 'foo'"}},
      {"links: {a: b}", {"expected a list of links"}},
      {"links:\n  - 42\n", {"links.yaml:2", "links[0]", "each entry must be a map"}},
      {"links:\n  - master: {host: h, port: 1}\n", {"links[0]", "link_id", "is required"}},
      {"links:\n  - link_id: Cache_A\n    master: {host: h, port: 1}\n",
       {"links.yaml:2", "links[0]", "link_id must match [a-z0-9-]{1,63}", "'Cache_A'"}},
      {"links:\n  - link_id: a\n", {"links[0] (link_id 'a')", "master", "is required"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: 0}\n",
       {"links[0] (link_id 'a')", "master.port must be 1..65535: got 0"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: abc}\n",
       {"links.yaml:3", "links[0] (link_id 'a')", "master.port", "must be an integer: got 'abc'"}},
      {"links:\n  - link_id: a\n    master: {host: 'bad host', port: 1}\n",
       {"links[0] (link_id 'a')", "master.host must be a host name"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: 1, tls: true}\n",
       {"links.yaml:3", "master.tls", "unknown field"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: 1}\n    passwordSecret: x\n",
       {"links.yaml:4", "links[0] (link_id 'a')", "passwordSecret", "unknown field"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: 1}\n"
       "    auth: {password_file: /nope}\n",
       {"links.yaml:4", "auth.password_file", "cannot read '/nope'", "No such file"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: 1}\n"
       "    auth: {password_file: /secrets/empty}\n",
       {"auth.password_file", "is empty"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: 1}\n"
       "    auth: {password_env: NOT_SET_ANYWHERE}\n",
       {"auth.password_env", "environment variable NOT_SET_ANYWHERE is not set"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: 1}\n"
       "    auth: {password_env: EMPTY_PW}\n",
       {"auth.password_env", "is empty"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: 1}\n"
       "    auth: {password_env: REDIS_PW, password: also}\n",
       {"auth", "at most one of password_file, password_env and password"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: 1}\n    auth: {username: u}\n",
       {"auth.username needs auth.password"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: 1}\n"
       "    options: {unsupported_commands: IGNORE}\n",
       {"options.unsupported_commands", "must be FAIL or SKIP: got 'IGNORE'"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: 1}\n"
       "    options: {repl_timeout_seconds: -4}\n",
       {"options.repl_timeout_seconds must be 0 (default) to 86400 seconds: got -4"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: 1}\n"
       "    options: {drop_before_load: perhaps}\n",
       {"options.drop_before_load", "must be true or false"}},
      {"links:\n  - link_id: a\n    master: {host: h, port: 1}\n"
       "  - link_id: a\n    master: {host: h, port: 2}\n",
       {"links.yaml:4", "links[1]", "'a' is already declared by links[0]"}},
  };
  for (const auto& c : cases) {
    auto r = Parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    std::string msg(r.status().message());
    EXPECT_EQ(msg.rfind("links.yaml", 0), 0u) << msg;
    for (const auto& e : c.expect) {
      EXPECT_NE(msg.find(e), std::string::npos) << "want '" << e << "' in: " << msg;
    }
  }
}

TEST(LinksFile, PasswordsNeverInMessages) {
  for (const std::string text : {
           "- {link_id: a, master: {host: h, port: 1}, auth: {username: 'bad user', "
           "password: Sekrit-123}}",
           "- {link_id: a, master: {host: h, port: 1}, auth: {password: Sekrit-123, "
           "password_env: REDIS_PW}}",
       }) {
    auto r = Parse(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(std::string(r.status().message()).find("Sekrit"), std::string::npos) << r.status();
  }
}

TEST(LinksFile, LoadNamesTheFlag) {
  auto r = LoadLinksFile("/no/such/links.yaml", FakeEnv());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("--links_file=/no/such/links.yaml: cannot read"),
            std::string::npos)
      << r.status();
}

LinkRecord Rec(const std::string& id, bool declared, int port = 1) {
  LinkRecord r;
  r.spec.id = id;
  r.spec.host = "h";
  r.spec.port = port;
  r.spec.declared = declared;
  r.spec.create_time = absl::FromUnixSeconds(1000);
  return r;
}

TEST(Reconcile, CreatesUpdatesDeletesAndLeavesApiLinksAlone) {
  std::vector<LinkRecord> stored = {Rec("api", false), Rec("api-named", false),
                                    Rec("decl-same", true), Rec("decl-changed", true),
                                    Rec("decl-gone", true)};
  stored[3].spec.paused = true;
  std::vector<LinkRecord> declared = {Rec("decl-same", true), Rec("decl-changed", true, 2),
                                      Rec("api-named", true, 3), Rec("new", true, 4)};
  declared[1].spec.password = "new-pw";
  absl::Time now = absl::FromUnixSeconds(2000);
  Reconciliation r = Reconcile(stored, &declared, now);
  EXPECT_EQ(r.created, std::vector<std::string>({"new"}));
  EXPECT_EQ(r.updated, std::vector<std::string>({"decl-changed", "api-named"}));
  EXPECT_EQ(r.deleted, std::vector<std::string>({"decl-gone"}));
  std::map<std::string, engine::LinkSpec> by_id;
  for (const auto& rec : r.records) by_id[rec.spec.id] = rec.spec;
  ASSERT_EQ(by_id.size(), 5u);
  EXPECT_TRUE(by_id.count("api"));
  EXPECT_EQ(by_id["api-named"].port, 3);
  EXPECT_FALSE(by_id["api-named"].declared) << "still an API link: never deleted by the file";
  EXPECT_EQ(by_id["decl-changed"].port, 2);
  EXPECT_EQ(by_id["decl-changed"].password, "new-pw");
  EXPECT_TRUE(by_id["decl-changed"].paused) << "the pause state is the operator's";
  EXPECT_EQ(by_id["decl-changed"].create_time, absl::FromUnixSeconds(1000));
  EXPECT_TRUE(by_id["new"].declared);
  EXPECT_EQ(by_id["new"].create_time, now);
  // Sorted by id.
  for (size_t i = 1; i < r.records.size(); ++i) {
    EXPECT_LT(r.records[i - 1].spec.id, r.records[i].spec.id);
  }
}

TEST(Reconcile, NoLinksFileKeepsDeclaredLinks) {
  Reconciliation r = Reconcile({Rec("api", false), Rec("decl", true)}, nullptr, absl::Now());
  EXPECT_EQ(r.records.size(), 2u);
  EXPECT_TRUE(r.deleted.empty());
  EXPECT_EQ(r.kept_declared, std::vector<std::string>({"decl"}));
}

TEST(Reconcile, EmptyLinksFileDeletesEveryDeclaredLink) {
  std::vector<LinkRecord> none;
  Reconciliation r = Reconcile({Rec("api", false), Rec("decl", true)}, &none, absl::Now());
  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].spec.id, "api");
  EXPECT_EQ(r.deleted, std::vector<std::string>({"decl"}));
}

}  // namespace
}  // namespace redlink::service
