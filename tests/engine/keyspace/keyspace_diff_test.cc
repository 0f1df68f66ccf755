// Differential tests against a real redis-server 7.0 (/usr/bin/redis-server): data is generated
// in the server, saved (SAVE -> dump.rdb) and loaded into a Keyspace through the RDB decoder;
// then the same read commands (generated: every command and option of the read set, plus
// arity/type/syntax/number errors) go to both, in RESP2 and in RESP3 (HELLO 3), and the raw
// reply bytes are compared.
//
// Where Redis's own reply order is not deterministic (hash-table sets and hashes, KEYS, SCAN
// cursors, random sampling) the comparison is order-insensitive or shape-only; time-dependent
// integers (TTL, idle times) compare with a tolerance. Everything else is byte for byte.
//
// DumpRestore: every key is DUMPed from the Keyspace (RDB version 10 payloads), RESTOREd into a
// second, empty redis-server, and read back there with the same commands as the original.

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <set>

#include "engine/common/strings.h"
#include "tests/engine/keyspace/ks_test_util.h"
#include "tests/testing/test_util.h"

namespace redlink::engine::kstest {
namespace {

using redlink::testing::Describe;
using redlink::testing::RedisServer;
using redlink::testing::RespClient;
using Args = std::vector<std::string>;

enum class Mode {
  kExact,      // raw bytes equal
  kUnordered,  // same reply type and length; top-level elements equal as multisets
  kPairs,      // like kUnordered for flat field/value (or member/score) pair lists and maps
  kApprox,     // same shape; strings equal, integers within 1500 (ms) / 2 (s)
  kShape,      // same type, same top-level length (random sampling)
};

std::string Sort(const RespValue& v) {
  std::vector<std::string> parts;
  for (const RespValue& e : v.elements)
    parts.push_back(
        StrCat(static_cast<int>(e.type), ":", e.str, ":", e.integer, ":", e.elements.size()));
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (auto& p : parts) out += p + "|";
  return out;
}

std::string SortPairs(const RespValue& v) {
  std::vector<std::string> parts;
  const auto& el = v.elements;
  for (size_t i = 0; i + 1 < el.size(); i += 2) {
    parts.push_back(StrCat(el[i].str, "\x01", el[i + 1].str, el[i + 1].integer));
  }
  // RESP3 nested [field, value] pairs.
  if (!el.empty() && el[0].type == RespType::kArray && el[0].elements.size() == 2) {
    parts.clear();
    for (const RespValue& p : el) {
      parts.push_back(StrCat(p.elements[0].str, "\x01", p.elements[1].str, p.elements[1].dbl));
    }
  }
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (auto& p : parts) out += p + "|";
  return out;
}

bool Approx(const RespValue& a, const RespValue& b, int64_t tol) {
  if (a.type != b.type) return false;
  if (a.type == RespType::kInteger) return std::llabs(a.integer - b.integer) <= tol;
  if (a.str != b.str) return false;
  if (a.elements.size() != b.elements.size()) return false;
  for (size_t i = 0; i < a.elements.size(); ++i) {
    if (!Approx(a.elements[i], b.elements[i], tol)) return false;
  }
  return true;
}

class Diff {
 public:
  explicit Diff(std::vector<std::string> extra = {}) : server_(std::move(extra)) {}

  bool Start() {
    if (!server_.ok()) return false;
    c2_ = std::make_unique<RespClient>(server_.Client());
    c3_ = std::make_unique<RespClient>(server_.Client());
    std::string hello = c3_->CommandRaw({"HELLO", "3"});
    return !hello.empty() && hello[0] == '%';
  }

  std::string Server(const Args& args) { return c2_->CommandRaw(args); }

  // Saves the server's dataset and loads it into the keyspace.
  bool Load() {
    if (Server({"SAVE"}) != "+OK\r\n") return false;
    std::string rdb = ReadFile(server_.dir() + "/dump.rdb");
    absl::Status s = LoadRdb(rdb, &ks_);
    EXPECT_TRUE(s.ok()) << s;
    return s.ok();
  }

  void Select(int db) {
    if (db == db_) return;
    std::string d = std::to_string(db);
    c2_->CommandRaw({"SELECT", d});
    c3_->CommandRaw({"SELECT", d});
    db_ = db;
  }

  // Compares one command in RESP2 and RESP3.
  void Check(const Args& args, Mode mode = Mode::kExact) {
    for (int proto : {2, 3}) {
      RespClient* client = proto == 2 ? c2_.get() : c3_.get();
      std::string want = client->CommandRaw(args);
      CommandContext ctx;
      ctx.db = db_;
      ctx.protocol = proto;
      ctx.now_ms = NowMs();
      ctx.rdb_version = 10;
      bool unknown = false;
      std::string got = Exec(ks_, ctx, args, &unknown);
      ++compared_;
      std::string what = StrCat("RESP", proto, " ", Describe(absl_join(args)));
      if (unknown) {
        ADD_FAILURE() << what << ": kUnknown; redis said " << Describe(want);
        continue;
      }
      bool ok = Compare(mode, want, got);
      if (ok && mode == Mode::kExact) ++exact_;
      EXPECT_TRUE(ok) << what << "\n redis: " << Describe(want).substr(0, 2000)
                      << "\n mine:  " << Describe(got).substr(0, 2000);
      if (!ok) ++failed_;
    }
  }

  static std::string absl_join(const Args& args) {
    std::string s;
    for (const auto& a : args) s += (s.empty() ? "" : " ") + a;
    return s.substr(0, 300);
  }

  static bool Compare(Mode mode, const std::string& want, const std::string& got) {
    if (mode == Mode::kExact || want == got) return want == got;
    auto w = Parse(want);
    auto g = Parse(got);
    if (w->v.type != g->v.type) return false;
    switch (mode) {
      case Mode::kUnordered:
        return w->v.elements.size() == g->v.elements.size() && Sort(w->v) == Sort(g->v);
      case Mode::kPairs:
        return w->v.elements.size() == g->v.elements.size() && SortPairs(w->v) == SortPairs(g->v);
      case Mode::kApprox:
        return Approx(w->v, g->v, 1500);
      case Mode::kShape:
        return w->v.elements.size() == g->v.elements.size() && w->v.IsError() == g->v.IsError();
      default:
        return false;
    }
  }

  // Iterates a SCAN-family command to the end on both sides and compares the element sets.
  void CheckScan(Args prefix, size_t cursor_pos, bool pairs) {
    for (int proto : {2, 3}) {
      auto collect = [&](bool mine) {
        std::multiset<std::string> items;
        std::string cursor = "0";
        int rounds = 0;
        do {
          Args a = prefix;
          a[cursor_pos] = cursor;
          std::string raw;
          if (mine) {
            CommandContext ctx;
            ctx.db = db_;
            ctx.protocol = proto;
            ctx.now_ms = NowMs();
            raw = Exec(ks_, ctx, a);
          } else {
            raw = (proto == 2 ? c2_ : c3_)->CommandRaw(a);
          }
          auto r = Parse(raw);
          if (r->v.elements.size() != 2) {
            items.insert("ERROR " + raw);
            break;
          }
          cursor = Str(r->v.elements[0]);
          const auto& el = r->v.elements[1].elements;
          for (size_t i = 0; i < el.size(); i += pairs ? 2 : 1) {
            items.insert(pairs ? StrCat(el[i].str, "=", el[i + 1].str) : Str(el[i]));
          }
        } while (cursor != "0" && ++rounds < 100000);
        return items;
      };
      ++compared_;
      auto want = collect(false);
      auto got = collect(true);
      EXPECT_EQ(want, got) << "RESP" << proto << " " << absl_join(prefix);
    }
  }

  Keyspace& ks() { return ks_; }
  RedisServer& server() { return server_; }
  int compared() const { return compared_; }
  int exact() const { return exact_; }

 private:
  RedisServer server_;
  std::unique_ptr<RespClient> c2_, c3_;
  Keyspace ks_;
  int db_ = 0;
  int compared_ = 0;
  int exact_ = 0;
  int failed_ = 0;
};

// ---- Dataset ------------------------------------------------------------------------------------

std::string Rand(std::mt19937& rng, size_t n, bool binary = false) {
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    if (binary) {
      s.push_back(static_cast<char>(rng() & 0xff));
    } else {
      s.push_back(static_cast<char>('a' + rng() % 26));
    }
  }
  return s;
}

void Populate(Diff& d, std::mt19937& rng) {
  auto cmd = [&](Args a) {
    std::string r = d.Server(a);
    ASSERT_FALSE(r.empty()) << Diff::absl_join(a);
    ASSERT_NE(r[0], '-') << Diff::absl_join(a) << " -> " << r;
  };
  // Strings.
  cmd({"SET", "s:int", "12345"});
  cmd({"SET", "s:neg", "-42"});
  cmd({"SET", "s:max", "9223372036854775807"});
  cmd({"SET", "s:zero", "0"});
  cmd({"SET", "s:emb", "hello world"});
  cmd({"SET", "s:raw", Rand(rng, 100)});
  cmd({"SET", "s:bin", std::string("a\0b\r\n\xff\x80z", 8)});
  cmd({"SET", "s:empty", ""});
  cmd({"SET", "s:bits", std::string("\xf0\x0f\xaa\x55\x00\xff\x01\x80", 8)});
  cmd({"SET", "s:zeros", std::string(10, '\0')});
  cmd({"SET", "s:ones", std::string(10, '\xff')});
  cmd({"SET", "s:long", Rand(rng, 5000, true)});
  cmd({"SET", "s:lcs1", "ohmytext"});
  cmd({"SET", "s:lcs2", "mynewtext"});
  cmd({"SET", "s:lcs3", "ABCBDAB-BDCABA-AGGTAB"});
  cmd({"SET", "s:lcs4", "BDCABA-GXTXAYB-ABCBDAB"});
  cmd({"SET", "s:float", "3.5e1"});
  cmd({"SET", "s:ttl", "v", "EX", "100000"});
  cmd({"SET", "s:pttl", "v", "PX", "5000000"});
  cmd({"PFADD", "hll:sparse", "a", "b", "c", "d", "e", "f", "g"});
  {
    Args a = {"PFADD", "hll:dense"};
    for (int i = 0; i < 4000; ++i) a.push_back(StrCat("el", i));
    cmd(a);
    Args b = {"PFADD", "hll:mid"};
    for (int i = 0; i < 300; ++i) b.push_back(StrCat("x", i * 7));
    cmd(b);
  }
  cmd({"PFADD", "hll:empty"});
  // Sort helpers: weights and objects for SORT BY/GET.
  for (int i = 0; i < 12; ++i) {
    cmd({"SET", StrCat("w_", i), std::to_string((i * 37) % 11)});
    cmd({"SET", StrCat("o_", i), StrCat("obj", i)});
    cmd({"HSET", StrCat("hw_", i), "f", std::to_string((i * 5) % 7), "g", StrCat("G", i)});
  }
  // Lists.
  cmd({"RPUSH", "l:small", "1", "2", "3", "a", "b", "c", "2", "-7", "300", "b"});
  {
    Args a = {"RPUSH", "l:big"};
    for (int i = 0; i < 2500; ++i) {
      switch (i % 4) {
        case 0:
          a.push_back(std::to_string(i));
          break;
        case 1:
          a.push_back(Rand(rng, 1 + rng() % 30));
          break;
        case 2:
          a.push_back(i % 10 == 2 ? "dup" : Rand(rng, 5 + rng() % 80, true));
          break;
        default:
          a.push_back(std::to_string(static_cast<int64_t>(rng()) * 1000003));
      }
    }
    cmd(a);
    Args s = {"RPUSH", "l:sort"};
    for (int i = 0; i < 12; ++i) s.push_back(std::to_string((i * 7) % 12));
    cmd(s);
    Args w = {"RPUSH", "l:words"};
    for (const char* x : {"pear", "apple", "fig", "kiwi", "banana", "apple", "date"})
      w.push_back(x);
    cmd(w);
  }
  cmd({"RPUSH", "l:huge-el", std::string(10000, 'x'), "small", std::string(9000, 'y')});
  // Sets.
  cmd({"SADD", "st:int", "5", "-3", "100", "7", "0", "65536", "-70000", "12"});
  cmd({"SADD", "st:int2", "5", "7", "8", "100", "1"});
  cmd({"SADD", "st:str", "apple", "banana", "cherry", "1", "2", "zz"});
  cmd({"SADD", "st:str2", "banana", "cherry", "date", "2"});
  {
    Args a = {"SADD", "st:intbig"};
    for (int i = 0; i < 700; ++i) a.push_back(std::to_string(i * 3));
    cmd(a);
    Args b = {"SADD", "st:big"};
    for (int i = 0; i < 300; ++i) b.push_back(StrCat("member-", i, "-", Rand(rng, 5)));
    cmd(b);
  }
  // Sorted sets.
  cmd({"ZADD", "z:small", "1",   "a", "2",   "b",     "2",  "bb",  "3.5", "c",
       "-1",   "neg",     "1e3", "k", "0.1", "tenth", "10", "100", "7",   "-5"});
  cmd({"ZADD", "z:lex", "0", "a", "0", "b", "0",  "c", "0",  "d", "0",
       "e",    "0",     "f", "0", "g", "0", "aa", "0", "ab", "0", "zzz"});
  cmd({"ZADD", "z:inf", "inf", "pinf", "-inf", "ninf", "0", "zero", "1.5e300", "huge", "-0.25",
       "q"});
  cmd({"ZADD", "z:two", "5", "a", "6", "x", "7", "c", "1", "bb"});
  {
    Args a = {"ZADD", "z:big"};
    for (int i = 0; i < 400; ++i) {
      a.push_back(i % 5 == 0 ? std::to_string(i / 10) : StrCat(rng() % 100000, ".", rng() % 1000));
      a.push_back(StrCat("m", i));
    }
    cmd(a);
    Args l = {"ZADD", "z:biglex"};
    for (int i = 0; i < 200; ++i) {
      l.push_back("0");
      l.push_back(Rand(rng, 1 + rng() % 4));
    }
    cmd(l);
  }
  // Hashes.
  cmd({"HSET", "h:small", "f1", "v1", "f2", "22", "name", "redis", "empty", "", "n", "-5"});
  cmd({"HSET", "h:ints", "1", "100", "2", "200", "3", "300"});
  {
    Args a = {"HSET", "h:big"};
    for (int i = 0; i < 200; ++i) {
      a.push_back(StrCat("field", i));
      a.push_back(i % 3 == 0 ? std::to_string(i * 11) : Rand(rng, rng() % 90));
    }
    cmd(a);
  }
  cmd({"HSET", "h:longval", "k", std::string(100, 'v')});
  // Streams.
  for (int i = 1; i <= 240; ++i) {
    Args a = {"XADD", "x:s", StrCat(1000 + i / 3, "-", i % 3)};
    if (i % 17 == 0) {
      a.insert(a.end(), {"other", std::to_string(i), "x", "y"});
    } else {
      a.insert(a.end(), {"a", std::to_string(i), "b", std::string(i % 5, 'z')});
    }
    cmd(a);
  }
  for (const char* id : {"1010-1", "1020-0", "1020-1", "1050-2", "1079-2"}) {
    cmd({"XDEL", "x:s", id});
  }
  cmd({"XGROUP", "CREATE", "x:s", "g1", "0"});
  cmd({"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "x:s", ">"});
  cmd({"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "x:s", ">"});
  cmd({"XACK", "x:s", "g1", "1000-2"});
  cmd({"XGROUP", "CREATE", "x:s", "g2", "$"});
  cmd({"XGROUP", "CREATECONSUMER", "x:s", "g2", "carol"});
  cmd({"XGROUP", "CREATE", "x:s", "g0", "1005-0", "ENTRIESREAD", "12"});
  cmd({"XADD", "x:empty", "5-5", "f", "v"});
  cmd({"XDEL", "x:empty", "5-5"});
  cmd({"XGROUP", "CREATE", "x:empty", "ge", "0"});
  for (int i = 0; i < 1200; ++i) {
    cmd({"XADD", "x:big", "*", "k", std::to_string(i), "payload", Rand(rng, rng() % 40)});
  }
  // Other databases.
  cmd({"SELECT", "3"});
  cmd({"SET", "db3:a", "1"});
  cmd({"RPUSH", "db3:l", "x"});
  cmd({"SELECT", "0"});
  // Geo sets: a small one (listpack) and a big one (skiplist).
  cmd({"GEOADD",  "geo:small", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
       "Catania", "2.349014",  "48.864716", "Paris",     "-0.1275", "51.507222", "London",
       "0",       "0",         "origin",    "179.9",     "-85",     "edge"});
  {
    Args a = {"GEOADD", "geo:big"};
    for (int i = 0; i < 400; ++i) {
      double lon = -10 + static_cast<double>(rng() % 40000) / 1000;
      double lat = 35 + static_cast<double>(rng() % 20000) / 1000;
      a.push_back(StrCat(lon));
      a.push_back(StrCat(lat));
      a.push_back(StrCat("p", i));
    }
    cmd(a);
  }
  // A function library.
  cmd({"FUNCTION", "LOAD",
       "#!lua name=mylib\nredis.register_function{function_name='myfunc', callback=function(k, "
       "a) return 1 end, flags={'no-writes', 'allow-stale'}, description='does things'}\n"});
}

// ---- Command generation ----------------------------------------------------------------------

struct Case {
  Args args;
  Mode mode = Mode::kExact;
};

std::vector<Case> GenerateCases(std::mt19937& rng) {
  std::vector<Case> c;
  auto add = [&](Args a, Mode m = Mode::kExact) { c.push_back(Case{std::move(a), m}); };
  const std::vector<std::string> strings = {"s:int",  "s:neg",  "s:max",   "s:zero", "s:emb",
                                            "s:raw",  "s:bin",  "s:empty", "s:bits", "s:zeros",
                                            "s:ones", "s:long", "s:float", "missing"};
  const std::vector<std::string> wrong = {"l:small", "st:int", "z:small", "h:small", "x:s"};
  const std::vector<std::string> ints = {"0",
                                         "1",
                                         "-1",
                                         "2",
                                         "-2",
                                         "3",
                                         "5",
                                         "7",
                                         "8",
                                         "-5",
                                         "10",
                                         "-10",
                                         "15",
                                         "100",
                                         "-100",
                                         "9999",
                                         "abc",
                                         "1.5",
                                         "",
                                         "9223372036854775807",
                                         "-9223372036854775808",
                                         "99999999999999999999"};
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };

  // Generic.
  add({"DBSIZE"});
  add({"DBSIZE", "x"});
  add({"EXISTS", "s:int"});
  add({"EXISTS", "s:int", "s:int", "missing", "l:small"});
  add({"EXISTS"});
  add({"TOUCH", "s:int", "missing", "x:s"});
  for (const auto& k :
       {"s:int", "l:small", "st:int", "z:small", "h:small", "x:s", "missing", "hll:dense"}) {
    add({"TYPE", k});
    add({"TTL", k});
    add({"PTTL", k});
    add({"EXPIRETIME", k});
    add({"PEXPIRETIME", k});
    add({"OBJECT", "REFCOUNT", k});
    add({"OBJECT", "FREQ", k});
  }
  add({"TTL", "s:ttl"}, Mode::kApprox);
  add({"PTTL", "s:pttl"}, Mode::kApprox);
  add({"EXPIRETIME", "s:ttl"}, Mode::kApprox);
  add({"PEXPIRETIME", "s:pttl"}, Mode::kApprox);
  add({"TYPE"});
  add({"TTL", "a", "b"});
  add({"OBJECT"});
  add({"OBJECT", "HELP"});
  add({"OBJECT", "help", "x"});
  add({"OBJECT", "nosuch", "k"});
  add({"OBJECT", "ENCODING"});
  add({"OBJECT", "ENCODING", "missing"});
  add({"OBJECT", "IDLETIME", "missing"});
  add({"OBJECT", "IDLETIME", "s:int"}, Mode::kApprox);
  add({"OBJECT", "ENCODING", "s:int"});
  add({"OBJECT", "ENCODING", "s:emb"});
  add({"OBJECT", "ENCODING", "z:small"});
  add({"OBJECT", "ENCODING", "z:big"});
  add({"OBJECT", "ENCODING", "h:big"});
  add({"OBJECT", "ENCODING", "x:s"});
  add({"MEMORY", "HELP"});
  add({"MEMORY", "USAGE", "missing"});
  add({"MEMORY", "USAGE", "s:int", "SAMPLES"});
  add({"MEMORY", "USAGE", "s:int", "SAMPLES", "-1"});
  add({"MEMORY", "USAGE", "s:int", "SAMPLES", "x"});
  add({"MEMORY", "nosuch"});
  for (const char* p : {"*", "s:*", "*:s*", "?:*", "[sl]:*", "[^s]:*", "h\\:*", "z:[a-l]*",
                        "nomatch*", "*[", "x:[!-z]*"}) {
    add({"KEYS", p}, Mode::kUnordered);
  }
  add({"KEYS"});
  add({"RANDOMKEY"}, Mode::kShape);
  add({"RANDOMKEY", "x"});
  add({"SCAN"});
  add({"SCAN", "abc"});
  add({"SCAN", " 1"});
  add({"SCAN", "0", "COUNT"});
  add({"SCAN", "0", "COUNT", "0"});
  add({"SCAN", "0", "COUNT", "x"});
  add({"SCAN", "0", "MATCH"});
  add({"SCAN", "0", "foo", "bar"});
  add({"DUMP", "missing"});
  add({"DUMP"});

  // Strings.
  for (const auto& k : strings) {
    add({"GET", k});
    add({"STRLEN", k});
    for (int i = 0; i < 4; ++i) add({"GETRANGE", k, pick(ints), pick(ints)});
    add({"SUBSTR", k, "0", "-1"});
    for (const char* off :
         {"0", "1", "7", "8", "15", "63", "100", "-1", "x", "4294967296", "4294967295"}) {
      add({"GETBIT", k, off});
    }
    add({"BITCOUNT", k});
    for (int i = 0; i < 5; ++i) add({"BITCOUNT", k, pick(ints), pick(ints)});
    for (int i = 0; i < 5; ++i) add({"BITCOUNT", k, pick(ints), pick(ints), "BIT"});
    add({"BITCOUNT", k, "0", "-1", "BYTE"});
    add({"BITCOUNT", k, "0", "-1", "bits"});
    add({"BITCOUNT", k, "0"});
    for (const char* bit : {"0", "1"}) {
      add({"BITPOS", k, bit});
      for (int i = 0; i < 3; ++i) add({"BITPOS", k, bit, pick(ints)});
      for (int i = 0; i < 4; ++i) add({"BITPOS", k, bit, pick(ints), pick(ints)});
      for (int i = 0; i < 4; ++i) add({"BITPOS", k, bit, pick(ints), pick(ints), "BIT"});
      add({"BITPOS", k, bit, "0", "-1", "BYTE"});
      add({"BITPOS", k, bit, "0", "-1", "x"});
    }
    add({"BITPOS", k, "2"});
    add({"BITFIELD_RO", k, "GET", "u8", "0", "GET", "i5", "3", "GET", "u63", "#2", "GET", "i64",
         "0", "GET", "u1", "79"});
    add({"BITFIELD_RO", k, "GET", "i16", "#1"});
  }
  for (const auto& k : wrong) {
    add({"GET", k});
    add({"STRLEN", k});
    add({"GETRANGE", k, "0", "1"});
    add({"GETBIT", k, "0"});
    add({"BITCOUNT", k});
    add({"BITPOS", k, "1"});
  }
  add({"GET"});
  add({"GET", "a", "b"});
  add({"GETRANGE", "s:int", "0"});
  add({"BITFIELD_RO", "s:bits", "GET", "u64", "0"});
  add({"BITFIELD_RO", "s:bits", "GET", "x8", "0"});
  add({"BITFIELD_RO", "s:bits", "GET", "i65", "0"});
  add({"BITFIELD_RO", "s:bits", "SET", "u8", "0", "1"});
  add({"BITFIELD_RO", "s:bits", "INCRBY", "u8", "0", "1"});
  add({"BITFIELD_RO", "s:bits", "OVERFLOW", "SAT", "GET", "u8", "0"});
  add({"BITFIELD_RO", "s:bits", "OVERFLOW", "nope"});
  add({"BITFIELD_RO", "s:bits", "GET", "u8"});
  add({"BITFIELD_RO", "s:bits", "GET", "u8", "-1"});
  add({"BITFIELD_RO", "s:bits"});
  add({"BITFIELD_RO", "l:small", "GET", "u8", "0"});
  add({"MGET", "s:int", "missing", "l:small", "s:emb", "s:bin"});
  add({"MGET"});
  for (const auto& pair : std::vector<std::pair<std::string, std::string>>{{"s:lcs1", "s:lcs2"},
                                                                           {"s:lcs3", "s:lcs4"},
                                                                           {"s:lcs1", "missing"},
                                                                           {"s:int", "s:zero"},
                                                                           {"s:lcs1", "l:small"}}) {
    add({"LCS", pair.first, pair.second});
    add({"LCS", pair.first, pair.second, "LEN"});
    add({"LCS", pair.first, pair.second, "IDX"});
    add({"LCS", pair.first, pair.second, "IDX", "WITHMATCHLEN"});
    add({"LCS", pair.first, pair.second, "IDX", "MINMATCHLEN", "2", "WITHMATCHLEN"});
    add({"LCS", pair.first, pair.second, "IDX", "MINMATCHLEN", "-3"});
  }
  add({"LCS", "s:lcs1", "s:lcs2", "LEN", "IDX"});
  add({"LCS", "s:lcs1", "s:lcs2", "MINMATCHLEN"});
  add({"LCS", "s:lcs1", "s:lcs2", "FOO"});
  add({"LCS", "s:lcs1"});
  for (const auto& k : {"hll:sparse", "hll:dense", "hll:mid", "hll:empty", "missing", "s:int",
                        "s:emb", "l:small"}) {
    add({"PFCOUNT", k});
  }
  add({"PFCOUNT", "hll:sparse", "hll:dense"});
  add({"PFCOUNT", "hll:sparse", "hll:mid", "missing"});
  add({"PFCOUNT", "hll:mid", "hll:dense", "hll:empty"});
  add({"PFCOUNT", "hll:mid", "s:emb"});
  add({"PFCOUNT"});
  add({"GET", "hll:sparse"});  // the cache written by PFCOUNT
  add({"GET", "hll:dense"});

  // Lists.
  for (const auto& k : {"l:small", "l:big", "l:sort", "l:huge-el", "missing", "s:int"}) {
    add({"LLEN", k});
    for (int i = 0; i < 12; ++i) add({"LRANGE", k, pick(ints), pick(ints)});
    add({"LRANGE", k, "0", "-1"});
    add({"LRANGE", k, "-3000", "3000"});
    for (int i = 0; i < 8; ++i) add({"LINDEX", k, pick(ints)});
    add({"LINDEX", k, "2000"});
    add({"LINDEX", k, "-2000"});
    for (const char* el : {"b", "2", "dup", "300", "zzz", "-7"}) {
      add({"LPOS", k, el});
      add({"LPOS", k, el, "RANK", pick(ints)});
      add({"LPOS", k, el, "COUNT", "0"});
      add({"LPOS", k, el, "COUNT", "2", "RANK", "-1"});
      add({"LPOS", k, el, "COUNT", "3", "MAXLEN", "100"});
      add({"LPOS", k, el, "RANK", "2", "MAXLEN", "1"});
    }
  }
  add({"LPOS", "l:small", "b", "RANK", "0"});
  add({"LPOS", "l:small", "b", "COUNT", "-1"});
  add({"LPOS", "l:small", "b", "MAXLEN", "-1"});
  add({"LPOS", "l:small", "b", "FOO"});
  add({"LPOS", "l:small", "b", "RANK"});
  add({"LRANGE", "l:small", "0"});
  add({"LINDEX", "l:small"});

  // Sets.
  struct SetKey {
    const char* key;
    bool ordered;  // intset in both servers
  };
  for (const SetKey& sk : {SetKey{"st:int", true}, SetKey{"st:int2", true}, SetKey{"st:str", false},
                           SetKey{"st:intbig", false}, SetKey{"st:big", false},
                           SetKey{"missing", true}, SetKey{"s:int", true}}) {
    const std::string k = sk.key;
    Mode m = sk.ordered ? Mode::kExact : Mode::kUnordered;
    add({"SMEMBERS", k}, m);
    add({"SCARD", k});
    for (const char* e : {"5", "apple", "7", "-3", "1", "member-3", "x"}) {
      add({"SISMEMBER", k, e});
    }
    add({"SMISMEMBER", k, "5", "apple", "nope", "0", "12"});
    add({"SRANDMEMBER", k}, Mode::kShape);
    add({"SRANDMEMBER", k, "3"}, Mode::kShape);
    add({"SRANDMEMBER", k, "-5"}, Mode::kShape);
    add({"SRANDMEMBER", k, "0"});
    add({"SRANDMEMBER", k, "1000"}, m);
    add({"SRANDMEMBER", k, "abc"});
    add({"SRANDMEMBER", k, "1", "2"});
    add({"SORT_RO", k});
    add({"SORT_RO", k, "ALPHA"});
    add({"SORT_RO", k, "DESC", "LIMIT", "1", "3"});
  }
  for (const auto& keys : std::vector<std::vector<std::string>>{{"st:int", "st:int2"},
                                                                {"st:int2", "st:int"},
                                                                {"st:int", "missing"},
                                                                {"st:int", "st:int"},
                                                                {"st:str", "st:str2"},
                                                                {"st:int", "st:str"},
                                                                {"st:intbig", "st:int"},
                                                                {"st:int", "st:int2", "st:intbig"},
                                                                {"st:int", "s:int"}}) {
    bool all_int = true;
    for (const auto& k : keys) all_int &= k == "st:int" || k == "st:int2" || k == "missing";
    Mode m = all_int ? Mode::kExact : Mode::kUnordered;
    Args a = keys;
    for (const char* op : {"SINTER", "SUNION", "SDIFF"}) {
      Args x = {op};
      x.insert(x.end(), a.begin(), a.end());
      add(x, m);
    }
    Args card = {"SINTERCARD", std::to_string(keys.size())};
    card.insert(card.end(), keys.begin(), keys.end());
    add(card);
    Args lim = card;
    lim.insert(lim.end(), {"LIMIT", "1"});
    add(lim);
  }
  add({"SINTERCARD", "0", "a"});
  add({"SINTERCARD", "3", "a"});
  add({"SINTERCARD", "1", "st:int", "LIMIT", "-1"});
  add({"SINTERCARD", "1", "st:int", "FOO"});
  add({"SINTERCARD", "x", "st:int"});
  add({"SISMEMBER", "st:int"});

  // Sorted sets.
  const std::vector<std::string> zkeys = {"z:small",  "z:lex",   "z:inf", "z:big",
                                          "z:biglex", "missing", "s:int"};
  const std::vector<std::string> scores = {
      "-inf", "+inf", "inf",  "0",     "1",   "(1", "2", "(2", "3.5",     "(3.5", "-1",
      "1e3",  "100",  "(100", "50000", "abc", "(",  "",  " 5", "1.5e300", "nan",  "-0"};
  const std::vector<std::string> lexes = {"-",  "+", "[a", "(a", "[b",  "(b", "[aa", "(zzz", "[c",
                                          "(d", "[", "(",  "a",  "[zz", "++", "--",  "[g"};
  for (const auto& k : zkeys) {
    add({"ZCARD", k});
    for (int i = 0; i < 10; ++i) {
      add({"ZRANGE", k, pick(ints), pick(ints)});
      add({"ZRANGE", k, pick(ints), pick(ints), "WITHSCORES"});
      add({"ZRANGE", k, pick(ints), pick(ints), "REV", "WITHSCORES"});
      add({"ZREVRANGE", k, pick(ints), pick(ints)});
      add({"ZREVRANGE", k, pick(ints), pick(ints), "WITHSCORES"});
    }
    for (int i = 0; i < 12; ++i) {
      std::string mn = pick(scores), mx = pick(scores);
      add({"ZRANGEBYSCORE", k, mn, mx});
      add({"ZRANGEBYSCORE", k, mn, mx, "WITHSCORES"});
      add({"ZRANGEBYSCORE", k, mn, mx, "LIMIT", pick(ints), pick(ints)});
      add({"ZREVRANGEBYSCORE", k, mx, mn, "WITHSCORES", "LIMIT", pick(ints), pick(ints)});
      add({"ZRANGE", k, mn, mx, "BYSCORE", "WITHSCORES", "LIMIT", "1", "5"});
      add({"ZRANGE", k, mx, mn, "BYSCORE", "REV"});
      add({"ZCOUNT", k, mn, mx});
    }
    for (int i = 0; i < 12; ++i) {
      std::string mn = pick(lexes), mx = pick(lexes);
      add({"ZRANGEBYLEX", k, mn, mx});
      add({"ZRANGEBYLEX", k, mn, mx, "LIMIT", pick(ints), pick(ints)});
      add({"ZREVRANGEBYLEX", k, mx, mn});
      add({"ZREVRANGEBYLEX", k, mx, mn, "LIMIT", "0", "3"});
      add({"ZRANGE", k, mn, mx, "BYLEX"});
      add({"ZRANGE", k, mx, mn, "BYLEX", "REV", "LIMIT", "1", "2"});
      add({"ZLEXCOUNT", k, mn, mx});
    }
    for (const char* m :
         {"a", "b", "bb", "neg", "m7", "m100", "100", "-5", "pinf", "ninf", "zzz", "nope"}) {
      add({"ZSCORE", k, m});
      add({"ZRANK", k, m});
      add({"ZREVRANK", k, m});
    }
    add({"ZMSCORE", k, "a", "nope", "m3", "pinf", "zero", "100"});
    add({"ZRANDMEMBER", k}, Mode::kShape);
    add({"ZRANDMEMBER", k, "3"}, Mode::kShape);
    add({"ZRANDMEMBER", k, "-4", "WITHSCORES"}, Mode::kShape);
    add({"ZRANDMEMBER", k, "1000"});
    add({"ZRANDMEMBER", k, "1000", "WITHSCORES"});
    add({"ZRANDMEMBER", k, "0"});
    add({"ZRANDMEMBER", k, "1", "withscore"});
    add({"ZRANDMEMBER", k, "1", "WITHSCORES", "x"});
    add({"ZRANDMEMBER", k, "9223372036854775807", "WITHSCORES"});
    add({"SORT_RO", k});
    add({"SORT_RO", k, "ALPHA", "DESC"});
    add({"SORT_RO", k, "BY", "nosort", "LIMIT", "2", "3"});
    add({"SORT_RO", k, "BY", "nosort", "DESC"});
  }
  add({"ZRANGE", "z:small", "0", "-1", "LIMIT", "0", "1"});
  add({"ZRANGE", "z:small", "0", "-1", "LIMIT", "0", "-1"});
  add({"ZRANGE", "z:small", "[a", "[z", "BYLEX", "WITHSCORES"});
  add({"ZRANGE", "z:small", "0", "-1", "BYSCORE", "BYLEX"});
  add({"ZRANGE", "z:small", "0", "-1", "REV", "REV"});
  add({"ZRANGE", "z:small", "0", "-1", "FOO"});
  add({"ZRANGE", "z:small", "0", "-1", "LIMIT", "1"});
  add({"ZRANGE", "z:small", "a", "b"});
  add({"ZREVRANGE", "z:small", "0", "-1", "BYSCORE"});
  add({"ZRANGEBYSCORE", "z:small", "0", "10", "REV"});
  add({"ZRANGEBYLEX", "z:lex", "-", "+", "WITHSCORES"});
  add({"ZRANGE", "z:small"});
  add({"ZSCORE", "z:small"});
  add({"ZCOUNT", "z:small", "a", "b"});
  add({"ZLEXCOUNT", "z:lex", "a", "b"});
  add({"ZMSCORE", "z:small"});
  for (const auto& srcs : std::vector<std::vector<std::string>>{{"z:small", "z:two"},
                                                                {"z:two", "z:small", "st:int"},
                                                                {"z:small", "missing"},
                                                                {"z:inf", "z:inf"},
                                                                {"z:big", "z:small"},
                                                                {"z:small", "st:str"},
                                                                {"z:small", "s:int"}}) {
    for (const char* op : {"ZUNION", "ZINTER", "ZDIFF"}) {
      Args a = {op, std::to_string(srcs.size())};
      a.insert(a.end(), srcs.begin(), srcs.end());
      add(a);
      Args w = a;
      w.push_back("WITHSCORES");
      add(w);
      Args ww = a;
      ww.push_back("WEIGHTS");
      for (size_t i = 0; i < srcs.size(); ++i) ww.push_back(i == 0 ? "2" : "-1.5");
      ww.insert(ww.end(), {"AGGREGATE", "MAX", "WITHSCORES"});
      add(ww);
      Args ag = a;
      ag.insert(ag.end(), {"AGGREGATE", "MIN", "WITHSCORES"});
      add(ag);
    }
    Args card = {"ZINTERCARD", std::to_string(srcs.size())};
    card.insert(card.end(), srcs.begin(), srcs.end());
    add(card);
    Args lim = card;
    lim.insert(lim.end(), {"LIMIT", "2"});
    add(lim);
  }
  add({"ZUNION", "0", "a"});
  add({"ZUNION", "3", "a"});
  add({"ZUNION", "1", "z:small", "WEIGHTS", "x"});
  add({"ZUNION", "1", "z:small", "WEIGHTS"});
  add({"ZUNION", "1", "z:small", "AGGREGATE", "AVG"});
  add({"ZDIFF", "1", "z:small", "WEIGHTS", "1"});
  add({"ZINTERCARD", "1", "z:small", "WITHSCORES"});
  add({"ZINTERCARD", "1", "z:small", "LIMIT", "-2"});
  add({"ZINTERCARD", "0", "z:small"});

  // Hashes.
  struct HashKey {
    const char* key;
    bool ordered;
  };
  for (const HashKey& hk :
       {HashKey{"h:small", true}, HashKey{"h:ints", true}, HashKey{"h:big", false},
        HashKey{"h:longval", true}, HashKey{"missing", true}, HashKey{"s:int", true}}) {
    const std::string k = hk.key;
    add({"HGETALL", k}, hk.ordered ? Mode::kExact : Mode::kPairs);
    add({"HKEYS", k}, hk.ordered ? Mode::kExact : Mode::kUnordered);
    add({"HVALS", k}, hk.ordered ? Mode::kExact : Mode::kUnordered);
    add({"HLEN", k});
    for (const char* f : {"f1", "name", "empty", "1", "field7", "field199", "nope", "k"}) {
      add({"HGET", k, f});
      add({"HEXISTS", k, f});
      add({"HSTRLEN", k, f});
    }
    add({"HMGET", k, "f1", "nope", "2", "field3", "n"});
    add({"HRANDFIELD", k}, Mode::kShape);
    add({"HRANDFIELD", k, "2"}, Mode::kShape);
    add({"HRANDFIELD", k, "-3", "WITHVALUES"}, Mode::kShape);
    add({"HRANDFIELD", k, "500"}, hk.ordered ? Mode::kExact : Mode::kUnordered);
    add({"HRANDFIELD", k, "500", "WITHVALUES"}, hk.ordered ? Mode::kExact : Mode::kPairs);
    add({"HRANDFIELD", k, "0"});
    add({"HRANDFIELD", k, "1", "WITHVALUE"});
    add({"HRANDFIELD", k, "x"});
  }
  add({"HGET", "h:small"});
  add({"HMGET", "h:small"});

  // Streams.
  const std::vector<std::string> ids = {"-",
                                        "+",
                                        "0",
                                        "0-0",
                                        "1000",
                                        "1005-1",
                                        "(1005-1",
                                        "1010",
                                        "(1010",
                                        "1020-0",
                                        "1079",
                                        "2000",
                                        "(+",
                                        "(-",
                                        "abc",
                                        "1-x",
                                        "18446744073709551615-18446744073709551615",
                                        "(18446744073709551615-18446744073709551615",
                                        "1-",
                                        " 1000",
                                        "+1000",
                                        "1000-01"};
  for (const auto& k : {"x:s", "x:empty", "x:big", "missing", "s:int"}) {
    add({"XLEN", k});
    for (int i = 0; i < 15; ++i) {
      std::string a = pick(ids), b = pick(ids);
      add({"XRANGE", k, a, b});
      add({"XRANGE", k, a, b, "COUNT", pick(ints)});
      add({"XREVRANGE", k, b, a, "COUNT", "4"});
    }
    add({"XRANGE", k, "-", "+"});
    add({"XREVRANGE", k, "+", "-"});
    add({"XINFO", "STREAM", k});
    add({"XINFO", "STREAM", k, "FULL"});
    add({"XINFO", "STREAM", k, "FULL", "COUNT", "3"});
    add({"XINFO", "STREAM", k, "FULL", "COUNT", "0"});
    add({"XINFO", "STREAM", k, "FULL", "COUNT", "-5"});
    add({"XINFO", "STREAM", k, "FULL", "COUNTS", "3"});
    add({"XINFO", "STREAM", k, "FULLX"});
    add({"XINFO", "STREAM", k, "FULL", "COUNT"});
    add({"XINFO", "GROUPS", k});
    for (const char* g : {"g1", "g2", "g0", "ge", "nope"}) {
      add({"XINFO", "CONSUMERS", k, g}, Mode::kApprox);
      add({"XPENDING", k, g});
      add({"XPENDING", k, g, "-", "+", "10"}, Mode::kApprox);
      add({"XPENDING", k, g, "-", "+", "2", "alice"}, Mode::kApprox);
      add({"XPENDING", k, g, "IDLE", "0", "-", "+", "10"}, Mode::kApprox);
      add({"XPENDING", k, g, "(1000-0", "1001", "10", "bob"}, Mode::kApprox);
      add({"XPENDING", k, g, "-", "+", "5", "nobody"});
    }
    add({"XREAD", "STREAMS", k, "0"});
    add({"XREAD", "COUNT", "2", "STREAMS", k, "1070"});
    add({"XREAD", "STREAMS", k, "$"});
    add({"XREAD", "COUNT", "3", "STREAMS", k, "x:s", "0-0", "1075-0"});
  }
  add({"XRANGE", "x:s", "-"});
  add({"XRANGE", "x:s", "-", "+", "COUNT"});
  add({"XRANGE", "x:s", "-", "+", "LIMIT", "1"});
  add({"XINFO"});
  add({"XINFO", "HELP"});
  add({"XINFO", "FOO", "x:s"});
  add({"XINFO", "GROUPS"});
  add({"XINFO", "CONSUMERS", "x:s"});
  add({"XPENDING", "x:s"});
  add({"XPENDING", "x:s", "g1", "-"});
  add({"XPENDING", "x:s", "g1", "-", "+"});
  add({"XPENDING", "x:s", "g1", "IDLE", "10", "-", "+"});
  add({"XPENDING", "x:s", "g1", "-", "+", "x"});
  add({"XPENDING", "x:s", "g1", "x", "+", "10"});
  add({"XREAD", "STREAMS", "x:s"});
  add({"XREAD", "STREAMS", "x:s", "x:big", "0"});
  add({"XREAD", "COUNT", "x", "STREAMS", "x:s", "0"});
  add({"XREAD", "GROUP", "g", "c", "STREAMS", "x:s", ">"});
  add({"XREAD", "NOACK", "STREAMS", "x:s", "0"});
  add({"XREAD", "STREAMS", "x:s", ">"});
  add({"XREAD", "STREAMS", "x:s", "-"});
  add({"XREAD", "BLOCK", "-1", "STREAMS", "x:s", "0"});
  add({"XREAD", "BLOCK", "x", "STREAMS", "x:s", "0"});
  add({"XREAD", "FOO", "STREAMS", "x:s", "0"});
  add({"XREAD", "COUNT", "1"});

  // SORT_RO on lists and with BY/GET patterns.
  for (const auto& k : {"l:sort", "l:small", "l:words", "missing", "s:int", "h:small"}) {
    add({"SORT_RO", k});
    add({"SORT_RO", k, "DESC"});
    add({"SORT_RO", k, "ALPHA"});
    add({"SORT_RO", k, "ALPHA", "DESC", "LIMIT", "1", "4"});
    add({"SORT_RO", k, "LIMIT", "-1", "3"});
    add({"SORT_RO", k, "LIMIT", "2", "-1"});
    add({"SORT_RO", k, "LIMIT", "20", "5"});
    add({"SORT_RO", k, "BY", "w_*"});
    add({"SORT_RO", k, "BY", "w_*", "DESC", "GET", "#", "GET", "o_*"});
    add({"SORT_RO", k, "BY", "hw_*->f", "GET", "hw_*->g", "GET", "nosuch_*"});
    add({"SORT_RO", k, "BY", "hw_*->f", "ALPHA"});
    add({"SORT_RO", k, "BY", "nosort", "GET", "o_*"});
    add({"SORT_RO", k, "BY", "nosort", "LIMIT", "1", "2", "DESC"});
    add({"SORT_RO", k, "GET"});
    add({"SORT_RO", k, "STORE", "dst"});
    add({"SORT_RO", k, "LIMIT", "a", "b"});
  }

  // GEO.
  for (const char* k : {"geo:small", "geo:big", "missing", "s:int"}) {
    add({"GEOPOS", k, "Palermo", "p1", "nope", "edge", "origin", "p399"});
    add({"GEOHASH", k, "Palermo", "p2", "nope", "edge", "origin"});
    add({"GEODIST", k, "Palermo", "Catania"});
    add({"GEODIST", k, "p1", "p2", "km"});
    add({"GEODIST", k, "Paris", "London", "MI"});
    add({"GEODIST", k, "p3", "p4", "ft"});
    add({"GEODIST", k, "p3", "nope"});
    add({"GEODIST", k, "p3", "p4", "parsec"});
    add({"GEODIST", k, "p3", "p4", "m", "x"});
    for (const char* center : {"Palermo", "p5", "p17", "nope"}) {
      add({"GEOSEARCH", k, "FROMMEMBER", center, "BYRADIUS", "300", "km"});
      add({"GEOSEARCH", k, "FROMMEMBER", center, "BYRADIUS", "500", "km", "ASC", "WITHDIST",
           "WITHCOORD", "WITHHASH"});
      add({"GEOSEARCH", k, "FROMMEMBER", center, "BYBOX", "400", "300", "km", "DESC", "COUNT",
           "5"});
      add({"GEOSEARCH", k, "FROMMEMBER", center, "BYRADIUS", "1000", "km", "COUNT", "3", "ANY"});
      add({"GEORADIUSBYMEMBER_RO", k, center, "200", "mi", "WITHDIST"});
      add({"GEORADIUSBYMEMBER_RO", k, center, "200", "mi", "COUNT", "4", "DESC"});
    }
    for (const auto& [lon, lat] : std::vector<std::pair<const char*, const char*>>{
             {"15", "37"}, {"0", "0"}, {"5", "45"}, {"-170", "80"}, {"179.99", "-84"}}) {
      add({"GEOSEARCH", k, "FROMLONLAT", lon, lat, "BYRADIUS", "2000", "km", "WITHCOORD"});
      add({"GEOSEARCH", k, "FROMLONLAT", lon, lat, "BYBOX", "3000", "1000", "km", "ASC",
           "WITHDIST"});
      add({"GEOSEARCH", k, "FROMLONLAT", lon, lat, "BYRADIUS", "100", "m"});
      add({"GEORADIUS_RO", k, lon, lat, "800", "km"});
      add({"GEORADIUS_RO", k, lon, lat, "5000", "km", "WITHDIST", "WITHHASH", "COUNT", "10"});
    }
  }
  add({"GEOSEARCH", "geo:small", "FROMLONLAT", "200", "10", "BYRADIUS", "1", "km"});
  add({"GEOSEARCH", "geo:small", "FROMLONLAT", "x", "10", "BYRADIUS", "1", "km"});
  add({"GEOSEARCH", "geo:small", "BYRADIUS", "1", "km"});
  add({"GEOSEARCH", "geo:small", "FROMLONLAT", "1", "1"});
  add({"geosearch", "geo:small", "FROMLONLAT", "1", "1", "FROMMEMBER", "Paris", "BYRADIUS", "1",
       "km"});
  add({"GEOSEARCH", "geo:small", "FROMLONLAT", "1", "1", "BYRADIUS", "-1", "km"});
  add({"GEOSEARCH", "geo:small", "FROMLONLAT", "1", "1", "BYRADIUS", "x", "km"});
  add({"GEOSEARCH", "geo:small", "FROMLONLAT", "1", "1", "BYBOX", "1", "-1", "km"});
  add({"GEOSEARCH", "geo:small", "FROMLONLAT", "1", "1", "BYBOX", "1", "1", "yards"});
  add({"GEOSEARCH", "geo:small", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "ANY"});
  add({"GEOSEARCH", "geo:small", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "COUNT", "0"});
  add({"GEOSEARCH", "geo:small", "FROMLONLAT", "1", "1", "BYRADIUS", "1", "km", "STORE", "x"});
  add({"GEORADIUS_RO", "geo:small", "1", "1", "1", "km", "STORE", "x"});
  add({"GEORADIUSBYMEMBER_RO", "geo:small", "nope", "1", "km"});
  add({"GEOPOS"});
  add({"GEODIST", "geo:small", "a"});

  // FUNCTION LIST.
  add({"FUNCTION", "LIST"});
  add({"FUNCTION", "LIST", "WITHCODE"});
  add({"FUNCTION", "LIST", "LIBRARYNAME", "my*"});
  add({"FUNCTION", "LIST", "LIBRARYNAME", "MYLIB", "WITHCODE"});
  add({"FUNCTION", "LIST", "LIBRARYNAME", "x*"});
  add({"FUNCTION", "LIST", "LIBRARYNAME"});
  add({"FUNCTION", "LIST", "WITHCODE", "WITHCODE"});
  add({"FUNCTION", "LIST", "FOO"});
  add({"FUNCTION", "HELP"});
  add({"FUNCTION", "NOSUCH"});
  add({"FUNCTION"});
  return c;
}

class KeyspaceDiffTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    diff_ = new Diff();
    if (!diff_->Start()) {
      delete diff_;
      diff_ = nullptr;
      return;
    }
    std::mt19937 rng(12345);
    Populate(*diff_, rng);
    if (!diff_->Load()) {
      delete diff_;
      diff_ = nullptr;
    }
  }
  static void TearDownTestSuite() {
    delete diff_;
    diff_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(diff_, nullptr) << "redis-server did not start"; }
  static Diff* diff_;
};

Diff* KeyspaceDiffTest::diff_ = nullptr;

TEST_F(KeyspaceDiffTest, ReadCommandsMatchRedis) {
  std::mt19937 rng(777);
  std::vector<Case> cases = GenerateCases(rng);
  for (const Case& c : cases) diff_->Check(c.args, c.mode);
  std::cout << "compared " << diff_->compared() << " replies (" << diff_->exact()
            << " byte-identical, the rest order/time-insensitive)\n";
  EXPECT_GT(diff_->compared(), 2000);
}

TEST_F(KeyspaceDiffTest, ScansVisitTheSameElements) {
  diff_->CheckScan({"SCAN", "0"}, 1, false);
  diff_->CheckScan({"SCAN", "0", "COUNT", "3"}, 1, false);
  diff_->CheckScan({"SCAN", "0", "MATCH", "s:*", "COUNT", "5"}, 1, false);
  diff_->CheckScan({"SCAN", "0", "TYPE", "zset"}, 1, false);
  diff_->CheckScan({"SCAN", "0", "TYPE", "STRING", "MATCH", "*l*"}, 1, false);
  for (const char* k : {"st:int", "st:str", "st:intbig", "st:big", "missing"}) {
    diff_->CheckScan({"SSCAN", k, "0"}, 2, false);
    diff_->CheckScan({"SSCAN", k, "0", "COUNT", "7", "MATCH", "*1*"}, 2, false);
  }
  for (const char* k : {"h:small", "h:big", "missing"}) {
    diff_->CheckScan({"HSCAN", k, "0"}, 2, true);
    diff_->CheckScan({"HSCAN", k, "0", "MATCH", "field1*", "COUNT", "4"}, 2, true);
  }
  for (const char* k : {"z:small", "z:big", "z:inf", "missing"}) {
    diff_->CheckScan({"ZSCAN", k, "0"}, 2, true);
    diff_->CheckScan({"ZSCAN", k, "0", "MATCH", "m1*"}, 2, true);
  }
  // Small encodings answer in one call with cursor 0, as Redis does: byte-identical.
  diff_->Check({"SSCAN", "st:int", "0"});
  diff_->Check({"HSCAN", "h:small", "0", "MATCH", "f*"});
  diff_->Check({"ZSCAN", "z:two", "0"});  // (SORT converts a zset to a skiplist in Redis)
  diff_->Check({"ZSCAN", "z:two", "0", "COUNT", "1"});
  diff_->Check({"SSCAN", "st:int", "0", "TYPE", "string"});
  diff_->Check({"HSCAN", "h:small", "x"});
  diff_->Check({"ZSCAN", "s:int", "0"});
  diff_->Check({"SCAN", "0", "TYPE", "zset", "COUNT", "-1"});
}

TEST_F(KeyspaceDiffTest, OtherDatabases) {
  diff_->Select(3);
  diff_->Check({"DBSIZE"});
  diff_->Check({"GET", "db3:a"});
  diff_->Check({"LRANGE", "db3:l", "0", "-1"});
  diff_->Check({"GET", "s:int"});
  diff_->Check({"KEYS", "*"}, Mode::kUnordered);
  diff_->Select(9);
  diff_->Check({"DBSIZE"});
  diff_->Check({"RANDOMKEY"});
  diff_->Check({"SCAN", "0"});
  diff_->Check({"KEYS", "*"});
  diff_->Select(0);
}

// DUMP from the keyspace, RESTORE into a fresh redis-server 7.0, read back on both.
TEST_F(KeyspaceDiffTest, DumpRestoresInRedis) {
  Diff target;
  ASSERT_TRUE(target.Start());
  CommandContext ctx;
  ctx.rdb_version = 10;
  ctx.now_ms = NowMs();
  std::vector<std::string> keys;
  diff_->ks().db(0).ForEach([&](KeyEntry* e) { keys.emplace_back(obj::Key(e)); });
  ASSERT_GT(keys.size(), 50u);
  for (const std::string& k : keys) {
    std::string raw = Exec(diff_->ks(), ctx, {"DUMP", k});
    auto r = Parse(raw);
    ASSERT_EQ(r->v.type, RespType::kBulkString) << k;
    std::string restored = target.Server({"RESTORE", k, "0", Str(r->v)});
    EXPECT_EQ(restored, "+OK\r\n") << k << ": " << Describe(restored);
  }
  // The restored keys read back exactly as in the source server.
  for (const std::string& k : keys) {
    std::string type = diff_->Server({"TYPE", k});
    EXPECT_EQ(target.Server({"TYPE", k}), type) << k;
    std::vector<Args> reads;
    if (type == "+string\r\n") reads = {{"GET", k}};
    if (type == "+list\r\n") reads = {{"LRANGE", k, "0", "-1"}};
    if (type == "+set\r\n") reads = {{"SCARD", k}, {"SINTERCARD", "1", k}};
    if (type == "+zset\r\n") reads = {{"ZRANGE", k, "0", "-1", "WITHSCORES"}};
    if (type == "+hash\r\n") reads = {{"HLEN", k}};
    if (type == "+stream\r\n") {
      reads = {{"XRANGE", k, "-", "+"},
               {"XINFO", "GROUPS", k},
               {"XPENDING", k, "g1"},
               {"XINFO", "STREAM", k, "FULL"}};
    }
    for (const Args& a : reads) {
      EXPECT_EQ(target.Server(a), diff_->Server(a)) << Diff::absl_join(a);
    }
    if (type == "+set\r\n") {
      auto want = Parse(diff_->Server({"SMEMBERS", k}));
      auto got = Parse(target.Server({"SMEMBERS", k}));
      EXPECT_EQ(Sort(want->v), Sort(got->v)) << k;
    }
    if (type == "+hash\r\n") {
      auto want = Parse(diff_->Server({"HGETALL", k}));
      auto got = Parse(target.Server({"HGETALL", k}));
      EXPECT_EQ(SortPairs(want->v), SortPairs(got->v)) << k;
    }
  }
  // Older servers' payloads use only the types they know; a version-9 payload of every type
  // still restores on 7.0 (which reads versions <= 10).
  ctx.rdb_version = 9;
  for (const std::string& k : keys) {
    auto r = Parse(Exec(diff_->ks(), ctx, {"DUMP", k}));
    std::string restored = target.Server({"RESTORE", k, "0", Str(r->v), "REPLACE"});
    EXPECT_EQ(restored, "+OK\r\n") << k << ": " << Describe(restored);
  }
  // RestorePayload (the applier's RESTORE) reads every version's payload back identically.
  for (int ver : {9, 10, 11, 12}) {
    Keyspace copy;
    ctx.rdb_version = ver;
    for (const std::string& k : keys) {
      KeyEntry* e = diff_->ks().db(0).Find(k);
      auto restored = RestorePayload(k, DumpPayload(e, ver, 0));
      ASSERT_TRUE(restored.ok()) << k << " v" << ver << ": " << restored.status();
      copy.Add(0, *restored);
    }
    CommandContext rc;
    rc.now_ms = NowMs();
    for (const std::string& k : keys) {
      std::string type = Exec(diff_->ks(), rc, {"TYPE", k});
      std::vector<Args> reads = {{"TYPE", k}};
      if (type == "+string\r\n") reads = {{"GET", k}};
      if (type == "+list\r\n") reads = {{"LRANGE", k, "0", "-1"}};
      if (type == "+set\r\n") reads = {{"SCARD", k}, {"SMISMEMBER", k, "1", "5", "apple"}};
      if (type == "+zset\r\n") reads = {{"ZRANGE", k, "0", "-1", "WITHSCORES"}};
      if (type == "+hash\r\n") reads = {{"HLEN", k}, {"HMGET", k, "f1", "field7", "1"}};
      if (type == "+stream\r\n") {
        reads = {{"XRANGE", k, "-", "+"}, {"XPENDING", k, "g1"}};
        // Type 15 (RDB 9) has no max-deleted id, entries-added or entries-read.
        if (ver >= 10) reads.push_back({"XINFO", "STREAM", k, "FULL"});
      }
      for (const Args& a : reads) {
        EXPECT_EQ(Exec(copy, rc, a), Exec(diff_->ks(), rc, a))
            << "v" << ver << " " << a[0] << " " << k;
      }
    }
  }
  std::string bad = DumpPayload(diff_->ks().db(0).Find("s:emb"), 10, 0);
  bad[3] ^= 1;
  EXPECT_EQ(RestorePayload("x", bad).status().message(),
            "DUMP payload version or checksum are wrong");
  // A payload claiming a newer RDB version is refused by 7.0, as it should be.
  ctx.rdb_version = 11;
  auto r11 = Parse(Exec(diff_->ks(), ctx, {"DUMP", "s:int"}));
  EXPECT_NE(target.Server({"RESTORE", "v11", "0", Str(r11->v)}), "+OK\r\n");
}

}  // namespace
}  // namespace redlink::engine::kstest
