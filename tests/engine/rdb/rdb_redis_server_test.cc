// Decodes RDB files written by the real redis-server (the Debian 7.0 binary) at test time: 20,000
// keys of every type in every encoding the server picks (two configurations: defaults, and every
// collection in its large encoding), with TTLs, binary data, LZF-compressible values, streams with
// deletions, consumer groups, pending entries and consumers, and a function library. The decoded
// model must equal what the server itself reports through its commands.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/protocol/resp_parser.h"
#include "engine/protocol/resp_writer.h"
#include "engine/rdb/rdb_decoder.h"
#include "tests/engine/rdb/model_sink.h"
#include "tests/testing/test_util.h"

namespace redlink::engine::rdb {
namespace {

using nlohmann::json;
using testing::Canon;
using Cmd = std::vector<std::string>;

// A parsed reply that owns its bytes.
struct Reply {
  RespType type = RespType::kNull;
  std::string str;
  int64_t integer = 0;
  std::vector<Reply> elements;

  const Reply& Field(std::string_view name) const {  // a map-like array: name, value, ...
    static const Reply kNil;
    for (size_t i = 0; i + 1 < elements.size(); i += 2) {
      if (elements[i].str == name) return elements[i + 1];
    }
    return kNil;
  }
};

Reply Own(const RespValue& v) {
  Reply r;
  r.type = v.type;
  r.str = std::string(v.str);
  r.integer = v.integer;
  for (const auto& e : v.elements) r.elements.push_back(Own(e));
  return r;
}

class Server {
 public:
  explicit Server(std::vector<std::string> args) : server_(std::move(args)) {
    if (server_.ok()) client_.Connect("127.0.0.1", server_.port());
  }
  bool ok() { return server_.ok() && client_.connected(); }
  const std::string& dir() const { return server_.dir(); }

  // Sends the commands pipelined (in batches) and returns every reply.
  std::vector<Reply> Run(const std::vector<Cmd>& cmds) {
    std::vector<Reply> out;
    RespLimits limits;
    limits.max_bulk_len = uint64_t{1} << 40;
    constexpr size_t kBatch = 256;
    for (size_t start = 0; start < cmds.size(); start += kBatch) {
      size_t end = std::min(cmds.size(), start + kBatch);
      std::string wire;
      for (size_t i = start; i < end; ++i) {
        std::vector<std::string_view> views(cmds[i].begin(), cmds[i].end());
        AppendCommand(&wire, std::span<const std::string_view>(views));
      }
      EXPECT_TRUE(client_.SendRaw(wire));
      for (size_t i = start; i < end; ++i) {
        std::string raw = client_.ReadReplyRaw(std::chrono::seconds(60));
        RespParser parser(limits);
        RespValue v;
        size_t consumed;
        if (raw.empty() || parser.ParseReply(raw, &v, &consumed) != ParseResult::kOk) {
          ADD_FAILURE() << "no reply to " << cmds[i][0];
          out.emplace_back();
          continue;
        }
        if (v.IsError()) ADD_FAILURE() << cmds[i][0] << " " << cmds[i][1] << ": " << v.str;
        out.push_back(Own(v));
      }
    }
    return out;
  }
  Reply One(const Cmd& cmd) { return Run({cmd})[0]; }

 private:
  redlink::testing::RedisServer server_;
  redlink::testing::RespClient client_;
};

std::string RandomBytes(std::mt19937* rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>((*rng)() & 0xff);
  return s;
}

// 20,000 keys of every type (see the file comment).
std::vector<Cmd> FillCommands(uint64_t now_ms) {
  std::mt19937 rng(42);
  std::vector<Cmd> cmds;
  auto ttl = [&](const std::string& key, int i) {
    if (i % 4 == 0) {
      cmds.push_back({"PEXPIREAT", key, std::to_string(now_ms + 3600000 + i)});
    }
  };
  for (int i = 0; i < 6000; ++i) {
    std::string key = "str:" + std::to_string(i);
    std::string value;
    switch (i % 6) {
      case 0:
        value = std::to_string(static_cast<int64_t>(rng()) - (1LL << 31));
        break;
      case 1:
        value = std::to_string(static_cast<int64_t>(rng()) * 1000003);
        break;
      case 2:
        value = "small value " + std::to_string(i);
        break;
      case 3:
        value = std::string(100 + i % 300, 'a' + i % 26);
        break;  // LZF
      case 4:
        value = RandomBytes(&rng, 20 + i % 2000);
        break;
      case 5:
        value = "";
        break;
    }
    cmds.push_back({"SET", key, value});
    ttl(key, i);
  }
  cmds.push_back({"SET", std::string("bin\0key\xff", 8), "binary key"});
  for (int i = 0; i < 3000; ++i) {
    std::string key = "list:" + std::to_string(i);
    int n = i % 30 == 0 ? 500 + i % 1500 : 1 + i % 20;
    Cmd c = {"RPUSH", key};
    for (int j = 0; j < n; ++j) {
      if (j % 7 == 3) {
        c.push_back(std::to_string(static_cast<int64_t>(rng()) - 5000));
      } else if (i % 30 == 0 && j % 50 == 1) {
        c.push_back(RandomBytes(&rng, 100 + rng() % 10000));
      } else {
        c.push_back("e" + std::to_string(j));
      }
    }
    cmds.push_back(c);
    ttl(key, i);
  }
  cmds.push_back({"RPUSH", "list:huge-element", std::string(70000, 'h'), "x"});
  for (int i = 0; i < 2999; ++i) {
    std::string key = "set:" + std::to_string(i);
    int n = i % 30 == 0 ? 300 + i % 700 : 1 + i % 15;
    Cmd c = {"SADD", key};
    for (int j = 0; j < n; ++j) {
      c.push_back(i % 3 == 0 ? std::to_string(j * 7 - 100) : "m" + std::to_string(j * 13 % 1000));
    }
    cmds.push_back(c);
    ttl(key, i);
  }
  for (int i = 0; i < 3000; ++i) {
    std::string key = "zset:" + std::to_string(i);
    int n = i % 30 == 0 ? 200 + i % 300 : 1 + i % 12;
    Cmd c = {"ZADD", key};
    for (int j = 0; j < n; ++j) {
      double score;
      switch (j % 5) {
        case 0:
          score = j;
          break;
        case 1:
          score = (static_cast<double>(rng()) - 2e9) / 7.0;
          break;
        case 2:
          score = 1.5e300 * (j % 2 ? 1 : -1);
          break;
        default:
          score = j * 0.25;
          break;
      }
      char buf[64];
      std::snprintf(buf, sizeof(buf), "%.17g", score);
      c.push_back(buf);
      c.push_back("z" + std::to_string(j));
    }
    if (i % 50 == 1) {
      c.insert(c.end(), {"inf", "pinf", "-inf", "ninf"});
    }
    cmds.push_back(c);
    ttl(key, i);
  }
  for (int i = 0; i < 4000; ++i) {
    std::string key = "hash:" + std::to_string(i);
    int n = i % 40 == 0 ? 300 + i % 500 : 1 + i % 20;
    Cmd c = {"HSET", key};
    for (int j = 0; j < n; ++j) {
      c.push_back("f" + std::to_string(j));
      c.push_back(j % 3 == 0   ? std::to_string(j * 1000)
                  : j % 3 == 1 ? RandomBytes(&rng, 1 + rng() % 40)
                               : std::string(80, 'v'));
    }
    cmds.push_back(c);
    ttl(key, i);
  }
  for (int i = 0; i < 1000; ++i) {
    std::string key = "stream:" + std::to_string(i);
    int n = 5 + i % 60;
    for (int j = 0; j < n; ++j) {
      Cmd c = {"XADD", key, std::to_string(1000 + j / 3) + "-" + std::to_string(j % 3)};
      if (j % 9 == 4) {
        c.insert(c.end(), {"other", std::to_string(j), "x", RandomBytes(&rng, 5)});
      } else {
        c.insert(c.end(), {"a", std::to_string(j), "b", "v" + std::to_string(j)});
      }
      cmds.push_back(c);
    }
    if (i % 4 == 0) cmds.push_back({"XDEL", key, "1000-1", "1001-2"});
    if (i % 3 == 0) {
      cmds.push_back({"XGROUP", "CREATE", key, "g1", "0"});
      cmds.push_back({"XGROUP", "CREATE", key, "g2", "$"});
      cmds.push_back({"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", key, ">"});
      cmds.push_back({"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", key, ">"});
      cmds.push_back({"XGROUP", "CREATECONSUMER", key, "g1", "carol"});
      cmds.push_back({"XACK", key, "g1", "1000-0"});
    }
    if (i % 10 == 0) cmds.push_back({"XTRIM", key, "MAXLEN", "3"});
    ttl(key, i);
  }
  cmds.push_back({"XADD", "stream:emptied", "5-5", "f", "v"});
  cmds.push_back({"XDEL", "stream:emptied", "5-5"});
  cmds.push_back({"FUNCTION", "LOAD",
                  "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) "
                  "return 1 end)"});
  return cmds;
}

// What the server reports, in the canonical model form.
json ServerModel(Server* s) {
  Reply keys = s->One({"KEYS", "*"});
  std::vector<Cmd> type_cmds, ttl_cmds;
  for (const auto& k : keys.elements) {
    type_cmds.push_back({"TYPE", k.str});
    ttl_cmds.push_back({"PEXPIRETIME", k.str});
  }
  auto types = s->Run(type_cmds);
  auto ttls = s->Run(ttl_cmds);
  json db = json::object();
  std::vector<Cmd> reads;
  for (size_t i = 0; i < keys.elements.size(); ++i) {
    const std::string& k = keys.elements[i].str;
    const std::string& t = types[i].str;
    if (t == "string") reads.push_back({"GET", k});
    if (t == "list") reads.push_back({"LRANGE", k, "0", "-1"});
    if (t == "set") reads.push_back({"SMEMBERS", k});
    if (t == "zset") reads.push_back({"ZRANGE", k, "0", "-1", "WITHSCORES"});
    if (t == "hash") reads.push_back({"HGETALL", k});
    if (t == "stream") reads.push_back({"XRANGE", k, "-", "+"});
  }
  auto values = s->Run(reads);
  for (size_t i = 0; i < keys.elements.size(); ++i) {
    const std::string& k = keys.elements[i].str;
    const std::string& t = types[i].str;
    const Reply& v = values[i];
    json e;
    e["type"] = t;
    if (ttls[i].integer >= 0) e["expire_ms"] = ttls[i].integer;
    if (t == "string") {
      e["value"] = Canon(v.str);
    } else if (t == "list") {
      e["value"] = json::array();
      for (const auto& x : v.elements) e["value"].push_back(Canon(x.str));
    } else if (t == "set") {
      std::vector<std::string> m;
      for (const auto& x : v.elements) m.push_back(x.str);
      e["value"] = testing::SetJson(std::move(m));
    } else if (t == "zset") {
      std::vector<testing::ZsetItem> items;
      for (size_t j = 0; j + 1 < v.elements.size(); j += 2) {
        items.push_back({v.elements[j].str, std::strtod(v.elements[j + 1].str.c_str(), nullptr)});
      }
      e["value"] = testing::ZsetJson(std::move(items));
    } else if (t == "hash") {
      e["value"] = json::object();
      for (size_t j = 0; j + 1 < v.elements.size(); j += 2) {
        e["value"][Canon(v.elements[j].str)] = Canon(v.elements[j + 1].str);
      }
    } else if (t == "stream") {
      json st;
      st["entries"] = json::array();
      for (const auto& en : v.elements) {
        json fv = json::array();
        for (const auto& x : en.elements[1].elements) fv.push_back(Canon(x.str));
        st["entries"].push_back(json::array({en.elements[0].str, fv}));
      }
      Reply info = s->One({"XINFO", "STREAM", k});
      st["length"] = info.Field("length").integer;
      st["last_generated_id"] = info.Field("last-generated-id").str;
      st["max_deleted_entry_id"] = info.Field("max-deleted-entry-id").str;
      st["entries_added"] = info.Field("entries-added").integer;
      st["groups"] = json::array();
      Reply groups = s->One({"XINFO", "GROUPS", k});
      for (const auto& g : groups.elements) {
        std::string gname = g.Field("name").str;
        json og;
        og["name"] = Canon(gname);
        og["last_delivered_id"] = g.Field("last-delivered-id").str;
        const Reply& er = g.Field("entries-read");
        og["entries_read"] = er.type == RespType::kNull ? json(nullptr) : json(er.integer);
        og["pending"] = json::array();
        std::map<std::string, json> owned;
        Reply pend = s->One({"XPENDING", k, gname, "-", "+", "1000000"});
        for (const auto& p : pend.elements) {
          og["pending"].push_back(
              json::array({p.elements[0].str, Canon(p.elements[1].str), p.elements[3].integer}));
          owned[p.elements[1].str].push_back(p.elements[0].str);
        }
        og["consumers"] = json::array();
        Reply cons = s->One({"XINFO", "CONSUMERS", k, gname});
        for (const auto& c : cons.elements) {
          std::string cname = c.Field("name").str;
          json ids = owned.count(cname) ? owned[cname] : json::array();
          og["consumers"].push_back(json{{"name", Canon(cname)}, {"pending", ids}});
        }
        st["groups"].push_back(og);
      }
      e["value"] = st;
    }
    db[Canon(k)] = e;
  }
  return db;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void CheckServerRdb(const std::vector<std::string>& args) {
  ASSERT_EQ(access("/usr/bin/redis-server", X_OK), 0) << "redis-server is not installed";
  Server s(args);
  ASSERT_TRUE(s.ok());
  uint64_t now_ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count());
  s.Run(FillCommands(now_ms));
  Reply dbsize = s.One({"DBSIZE"});
  EXPECT_GE(dbsize.integer, 20000);
  json expected = ServerModel(&s);
  ASSERT_EQ(static_cast<int64_t>(expected.size()), dbsize.integer);
  ASSERT_EQ(s.One({"SAVE"}).str, "OK");
  std::string rdb = ReadFile(s.dir() + "/dump.rdb");
  ASSERT_GT(rdb.size(), 1000000u);

  // RDB 10 from Redis 7.0 (Debian's), 11 from 7.2, 12 from 7.4 (REDLINK_REDIS_SERVER).
  std::string info = s.One({"INFO", "server"}).str;
  size_t at = info.find("redis_version:");
  ASSERT_NE(at, std::string::npos);
  std::string server_version = info.substr(at + 14, info.find('\r', at) - at - 14);
  int want_rdb_version = server_version.rfind("7.0.", 0) == 0   ? 10
                         : server_version.rfind("7.2.", 0) == 0 ? 11
                                                                : 12;
  std::mt19937 rng(9);
  for (int pass = 0; pass < 3; ++pass) {
    bool raw = pass == 1;
    testing::ModelSink sink(raw);
    RdbDecoder dec(&sink);
    size_t pos = 0;
    while (pos < rdb.size()) {
      size_t n = pass == 2 ? 1 + rng() % 64 : std::min<size_t>(rdb.size() - pos, 1 + rng() % 70000);
      n = std::min(n, rdb.size() - pos);
      auto r = dec.Feed(std::string_view(rdb).substr(pos, n));
      ASSERT_TRUE(r.ok()) << r.status();
      pos += n;
    }
    ASSERT_TRUE(dec.Finish().ok());
    const json& model = sink.model();
    EXPECT_EQ(model["rdb_version"], want_rdb_version) << server_version;
    ASSERT_EQ(model["functions"].size(), 1u);
    EXPECT_EQ(model["functions"][0]["library"], "mylib");
    json got = model["dbs"]["0"];
    for (auto& [k, e] : got.items()) {
      if (e["type"] == "stream") e["value"].erase("first_id");
    }
    if (got != expected) {
      std::string d = json::diff(expected, got).dump();
      if (d.size() > 3000) d = d.substr(0, 3000) + "...";
      FAIL() << "pass " << pass << ": decoded RDB differs from the server: " << d;
    }
  }
}

TEST(RdbRedisServer, DefaultEncodings) { CheckServerRdb({}); }

TEST(RdbRedisServer, LargeEncodingsNoCompression) {
  CheckServerRdb({"--hash-max-listpack-entries", "0", "--zset-max-listpack-entries", "0",
                  "--set-max-intset-entries", "0", "--list-max-listpack-size", "1",
                  "--rdbcompression", "no"});
}

TEST(RdbRedisServer, CompressedQuicklistNodes) {
  // list-compress-depth makes the server keep (and write) inner quicklist nodes LZF-compressed.
  CheckServerRdb({"--list-compress-depth", "1", "--list-max-listpack-size", "4"});
}

}  // namespace
}  // namespace redlink::engine::rdb
