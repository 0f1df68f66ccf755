// Request validation: what is accepted, and that every refusal says what is wrong and what would
// be right.

#include "service/validation.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/common/strings.h"

namespace redlink::service {
namespace {

TEST(Validation, LinkIds) {
  for (const std::string& ok :
       std::vector<std::string>{"a", "0", "cache-a", "a-b-c", "x1", std::string(63, 'a')}) {
    EXPECT_TRUE(ValidateLinkId(ok).ok()) << ok;
  }
  struct Case {
    std::string id;
    std::string expect;
  } bad[] = {
      {"", "link_id is required"},
      {"Cache_A", "link_id must match [a-z0-9-]{1,63}"},
      {"-a", "start and end with a letter or digit"},
      {"a-", "start and end with a letter or digit"},
      {std::string(64, 'a'), "(64 characters)"},
      {"a.b", "got 'a.b'"},
      {"a b", "got 'a b'"},
      {"a\nb", "got 'a\\x0ab'"},
  };
  for (const auto& c : bad) {
    absl::Status s = ValidateLinkId(c.id);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.id;
    EXPECT_NE(s.message().find(c.expect), std::string::npos) << s.message();
  }
  EXPECT_NE(ValidateLinkId("Cache_A").message().find("got 'Cache_A'"), std::string::npos);
}

TEST(Validation, Hosts) {
  auto master = [](const std::string& host, int port = 6379) {
    redlink::v1::Master m;
    m.set_host(host);
    m.set_port(port);
    return ValidateMaster(m);
  };
  for (const char* ok : {"10.0.0.5", "::1", "fe80::1%eth0", "redis", "redis-a.cache.svc",
                         "redis-a.cache.svc.cluster.local.", "_srv.example", "Redis-A.Example"}) {
    EXPECT_TRUE(master(ok).ok()) << ok << ": " << master(ok);
  }
  for (const char* bad : {"", "bad host", "-lead.example", "trail-.example", "a..b", ".", "[::1]",
                          "1:2:3", "host:6379", "a/b", "\xc3\xa9.example"}) {
    absl::Status s = master(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("master.host"), std::string::npos) << s.message();
  }
  EXPECT_NE(master(std::string(254, 'a')).message().find("longer than 253"), std::string::npos);
  EXPECT_NE(master(std::string(64, 'a')).message().find("master.host must be"), std::string::npos)
      << "a label is at most 63 characters";
  for (int port : {0, -1, 65536}) {
    EXPECT_NE(master("h", port).message().find(StrCat("master.port must be 1..65535: got ", port)),
              std::string::npos);
  }
}

TEST(Validation, AuthAndOptions) {
  redlink::v1::Auth a;
  EXPECT_TRUE(ValidateAuth(a).ok()) << "no credentials";
  a.set_password("pw");
  EXPECT_TRUE(ValidateAuth(a).ok());
  a.set_username("repl");
  EXPECT_TRUE(ValidateAuth(a).ok());
  a.set_username("has space");
  EXPECT_FALSE(ValidateAuth(a).ok());
  a.set_username("u");
  a.set_password(std::string(4097, 'x'));
  EXPECT_NE(ValidateAuth(a).message().find("longer than 4096"), std::string::npos);
  a.set_password("");
  EXPECT_NE(ValidateAuth(a).message().find("auth.username needs auth.password"), std::string::npos);

  redlink::v1::LinkOptions o;
  EXPECT_TRUE(ValidateOptions(o).ok());
  o.set_repl_timeout_seconds(-1);
  EXPECT_NE(ValidateOptions(o).message().find("options.repl_timeout_seconds"), std::string::npos);
  o.set_repl_timeout_seconds(0);
  o.set_connect_timeout_seconds(86401);
  EXPECT_NE(ValidateOptions(o).message().find("options.connect_timeout_seconds"),
            std::string::npos);
  o.set_connect_timeout_seconds(0);
  o.set_unsupported_commands(static_cast<redlink::v1::UnsupportedCommandPolicy>(9));
  EXPECT_NE(ValidateOptions(o).message().find("FAIL or SKIP"), std::string::npos);
  EXPECT_FALSE(ValidateState(42).ok());
  EXPECT_TRUE(ValidateState(redlink::v1::LINK_STATE_PAUSED).ok());
}

}  // namespace
}  // namespace redlink::service
