#include "tests/engine/replication/workload.h"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "engine/common/strings.h"

namespace redlink::testing {

using Cmd = std::vector<std::string>;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* kPrefix(char type) {
  switch (type) {
    case 's':
      return "str";
    case 'n':
      return "num";
    case 'b':
      return "bit";
    case 'l':
      return "list";
    case 'S':
      return "set";
    case 'z':
      return "zset";
    case 'Z':
      return "lex";
    case 'g':
      return "geo";
    case 'h':
      return "hash";
    case 'p':
      return "hll";
    case 'x':
      return "stream";
  }
  return "key";
}

constexpr char kTypes[] = {'s', 'n', 'b', 'l', 'S', 'z', 'Z', 'g', 'h', 'p', 'x'};

}  // namespace

Workload::Workload(uint64_t seed, Options options) : options_(options), rng_(seed) {
  if (options_.base_ms == 0) options_.base_ms = NowMs();
  stream_ms_ = static_cast<uint64_t>(options_.base_ms);
  // A master's "*" IDs come from its clock: explicit IDs a day ahead stay above them.
  if (options_.mode == Mode::kMaster) stream_ms_ += 86400000;
}

bool Workload::Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

std::string Workload::Int(int64_t lo, int64_t hi) {
  return std::to_string(std::uniform_int_distribution<int64_t>(lo, hi)(rng_));
}

std::string Workload::Name(const char* name) {
  std::string s(name);
  int style = static_cast<int>(rng_() % 3);
  for (char& ch : s) {
    if (style == 0) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (style == 2 && (rng_() & 1)) {
      ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
  }
  return s;
}

std::string Workload::Key(char type) {
  // Now and then another type's key (WRONGTYPE paths). Never into or out of the lex zsets:
  // ZREMRANGEBYLEX and BYLEX ranges are only deterministic when all scores are equal (on a
  // skiplist the walk depends on the random node levels).
  if (type != 'Z' && Chance(0.03)) {
    char other = kTypes[rng_() % sizeof(kTypes)];
    if (other != 'Z') type = other;
  }
  int n = type == 'x' ? 4 : (type == 'g' ? 3 : 6);
  return StrCat(kPrefix(type), ":", rng_() % n);
}

std::string Workload::Member() {
  int r = static_cast<int>(rng_() % 100);
  if (r < 60) return StrCat("m", rng_() % 40);
  if (r < 90) return std::to_string(rng_() % 600);
  if (r < 97)
    return StrCat("long-member-", std::string(60, static_cast<char>('a' + rng_() % 26)),
                  rng_() % 10);
  return std::string("bin\0\r\n", 6) + std::to_string(rng_() % 5);
}

std::string Workload::Value() {
  int r = static_cast<int>(rng_() % 100);
  if (r < 50) return StrCat("v", rng_() % 100);
  if (r < 80) return Int(-1000, 100000);
  if (r < 95) return std::string(static_cast<size_t>(70 + rng_() % 100), 'x') + Int(0, 9);
  return std::string("\0\xff\r\n", 4) + Int(0, 9);
}

std::string Workload::Double() {
  switch (rng_() % 6) {
    case 0:
      return "1.5";
    case 1:
      return "-0.25";
    case 2:
      return "3e2";
    case 3:
      return Int(-100, 100);
    case 4:
      return StrCat(Int(0, 99), ".", Int(0, 999));
    default:
      return "0.1";
  }
}

std::string Workload::FutureMs() {
  return std::to_string(options_.base_ms + 3600 * 1000 + static_cast<int64_t>(rng_() % 86400000));
}

std::string Workload::StreamIdFor(const std::string& key) {
  ++stream_ms_;
  std::string id = StrCat(stream_ms_, "-", rng_() % 3);
  stream_ids_[key].push_back(id);
  return id;
}

std::string Workload::ExistingStreamId(const std::string& key) {
  auto& ids = stream_ids_[key];
  if (ids.empty() || Chance(0.1)) return StrCat(options_.base_ms - 1, "-0");
  return ids[rng_() % ids.size()];
}

std::string Workload::LibraryCode(int n) {
  return StrCat("#!lua name=lib", n, "\n", "redis.register_function('push", n,
                "', function(keys, args) redis.call('rpush', keys[1], args[1]) "
                "return redis.call('llen', keys[1]) end)\n",
                "redis.register_function('bump", n,
                "', function(keys, args) redis.call('incr', keys[1]) "
                "redis.call('hset', keys[2], 'f', args[1]) return 1 end)\n");
}

std::vector<std::string> Workload::Next() {
  bool master = options_.mode == Mode::kMaster;
  if (multi_left_ > 0) {
    if (--multi_left_ == 0) {
      family_ = "multi";
      return {"EXEC"};
    }
    if (Chance(0.1)) {
      db_ = static_cast<int>(rng_() % options_.num_dbs);
      family_ = "select";
      ++counts_[family_];
      return {Name("select"), std::to_string(db_)};
    }
  } else if (Chance(0.03)) {
    db_ = static_cast<int>(rng_() % options_.num_dbs);
    family_ = "select";
    ++counts_[family_];
    return {Name("select"), std::to_string(db_)};
  } else if (master && Chance(0.02)) {
    multi_left_ = 2 + static_cast<int>(rng_() % 4);
    family_ = "multi";
    ++counts_[family_];
    return {Name("multi")};
  }
  Cmd cmd;
  int r = static_cast<int>(rng_() % 100);
  if (r < 10) {
    cmd = Strings();
  } else if (r < 14) {
    cmd = Bits();
  } else if (r < 24) {
    cmd = Keys();
  } else if (r < 36) {
    cmd = Lists();
  } else if (r < 44) {
    cmd = Sets();
  } else if (r < 55) {
    cmd = Zsets();
  } else if (r < 58) {
    cmd = Geo();
  } else if (r < 68) {
    cmd = Hashes();
  } else if (r < 75) {
    cmd = Hll();
  } else if (r < 92) {
    cmd = Streams();
  } else if (r < 94 && options_.functions) {
    cmd = Functions();
  } else if (master && multi_left_ == 0) {
    cmd = Scripts();
  } else {
    cmd = Strings();
  }
  ++counts_[family_];
  return cmd;
}

std::vector<std::string> Workload::Strings() {
  family_ = "string";
  bool master = options_.mode == Mode::kMaster;
  std::string k = Key('s');
  std::string n = Key('n');
  switch (rng_() % 20) {
    case 0:
    case 1:
    case 2: {
      Cmd c = {Name("set"), k, Value()};
      if (Chance(0.3)) c.push_back(Chance(0.5) ? "NX" : "XX");
      if (Chance(0.2)) c.push_back("GET");
      switch (rng_() % 6) {
        case 0:
          c.insert(c.end(), {"PXAT", FutureMs()});
          break;
        case 1:
          c.insert(c.end(), {"EXAT", std::to_string(std::stoll(FutureMs()) / 1000)});
          break;
        case 2:
          c.push_back("KEEPTTL");
          break;
        case 3:
          if (master) {
            // Short TTLs expire during the run: the master propagates DEL.
            if (Chance(0.5)) {
              c.insert(c.end(), {"PX", Int(20, 3000)});
            } else {
              c.insert(c.end(), {"EX", Int(3600, 7200)});
            }
          }
          break;
      }
      return c;
    }
    case 3:
      return {Name("setnx"), k, Value()};
    case 4:
      return {Name("getset"), k, Value()};
    case 5:
      return {Name("getdel"), k};
    case 6:
      return {Name("append"), k, Value()};
    case 7:
      return {Name("setrange"), k, Int(0, 40), Value()};
    case 8:
      return {Name("incr"), n};
    case 9:
      return {Name("decr"), n};
    case 10:
      return {Name("incrby"), n, Int(-1000, 1000)};
    case 11:
      return {Name("decrby"), n, Int(-1000, 1000)};
    case 12:
      return {Name("incrbyfloat"), n, Double()};
    case 13:
      return {Name("mset"), k, Value(), Key('s'), Value()};
    case 14:
      return {Name("msetnx"), k, Value(), Key('s'), Value()};
    case 15:
      if (master && Chance(0.5)) return {Name("getex"), k, "EX", Int(3600, 7200)};
      return {Name("getex"), k, "PXAT", FutureMs()};
    case 16:
      return {Name("getex"), k, "PERSIST"};
    case 17:
      if (master) return {Name("setex"), k, Chance(0.5) ? Int(1, 3) : Int(3600, 7200), Value()};
      return {Name("set"), k, Value(), "PXAT", FutureMs()};
    case 18:
      if (master) return {Name("psetex"), k, Int(30, 5000), Value()};
      return {Name("set"), n, Int(0, 100)};
    default:
      return {Name("set"), n, Int(-50, 50)};
  }
}

std::vector<std::string> Workload::Bits() {
  family_ = "bits";
  std::string b = Key('b');
  switch (rng_() % 4) {
    case 0:
      return {Name("setbit"), b, Int(0, 300), Int(0, 1)};
    case 1: {
      Cmd c = {Name("bitfield"), b};
      if (Chance(0.4)) c.insert(c.end(), {"OVERFLOW", Chance(0.5) ? "SAT" : "FAIL"});
      c.insert(c.end(),
               {"SET", Chance(0.5) ? "u8" : "i16", StrCat("#", rng_() % 8), Int(-300, 300)});
      if (Chance(0.5)) c.insert(c.end(), {"INCRBY", "i5", Int(0, 100), Int(-40, 40)});
      if (Chance(0.3)) c.insert(c.end(), {"GET", "u4", "0"});
      return c;
    }
    case 2: {
      const char* ops[] = {"AND", "OR", "XOR"};
      return {Name("bitop"), ops[rng_() % 3], b, Key('b'), Key('b')};
    }
    default:
      return {Name("bitop"), "NOT", b, Key('b')};
  }
}

std::vector<std::string> Workload::Keys() {
  family_ = "keys";
  bool master = options_.mode == Mode::kMaster;
  char t = kTypes[rng_() % sizeof(kTypes)];
  std::string k = Key(t);
  switch (rng_() % 16) {
    case 0:
      return {Name("del"), k, Key(t)};
    case 1:
      return {Name("unlink"), k};
    case 2: {
      const char* cond[] = {"NX", "XX", "GT", "LT"};
      Cmd c = {Name("pexpireat"), k, FutureMs()};
      if (Chance(0.5)) c.push_back(cond[rng_() % 4]);
      return c;
    }
    case 3:
      if (master && Chance(0.5)) return {Name("expire"), k, Int(1, 3)};
      return {Name("expireat"), k, std::to_string(std::stoll(FutureMs()) / 1000)};
    case 4:
      if (master && Chance(0.5)) return {Name("pexpire"), k, Int(10, 2000)};
      return {Name("persist"), k};
    case 5:
      return {Name("rename"), k, Key(t)};
    case 6:
      return {Name("renamenx"), k, Key(t)};
    case 7:
      return {Name("move"), k, std::to_string(rng_() % options_.num_dbs)};
    case 8: {
      Cmd c = {Name("copy"), k, Key(t)};
      if (Chance(0.5)) c.insert(c.end(), {"DB", std::to_string(rng_() % options_.num_dbs)});
      if (Chance(0.5)) c.push_back("REPLACE");
      return c;
    }
    case 9:
      if (options_.swapdb && Chance(0.3)) {
        return {Name("swapdb"), std::to_string(rng_() % options_.num_dbs),
                std::to_string(rng_() % options_.num_dbs)};
      }
      return {Name("persist"), k};
    case 10:
      if (options_.swapdb && Chance(0.05)) return {Name("flushdb")};
      return {Name("del"), k};
    case 11:
    case 12: {
      // SORT ... STORE over lists, sets and zsets. Ties must not depend on the sort algorithm:
      // a BY pattern with ALPHA (missing keys tie) only on lists and without LIMIT (Redis's
      // partial pqsort orders ties its own way); a set or zset ties in hash order.
      char src = "lSz"[rng_() % 3];
      Cmd c = {Name("sort"), Key(src)};
      bool by = Chance(0.3), by_pattern = by && Chance(0.5);
      bool alpha = Chance(0.7) && !(by_pattern && src != 'l');
      if (by) c.insert(c.end(), {"BY", by_pattern ? "num:*" : "nosort"});
      if (Chance(0.3) && !(by_pattern && alpha)) {
        c.insert(c.end(), {"LIMIT", Int(0, 3), Int(1, 10)});
      }
      if (Chance(0.3)) c.insert(c.end(), {"GET", "#"});
      if (Chance(0.2)) c.insert(c.end(), {"GET", "str:*"});
      if (Chance(0.3)) c.push_back("DESC");
      if (alpha) c.push_back("ALPHA");
      c.insert(c.end(), {"STORE", Key('l')});
      return c;
    }
    default:
      return {Name("del"), Key(t)};
  }
}

std::vector<std::string> Workload::Lists() {
  family_ = "list";
  std::string l = Key('l');
  std::string timeout = "0.01";
  switch (rng_() % 20) {
    case 0:
    case 1:
    case 2: {
      Cmd c = {Name(Chance(0.5) ? "lpush" : "rpush"), l};
      int n = Chance(0.05) ? 300 : 1 + static_cast<int>(rng_() % 5);
      for (int i = 0; i < n; ++i) c.push_back(Chance(0.9) ? Member() : Value());
      return c;
    }
    case 3:
      return {Name(Chance(0.5) ? "lpushx" : "rpushx"), l, Member()};
    case 4:
      return {Name("linsert"), l, Chance(0.5) ? "BEFORE" : "AFTER", Member(), Member()};
    case 5:
      return {Name("lset"), l, Int(-3, 5), Member()};
    case 6:
      return {Name("lrem"), l, Int(-2, 2), Member()};
    case 7:
      return {Name("ltrim"), l, Int(-5, 3), Int(-3, 40)};
    case 8:
      if (Chance(0.5)) return {Name("lpop"), l};
      return {Name("lpop"), l, Int(0, 4)};
    case 9:
      if (Chance(0.5)) return {Name("rpop"), l};
      return {Name("rpop"), l, Int(0, 4)};
    case 10:
      return {Name("rpoplpush"), l, Key('l')};
    case 11:
      return {Name("lmove"), l, Key('l'), Chance(0.5) ? "LEFT" : "RIGHT",
              Chance(0.5) ? "LEFT" : "RIGHT"};
    case 12: {
      Cmd c = {Name("lmpop"), "2", l, Key('l'), Chance(0.5) ? "LEFT" : "RIGHT"};
      if (Chance(0.5)) c.insert(c.end(), {"COUNT", Int(1, 5)});
      return c;
    }
    case 13:
      return {Name(Chance(0.5) ? "blpop" : "brpop"), l, Key('l'), timeout};
    case 14:
      return {Name("blmove"), l, Key('l'), "RIGHT", "LEFT", timeout};
    case 15:
      return {Name("brpoplpush"), l, Key('l'), timeout};
    case 16:
      return {Name("blmpop"), timeout, "1", l, "LEFT", "COUNT", Int(1, 3)};
    default:
      return {Name("rpush"), l, Member(), Member()};
  }
}

std::vector<std::string> Workload::Sets() {
  family_ = "set";
  bool master = options_.mode == Mode::kMaster;
  std::string s = Key('S');
  switch (rng_() % 12) {
    case 0:
    case 1:
    case 2:
    case 3: {
      Cmd c = {Name("sadd"), s};
      int n = Chance(0.04) ? 200 : 1 + static_cast<int>(rng_() % 4);
      bool ints = Chance(0.3);
      for (int i = 0; i < n; ++i) c.push_back(ints ? Int(0, 2000) : Member());
      return c;
    }
    case 4:
    case 5:
      return {Name("srem"), s, Member(), Member()};
    case 6:
      return {Name("smove"), s, Key('S'), Member()};
    case 7:
      return {Name("sinterstore"), Key('S'), s, Key('S')};
    case 8:
      return {Name("sunionstore"), Key('S'), s, Key('S'), Key('S')};
    case 9:
      return {Name("sdiffstore"), Key('S'), s, Key('S')};
    case 10:
      if (master) {
        if (Chance(0.5)) return {Name("spop"), s};
        return {Name("spop"), s, Int(0, 5)};
      }
      return {Name("srem"), s, Member()};
    default:
      return {Name("sadd"), s, Int(0, 100)};
  }
}

std::vector<std::string> Workload::Zsets() {
  family_ = "zset";
  std::string z = Key('z');
  std::string timeout = "0.01";
  switch (rng_() % 20) {
    case 0:
    case 1:
    case 2: {
      Cmd c = {Name("zadd"), z};
      if (Chance(0.2)) c.push_back(Chance(0.5) ? "NX" : "XX");
      if (Chance(0.2) && c.size() == 2) c.push_back(Chance(0.5) ? "GT" : "LT");
      if (Chance(0.2)) c.push_back("CH");
      if (Chance(0.1)) {
        c.push_back("INCR");
        c.insert(c.end(), {Double(), Member()});
        return c;
      }
      int n = Chance(0.04) ? 150 : 1 + static_cast<int>(rng_() % 4);
      for (int i = 0; i < n; ++i) {
        c.push_back(Chance(0.05) ? (Chance(0.5) ? "+inf" : "-inf") : Double());
        c.push_back(Member());
      }
      return c;
    }
    case 3: {
      // Equal scores for the lex ranges.
      Cmd c = {Name("zadd"), Key('Z')};
      for (int i = 0; i < 3; ++i) c.insert(c.end(), {"0", Member()});
      return c;
    }
    case 4:
      return {Name("zincrby"), z, Double(), Member()};
    case 5:
      return {Name("zrem"), z, Member(), Member()};
    case 6: {
      const char* lo[] = {"-inf", "0", "(1", "-5"};
      const char* hi[] = {"+inf", "10", "(50", "3"};
      return {Name("zremrangebyscore"), z, lo[rng_() % 4], hi[rng_() % 4]};
    }
    case 7:
      return {Name("zremrangebyrank"), z, Int(-3, 2), Int(-2, 4)};
    case 8: {
      const char* lo[] = {"-", "[m1", "(m2", "[1"};
      const char* hi[] = {"+", "[m3", "(m30", "[5"};
      return {Name("zremrangebylex"), Key('Z'), lo[rng_() % 4], hi[rng_() % 4]};
    }
    case 9:
    case 10: {
      Cmd c = {Name(Chance(0.5) ? "zunionstore" : "zinterstore"), Key('z'), "2", z,
               Chance(0.7) ? Key('z') : Key('S')};
      if (Chance(0.4)) c.insert(c.end(), {"WEIGHTS", Double(), Double()});
      if (Chance(0.4)) {
        const char* ag[] = {"SUM", "MIN", "MAX"};
        c.insert(c.end(), {"AGGREGATE", ag[rng_() % 3]});
      }
      return c;
    }
    case 11:
      return {Name("zdiffstore"), Key('z'), "2", z, Key('z')};
    case 12: {
      Cmd c = {Name("zrangestore"), Key('z'), z};
      switch (rng_() % 4) {
        case 0:
          c.insert(c.end(), {Int(0, 2), Int(-1, 5)});
          break;
        case 1:
          c.insert(c.end(), {"-inf", "+inf", "BYSCORE", "LIMIT", Int(0, 2), Int(1, 5)});
          break;
        case 2:
          c.insert(c.end(), {"(5", "0", "BYSCORE", "REV"});
          break;
        default:
          c = {Name("zrangestore"), Key('Z'), Key('Z'), "[m1", "[m5", "BYLEX"};
      }
      return c;
    }
    case 13:
      if (Chance(0.5)) return {Name("zpopmin"), z};
      return {Name("zpopmin"), z, Int(0, 3)};
    case 14:
      if (Chance(0.5)) return {Name("zpopmax"), z};
      return {Name("zpopmax"), z, Int(0, 3)};
    case 15: {
      Cmd c = {Name("zmpop"), "2", z, Key('z'), Chance(0.5) ? "MIN" : "MAX"};
      if (Chance(0.5)) c.insert(c.end(), {"COUNT", Int(1, 4)});
      return c;
    }
    case 16:
      return {Name(Chance(0.5) ? "bzpopmin" : "bzpopmax"), z, Key('z'), timeout};
    case 17:
      return {Name("bzmpop"), timeout, "1", z, "MAX", "COUNT", Int(1, 3)};
    default:
      return {Name("zadd"), z, Double(), Member()};
  }
}

std::vector<std::string> Workload::Geo() {
  family_ = "geo";
  std::string g = Key('g');
  auto lon = [&] { return StrCat(Int(-10, 10), ".", Int(0, 9999)); };
  auto lat = [&] { return StrCat(Int(40, 50), ".", Int(0, 9999)); };
  switch (rng_() % 6) {
    case 0:
    case 1:
    case 2: {
      Cmd c = {Name("geoadd"), g};
      if (Chance(0.2)) c.push_back(Chance(0.5) ? "NX" : "XX");
      for (int i = 0; i < 1 + static_cast<int>(rng_() % 3); ++i) {
        c.insert(c.end(), {lon(), Chance(0.02) ? "91" : lat(), StrCat("place", rng_() % 20)});
      }
      return c;
    }
    case 3: {
      Cmd c = {Name("geosearchstore"), Key('g'), g};
      if (Chance(0.5)) {
        c.insert(c.end(), {"FROMLONLAT", lon(), lat()});
      } else {
        c.insert(c.end(), {"FROMMEMBER", StrCat("place", rng_() % 20)});
      }
      if (Chance(0.5)) {
        c.insert(c.end(), {"BYRADIUS", Int(50, 1500), "km"});
      } else {
        c.insert(c.end(), {"BYBOX", Int(100, 2000), Int(100, 2000), Chance(0.5) ? "km" : "mi"});
      }
      if (Chance(0.5)) c.push_back(Chance(0.5) ? "ASC" : "DESC");
      if (Chance(0.3)) c.insert(c.end(), {"COUNT", Int(1, 5)});
      if (Chance(0.5)) c.push_back("STOREDIST");
      return c;
    }
    case 4:
      return {Name("georadius"),
              g,
              lon(),
              lat(),
              Int(100, 1500),
              "km",
              Chance(0.5) ? "STORE" : "STOREDIST",
              Key('g')};
    default:
      return {Name("georadiusbymember"),
              g,
              StrCat("place", rng_() % 20),
              Int(100, 1500),
              "km",
              "ASC",
              Chance(0.5) ? "STORE" : "STOREDIST",
              Key('g')};
  }
}

std::vector<std::string> Workload::Hashes() {
  family_ = "hash";
  std::string h = Key('h');
  switch (rng_() % 10) {
    case 0:
    case 1:
    case 2: {
      Cmd c = {Name(Chance(0.8) ? "hset" : "hmset"), h};
      int n = Chance(0.04) ? 140 : 1 + static_cast<int>(rng_() % 3);
      for (int i = 0; i < n; ++i) c.insert(c.end(), {Member(), Chance(0.9) ? Member() : Value()});
      return c;
    }
    case 3:
      return {Name("hsetnx"), h, Member(), Value()};
    case 4:
    case 5:
      return {Name("hdel"), h, Member(), Member()};
    case 6:
    case 7:
      return {Name("hincrby"), h, StrCat("c", rng_() % 5), Int(-100, 100)};
    case 8:
      return {Name("hincrbyfloat"), h, StrCat("c", rng_() % 5), Double()};
    default:
      return {Name("hset"), h, StrCat("c", rng_() % 5), Int(0, 10)};
  }
}

std::vector<std::string> Workload::Hll() {
  family_ = "hll";
  std::string p = Key('p');
  switch (rng_() % 8) {
    case 0:
    case 1:
    case 2:
    case 3: {
      Cmd c = {Name("pfadd"), p};
      int n = Chance(0.08) ? 400 : static_cast<int>(rng_() % 8);
      for (int i = 0; i < n; ++i) c.push_back(StrCat("e", rng_() % 30000));
      return c;
    }
    case 4:
      return {Name("pfmerge"), Key('p'), p, Key('p')};
    case 5:
    case 6:
      return {Name("pfcount"), p};
    default:
      return {Name("pfdebug"), Chance(0.5) ? "TODENSE" : "GETREG", p};
  }
}

std::vector<std::string> Workload::Streams() {
  family_ = "stream";
  bool master = options_.mode == Mode::kMaster;
  std::string x = Key('x');
  std::string g = StrCat("g", rng_() % 3);
  std::string consumer = StrCat("c", rng_() % 4);
  switch (rng_() % 22) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4: {
      Cmd c = {Name("xadd"), x};
      if (Chance(0.05)) c.push_back("NOMKSTREAM");
      if (Chance(0.3)) {
        if (Chance(0.7)) {
          c.insert(c.end(), {"MAXLEN"});
          if (Chance(0.5)) c.push_back(Chance(0.5) ? "~" : "=");
          c.push_back(Int(5, 250));
        } else {
          c.insert(c.end(), {"MINID", Chance(0.5) ? "=" : "~", ExistingStreamId(x)});
        }
      }
      if (master && Chance(0.15)) {
        c.push_back(Chance(0.5) ? "*" : StrCat(stream_ms_ + 1, "-*"));
      } else {
        c.push_back(StreamIdFor(x));
      }
      int n = 1 + static_cast<int>(rng_() % 3);
      bool same = Chance(0.6);
      for (int i = 0; i < n; ++i) {
        c.insert(c.end(), {same ? StrCat("f", i) : StrCat("f", rng_() % 6), Value()});
      }
      return c;
    }
    case 5:
      return {Name("xdel"), x, ExistingStreamId(x), ExistingStreamId(x)};
    case 6:
      if (Chance(0.5)) return {Name("xtrim"), x, "MAXLEN", Chance(0.5) ? "=" : "~", Int(0, 200)};
      return {Name("xtrim"), x, "MINID", ExistingStreamId(x)};
    case 7:
      return {Name("xgroup"), "CREATE", x, g, Chance(0.5) ? "$" : "0", "MKSTREAM"};
    case 8:
      if (Chance(0.5)) return {Name("xgroup"), "CREATE", x, g, ExistingStreamId(x)};
      return {Name("xgroup"), "SETID", x, g, ExistingStreamId(x), "ENTRIESREAD", Int(0, 50)};
    case 9:
      if (Chance(0.2)) return {Name("xgroup"), "DESTROY", x, g};
      return {Name("xgroup"), "CREATECONSUMER", x, g, consumer};
    case 10:
      return {Name("xgroup"), "DELCONSUMER", x, g, consumer};
    case 11:
    case 12:
      return {Name("xack"), x, g, ExistingStreamId(x), ExistingStreamId(x)};
    case 13:
    case 14:
    case 15: {
      if (master && Chance(0.7)) {
        Cmd c = {Name("xreadgroup"), "GROUP", g, consumer, "COUNT", Int(1, 5)};
        if (Chance(0.15)) c.push_back("NOACK");
        // Only new entries: re-reading a consumer's history ("0") bumps delivery counts on the
        // master without propagating anything, so no replica (Redis's own included) sees it.
        c.insert(c.end(), {"STREAMS", x, ">"});
        return c;
      }
      // The form a master propagates for deliveries and claims.
      Cmd c = {Name("xclaim"), x, g, consumer, "0", ExistingStreamId(x)};
      if (Chance(0.3)) c.push_back(ExistingStreamId(x));
      if (Chance(0.6)) c.insert(c.end(), {"TIME", std::to_string(options_.base_ms - 1000)});
      if (Chance(0.6)) c.insert(c.end(), {"RETRYCOUNT", Int(1, 5)});
      if (Chance(0.6)) c.push_back("FORCE");
      if (Chance(0.5)) c.push_back("JUSTID");
      if (Chance(0.4)) c.insert(c.end(), {"LASTID", ExistingStreamId(x)});
      return c;
    }
    case 16: {
      Cmd c = {
          Name("xautoclaim"), x, g, consumer, "0", Chance(0.5) ? "0" : ExistingStreamId(x), "COUNT",
          Int(1, 10)};
      if (Chance(0.5)) c.push_back("JUSTID");
      return c;
    }
    case 17:
      if (!master) {
        // XSETID to just past the last ID this generator handed out.
        ++stream_ms_;
        Cmd c = {Name("xsetid"), x, StrCat(stream_ms_, "-5")};
        if (Chance(0.5)) c.insert(c.end(), {"ENTRIESADDED", Int(300, 400)});
        if (Chance(0.3)) c.insert(c.end(), {"MAXDELETEDID", StrCat(stream_ms_, "-1")});
        return c;
      }
      return {Name("xtrim"), x, "MAXLEN", "~", Int(0, 200)};
    default: {
      Cmd c = {Name("xadd"), x, StreamIdFor(x), "f0", Value()};
      return c;
    }
  }
}

std::vector<std::string> Workload::Functions() {
  family_ = "function";
  switch (rng_() % 6) {
    case 0:
    case 1:
    case 2: {
      int n = static_cast<int>(rng_() % 3);
      libraries_ = std::max(libraries_, n + 1);
      Cmd c = {Name("function"), "LOAD"};
      if (Chance(0.6)) c.push_back("REPLACE");
      c.push_back(LibraryCode(n));
      return c;
    }
    case 3:
    case 4:
      return {Name("function"), "DELETE", StrCat("lib", rng_() % 3)};
    default:
      if (Chance(0.2)) return {Name("function"), "FLUSH"};
      return {Name("function"), "DELETE", "lib9"};
  }
}

std::vector<std::string> Workload::Scripts() {
  family_ = "script";
  switch (rng_() % 5) {
    case 0:
      return {Name("eval"),
              "redis.call('set', KEYS[1], ARGV[1]) redis.call('incr', KEYS[2]) "
              "redis.call('rpush', KEYS[3], ARGV[1]) return 1",
              "3",
              Key('s'),
              Key('n'),
              Key('l'),
              Value()};
    case 1:
      return {Name("eval"), "return redis.call('zadd', KEYS[1], ARGV[1], ARGV[2])",
              "1",          Key('z'),
              Double(),     Member()};
    case 2:
      return {Name("fcall"), StrCat("push", rng_() % 3), "1", Key('l'), Member()};
    case 3:
      return {Name("fcall"), StrCat("bump", rng_() % 3), "2", Key('n'), Key('h'), Value()};
    default:
      return {Name("publish"), StrCat("chan", rng_() % 3), Value()};
  }
}

}  // namespace redlink::testing
