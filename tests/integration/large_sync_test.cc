// A full sync of 1,000,000 keys of every type from a real redis-server 7.0, disk-based and
// diskless: the link ends with the master's dataset, a sample of keys of every type reads the
// same from both servers, and DUMP of our copy RESTOREs into a fresh redis-server to the same
// value.

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "absl/strings/str_cat.h"
#include "engine/protocol/resp_parser.h"
#include "tests/testing/datasets.h"
#include "tests/testing/redlinkd_process.h"

namespace redlink::testing {
namespace {

using redlink::v1::Link;

void StrAppend(std::string* out, std::string_view a, std::string_view b) {
  out->append(a);
  out->append(b);
}

std::string Flat(RespClient& c, const std::vector<std::string>& cmd, bool sort_elements) {
  std::string raw = c.CommandRaw(cmd, std::chrono::seconds(30));
  if (!sort_elements) return raw;
  // Order-insensitive comparison (hash-table order differs between implementations).
  engine::RespParser parser;
  engine::RespValue v;
  size_t n;
  if (parser.ParseReply(raw, &v, &n) != engine::ParseResult::kOk) return raw;
  std::vector<std::string> items;
  for (size_t i = 0; i < v.elements.size(); i += (cmd[0] == "HGETALL" ? 2 : 1)) {
    std::string item(v.elements[i].str);
    if (cmd[0] == "HGETALL") StrAppend(&item, "=", v.elements[i + 1].str);
    items.push_back(item);
  }
  std::sort(items.begin(), items.end());
  std::string out;
  for (auto& s : items) out += s + "\n";
  return out;
}

void CompareSample(RedisServer& master, RedlinkdProcess& redlink, const std::string& link_id) {
  RespClient real = master.Client();
  RespClient ours = redlink.ReadClient(link_id);
  std::mt19937 rng(42);
  struct Kind {
    const char* prefix;
    int count;
    std::vector<std::vector<std::string>> reads;  // {cmd, ...} with "$" for the key
    bool unordered;
  };
  std::vector<Kind> kinds = {
      {"str:", 350000, {{"GET", "$"}, {"STRLEN", "$"}, {"GETRANGE", "$", "2", "9"}}, false},
      {"hash:", 150000, {{"HGETALL", "$"}, {"HLEN", "$"}, {"HGET", "$", "f3"}}, true},
      {"list:", 150000, {{"LRANGE", "$", "0", "-1"}, {"LLEN", "$"}, {"LINDEX", "$", "3"}}, false},
      {"set:", 150000, {{"SMEMBERS", "$"}, {"SCARD", "$"}, {"SISMEMBER", "$", "m2"}}, true},
      {"zset:",
       100000,
       {{"ZRANGE", "$", "0", "-1", "WITHSCORES"}, {"ZCARD", "$"}, {"ZSCORE", "$", "m3"}},
       false},
      {"stream:",
       50000,
       {{"XRANGE", "$", "-", "+"}, {"XLEN", "$"}, {"XINFO", "GROUPS", "$"}},
       false},
  };
  int compared = 0;
  for (const Kind& k : kinds) {
    for (int s = 0; s < 300; ++s) {
      int i = 1 + static_cast<int>(rng() % k.count);
      if (s % 50 == 0) i = (1 + static_cast<int>(rng() % (k.count / 100))) * 100;  // big ones
      std::string key = absl::StrCat(k.prefix, i);
      for (const std::vector<std::string>& base :
           std::vector<std::vector<std::string>>{{"TYPE", "$"}, {"PTTL", "$"}}) {
        std::vector<std::string> cmd = base;
        cmd[1] = key;
        std::string want = real.CommandRaw(cmd), got = ours.CommandRaw(cmd);
        if (cmd[0] == "PTTL") {
          // Both count down from the same absolute time; allow a second of skew.
          int64_t a = std::stoll(want.substr(1)), b = std::stoll(got.substr(1));
          EXPECT_LE(std::abs(a - b), 1000) << key;
        } else {
          EXPECT_EQ(Describe(got), Describe(want)) << key;
        }
      }
      for (auto cmd : k.reads) {
        for (auto& a : cmd) {
          if (a == "$") a = key;
        }
        bool unordered = k.unordered && (cmd[0] == "HGETALL" || cmd[0] == "SMEMBERS");
        EXPECT_EQ(Describe(Flat(ours, cmd, unordered)), Describe(Flat(real, cmd, unordered)))
            << cmd[0] << " " << key;
        ++compared;
      }
    }
  }
  EXPECT_GT(compared, 5000);
}

class LargeSyncTest : public ::testing::TestWithParam<bool> {};

TEST_P(LargeSyncTest, MillionKeysOfEveryType) {
  bool diskless = GetParam();
  RedisServer master({"--repl-diskless-sync", diskless ? "yes" : "no", "--repl-diskless-sync-delay",
                      "0", "--lua-time-limit", "0"});
  ASSERT_TRUE(master.ok());
  ASSERT_EQ(PopulateMixedDataset(master), "");
  ASSERT_EQ(master.Cmd({"DBSIZE"}), "1000000");
  RedlinkdProcess redlink;
  ASSERT_TRUE(redlink.ok());
  ASSERT_TRUE(redlink.CreateLink("big", master.port()).ok());
  Link link;
  ASSERT_TRUE(redlink.WaitState("big", v1::LINK_STATE_STREAMING, std::chrono::seconds(180), &link))
      << link.DebugString();
  EXPECT_EQ(link.full_syncs(), 1u);
  ASSERT_EQ(link.keys_size(), 1);
  EXPECT_EQ(link.keys(0).keys(), 1000000u);
  // A tenth of every kind carries a TTL (int:<i> keys do not): 95,000, as the master counts.
  EXPECT_EQ(link.keys(0).expires(), 95000u);
  EXPECT_NE(master.InfoField("keyspace", "db0").find("expires=95000,"), std::string::npos)
      << master.InfoField("keyspace", "db0");
  RespClient ours = redlink.ReadClient("big");
  EXPECT_EQ(ours.Command({"DBSIZE"}), "1000000");
  CompareSample(master, redlink, "big");

  // DUMP from redlink, RESTORE into a fresh real server, compare with the master.
  RedisServer fresh;
  ASSERT_TRUE(fresh.ok());
  RespClient target = fresh.Client();
  RespClient real = master.Client();
  int restored = 0;
  for (const char* key :
       {"str:12345", "int:700", "hash:4242", "hash:4200", "list:777", "list:7700", "set:333",
        "set:3300", "set:3301", "zset:55", "zset:5500", "stream:2040", "stream:2041"}) {
    std::string dump = ours.CommandRaw({"DUMP", key});
    ASSERT_EQ(dump[0], '$') << key;
    engine::RespParser parser;
    engine::RespValue v;
    size_t n;
    ASSERT_EQ(parser.ParseReply(dump, &v, &n), engine::ParseResult::kOk);
    ASSERT_EQ(target.CommandRaw({"RESTORE", key, "0", std::string(v.str)}), "+OK\r\n") << key;
    ++restored;
    std::string type = real.Command({"TYPE", key});
    std::vector<std::string> read =
        type == "string" ? std::vector<std::string>{"GET", key}
        : type == "hash" ? std::vector<std::string>{"HGETALL", key}
        : type == "list" ? std::vector<std::string>{"LRANGE", key, "0", "-1"}
        : type == "set"  ? std::vector<std::string>{"SMEMBERS", key}
        : type == "zset" ? std::vector<std::string>{"ZRANGE", key, "0", "-1", "WITHSCORES"}
                         : std::vector<std::string>{"XRANGE", key, "-", "+"};
    bool unordered = type == "hash" || type == "set";
    EXPECT_EQ(Describe(Flat(target, read, unordered)), Describe(Flat(real, read, unordered)))
        << key;
    if (type == "stream") {
      EXPECT_EQ(Describe(target.CommandRaw({"XINFO", "GROUPS", key})),
                Describe(real.CommandRaw({"XINFO", "GROUPS", key})))
          << key;
    }
  }
  EXPECT_EQ(restored, 13);
}

INSTANTIATE_TEST_SUITE_P(DiskAndDiskless, LargeSyncTest, ::testing::Values(false, true),
                         [](const auto& p) { return p.param ? "Diskless" : "Disk"; });

}  // namespace
}  // namespace redlink::testing
