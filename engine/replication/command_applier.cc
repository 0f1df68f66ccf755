// The command applier: a flat table of every write command a Redis 7.0/7.2/7.4 or Valkey 8
// master can propagate (protocol doc §5.7/§5.8), dispatched case-insensitively through a hash map
// built once, plus the argument parsers and helpers the per-family files share.
#include "engine/replication/command_applier.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "engine/common/string_map.h"
#include "engine/common/strings.h"
#include "engine/encoding/listpack.h"
#include "engine/protocol/resp_writer.h"
#include "engine/replication/apply_internal.h"

namespace redlink::engine {
namespace apply {
namespace {

struct CommandSpec {
  const char* name;  // lower case
  Handler handler;
  int arity;  // Redis's: N exact, -N at least N
};

// Arity is Redis 7.0's COMMAND INFO (7.4's for the hash-field TTL commands).
constexpr CommandSpec kCommands[] = {
    // Strings and bits.
    {"set", SetCmd, -3},
    {"setnx", SetnxCmd, 3},
    {"setex", SetexCmd, 4},
    {"psetex", PsetexCmd, 4},
    {"getset", GetsetCmd, 3},
    {"getdel", GetdelCmd, 2},
    {"getex", GetexCmd, -2},
    {"append", AppendCmd, 3},
    {"setrange", SetrangeCmd, 4},
    {"incr", IncrCmd, 2},
    {"decr", DecrCmd, 2},
    {"incrby", IncrbyCmd, 3},
    {"decrby", DecrbyCmd, 3},
    {"incrbyfloat", IncrbyfloatCmd, 3},
    {"mset", MsetCmd, -3},
    {"msetnx", MsetnxCmd, -3},
    {"setbit", SetbitCmd, 4},
    {"bitfield", BitfieldCmd, -2},
    {"bitop", BitopCmd, -4},
    // HyperLogLog.
    {"pfadd", PfaddCmd, -2},
    {"pfmerge", PfmergeCmd, -2},
    {"pfcount", PfcountCmd, -2},
    {"pfdebug", PfdebugCmd, 3},
    // Keys.
    {"del", DelCmd, -2},
    {"unlink", DelCmd, -2},
    {"expire", ExpireCmd, -3},
    {"pexpire", PexpireCmd, -3},
    {"expireat", ExpireatCmd, -3},
    {"pexpireat", PexpireatCmd, -3},
    {"persist", PersistCmd, 2},
    {"rename", RenameCmd, 3},
    {"renamenx", RenamenxCmd, 3},
    {"move", MoveCmd, 3},
    {"copy", CopyCmd, -3},
    {"swapdb", SwapdbCmd, 3},
    {"flushdb", FlushdbCmd, -1},
    {"flushall", FlushallCmd, -1},
    {"restore", RestoreCmd, -4},
    {"restore-asking", RestoreCmd, -4},
    {"sort", SortCmd, -2},
    // Lists.
    {"lpush", LpushCmd, -3},
    {"rpush", RpushCmd, -3},
    {"lpushx", LpushxCmd, -3},
    {"rpushx", RpushxCmd, -3},
    {"linsert", LinsertCmd, 5},
    {"lset", LsetCmd, 4},
    {"lrem", LremCmd, 4},
    {"ltrim", LtrimCmd, 4},
    {"lpop", LpopCmd, -2},
    {"rpop", RpopCmd, -2},
    {"rpoplpush", RpoplpushCmd, 3},
    {"lmove", LmoveCmd, 5},
    {"lmpop", LmpopCmd, -4},
    {"blpop", BlpopCmd, -3},
    {"brpop", BrpopCmd, -3},
    {"brpoplpush", BrpoplpushCmd, 4},
    {"blmove", BlmoveCmd, 6},
    {"blmpop", BlmpopCmd, -5},
    // Sets.
    {"sadd", SaddCmd, -3},
    {"srem", SremCmd, -3},
    {"smove", SmoveCmd, 4},
    {"spop", SpopCmd, -2},
    {"sinterstore", SinterstoreCmd, -3},
    {"sunionstore", SunionstoreCmd, -3},
    {"sdiffstore", SdiffstoreCmd, -3},
    // Sorted sets and GEO.
    {"zadd", ZaddCmd, -4},
    {"zincrby", ZincrbyCmd, 4},
    {"zrem", ZremCmd, -3},
    {"zremrangebyscore", ZremrangebyscoreCmd, 4},
    {"zremrangebyrank", ZremrangebyrankCmd, 4},
    {"zremrangebylex", ZremrangebylexCmd, 4},
    {"zunionstore", ZunionstoreCmd, -4},
    {"zinterstore", ZinterstoreCmd, -4},
    {"zdiffstore", ZdiffstoreCmd, -4},
    {"zrangestore", ZrangestoreCmd, -5},
    {"zpopmin", ZpopminCmd, -2},
    {"zpopmax", ZpopmaxCmd, -2},
    {"zmpop", ZmpopCmd, -4},
    {"bzpopmin", BzpopminCmd, -3},
    {"bzpopmax", BzpopmaxCmd, -3},
    {"bzmpop", BzmpopCmd, -5},
    {"geoadd", GeoaddCmd, -5},
    {"geosearchstore", GeosearchstoreCmd, -8},
    {"georadius", GeoradiusCmd, -6},
    {"georadiusbymember", GeoradiusbymemberCmd, -5},
    // Hashes (and Redis 7.4 field TTLs).
    {"hset", HsetCmd, -4},
    {"hmset", HsetCmd, -4},
    {"hsetnx", HsetnxCmd, 4},
    {"hdel", HdelCmd, -3},
    {"hincrby", HincrbyCmd, 4},
    {"hincrbyfloat", HincrbyfloatCmd, 4},
    {"hexpire", HexpireCmd, -6},
    {"hpexpire", HpexpireCmd, -6},
    {"hexpireat", HexpireatCmd, -6},
    {"hpexpireat", HpexpireatCmd, -6},
    {"hpersist", HpersistCmd, -5},
    // Streams.
    {"xadd", XaddCmd, -5},
    {"xdel", XdelCmd, -3},
    {"xtrim", XtrimCmd, -4},
    {"xsetid", XsetidCmd, -3},
    {"xgroup", XgroupCmd, -2},
    {"xack", XackCmd, -4},
    {"xclaim", XclaimCmd, -6},
    {"xautoclaim", XautoclaimCmd, -6},
    // Functions and pub/sub.
    {"function", FunctionCmd, -2},
    {"script", ScriptCmd, -2},
    {"publish", PublishCmd, 3},
    {"spublish", PublishCmd, 3},
};

// Longest command name + 1 (the lower-casing buffer).
constexpr size_t kMaxNameLen = 32;

const StringMap<const CommandSpec*>& CommandTable() {
  static const auto* table = [] {
    auto* t = new StringMap<const CommandSpec*>();
    t->reserve(std::size(kCommands));
    for (const CommandSpec& spec : kCommands) t->emplace(spec.name, &spec);
    return t;
  }();
  return *table;
}

// Looks up a command name in any case; the lower-case name goes to `lower` (kMaxNameLen bytes).
const CommandSpec* FindCommand(std::string_view name, char* lower) {
  if (name.empty() || name.size() >= kMaxNameLen) return nullptr;
  for (size_t i = 0; i < name.size(); ++i) {
    char ch = name[i];
    lower[i] = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch + ('a' - 'A')) : ch;
  }
  const auto& table = CommandTable();
  auto it = table.find(std::string_view(lower, name.size()));
  return it == table.end() ? nullptr : it->second;
}

}  // namespace

// ---- errors ------------------------------------------------------------------------------------

absl::Status Err(std::string_view msg) { return absl::InvalidArgumentError(ToAbsl(msg)); }
absl::Status Refuse(std::string_view msg) { return absl::FailedPreconditionError(ToAbsl(msg)); }

absl::Status ArityErr(std::string_view command) {
  return Err(StrCat("ERR wrong number of arguments for '", command, "' command"));
}

// ---- parsing -----------------------------------------------------------------------------------

bool EqCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

bool ParseLL(std::string_view s, int64_t* v) {
  // util.c string2ll: optional '-', then digits with no leading zero ("0" alone is fine).
  if (s.empty() || s.size() > 20) return false;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    if (s.size() == 1) return false;
    i = 1;
  }
  if (s.size() == 1 && s[0] == '0') {
    *v = 0;
    return true;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t u = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (u > (UINT64_MAX - d) / 10) return false;
    u = u * 10 + d;
  }
  if (neg) {
    if (u > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *v = static_cast<int64_t>(0 - u);
  } else {
    if (u > static_cast<uint64_t>(INT64_MAX)) return false;
    *v = static_cast<int64_t>(u);
  }
  return true;
}

bool ParseDouble(std::string_view s, double* v) {
  // util.c string2d: whole string, no leading space, not NaN (ERANGE is accepted).
  char buf[256];
  if (s.empty() || s.size() >= sizeof(buf)) return false;
  if (std::isspace(static_cast<unsigned char>(s[0]))) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end;
  errno = 0;
  double d = std::strtod(buf, &end);
  if (static_cast<size_t>(end - buf) != s.size() || std::isnan(d)) return false;
  *v = d;
  return true;
}

bool ParseLongDouble(std::string_view s, long double* v) {
  // util.c string2ld (MAX_LONG_DOUBLE_CHARS = 5k).
  char buf[5 * 1024];
  if (s.empty() || s.size() >= sizeof(buf)) return false;
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  char* end;
  errno = 0;
  long double d = std::strtold(buf, &end);
  if (std::isspace(static_cast<unsigned char>(buf[0])) || *end != '\0' ||
      static_cast<size_t>(end - buf) != s.size() ||
      (errno == ERANGE && (d == HUGE_VALL || d == -HUGE_VALL || std::fpclassify(d) == FP_ZERO)) ||
      std::isnan(d)) {
    return false;
  }
  *v = d;
  return true;
}

absl::Status GetLL(std::string_view s, int64_t* v, std::string_view msg) {
  if (!ParseLL(s, v)) return Err(msg);
  return absl::OkStatus();
}

absl::Status GetLong(std::string_view s, int64_t* v, std::string_view msg) {
  return GetLL(s, v, msg);  // long is 64-bit here
}

absl::Status GetInt(std::string_view s, int* v, std::string_view msg) {
  int64_t ll;
  if (!ParseLL(s, &ll) || ll < INT32_MIN || ll > INT32_MAX) return Err(msg);
  *v = static_cast<int>(ll);
  return absl::OkStatus();
}

absl::Status GetPositiveLong(std::string_view s, int64_t* v) {
  if (!ParseLL(s, v)) return Err(kNotIntegerErr);
  if (*v < 0) return Err("ERR value is out of range, must be positive");
  return absl::OkStatus();
}

absl::Status GetRangeLong(std::string_view s, int64_t min, int64_t max, int64_t* v,
                          std::string_view msg) {
  if (!ParseLL(s, v) || *v < min || *v > max) return Err(msg);
  return absl::OkStatus();
}

absl::Status GetDouble(std::string_view s, double* v, std::string_view msg) {
  if (!ParseDouble(s, v)) return Err(msg);
  return absl::OkStatus();
}

absl::Status GetLongDouble(std::string_view s, long double* v, std::string_view msg) {
  if (!ParseLongDouble(s, v)) return Err(msg);
  return absl::OkStatus();
}

absl::Status GetDbIndex(std::string_view s, int* db, std::string_view msg) {
  int v = 0;
  if (absl::Status st = GetInt(s, &v, msg); !st.ok()) return st;
  if (v < 0 || v > kMaxDbIndex) return Err(kDbIndexErr);
  *db = v;
  return absl::OkStatus();
}

// ---- formatting --------------------------------------------------------------------------------

bool LongDoubleToHuman(long double v, char* buf, size_t cap, size_t* len) {
  // util.c ld2string, LD_STR_HUMAN mode.
  if (std::isinf(v) || std::isnan(v)) return false;
  int l = std::snprintf(buf, cap, "%.17Lf", v);
  if (l < 0 || static_cast<size_t>(l) + 1 > cap) return false;
  if (std::memchr(buf, '.', static_cast<size_t>(l)) != nullptr) {
    char* p = buf + l - 1;
    while (*p == '0') {
      --p;
      --l;
    }
    if (*p == '.') --l;
  }
  if (l == 2 && buf[0] == '-' && buf[1] == '0') {
    buf[0] = '0';
    l = 1;
  }
  *len = static_cast<size_t>(l);
  return true;
}

std::string_view IntToText(int64_t v, char* buf) {
  char* end = absl::numbers_internal::FastIntToBuffer(v, buf);
  return std::string_view(buf, static_cast<size_t>(end - buf));
}

// ---- shared value helpers ----------------------------------------------------------------------

KeyEntry* PutEntry(Keyspace& ks, int db, KeyEntry* fresh) {
  ks.Put(db, fresh);
  return fresh;
}

uint64_t ContainerSize(const KeyEntry* e) {
  switch (obj::Type(e)) {
    case ObjType::kList:
      return list::Length(e);
    case ObjType::kSet:
      return set::Size(e);
    case ObjType::kZset:
      return zset::Size(e);
    case ObjType::kHash:
      return hash::Length(e);
    case ObjType::kStream:
      return static_cast<const Stream*>(obj::Ptr(e))->length;
    case ObjType::kString:
      return 1;
  }
  return 1;
}

void DeleteIfEmpty(Keyspace& ks, int db, KeyEntry* e) {
  if (obj::Type(e) != ObjType::kString && obj::Type(e) != ObjType::kStream &&
      ContainerSize(e) == 0) {
    ks.Delete(db, obj::Key(e));
  }
}

std::string& Scratch(int slot) {
  thread_local std::string scratch[4];
  return scratch[slot & 3];
}

absl::Status RunRead(Call& c, std::span<const std::string_view> args, RespValue* out) {
  std::string& reply = Scratch(3);
  reply.clear();
  ReplyWriter w(&reply, 2);
  // now_ms = INT64_MIN: no key or hash field counts as expired.
  CommandContext cc{c.db(), 2, INT64_MIN, 10};
  if (ExecuteReadCommand(c.ks, cc, args, w) != CommandOutcome::kDone) {
    return absl::InternalError(StrCat("read command '", args[0], "' is not available"));
  }
  RespParser parser;
  size_t consumed = 0;
  if (parser.ParseReply(reply, out, &consumed) != ParseResult::kOk) {
    return absl::InternalError(StrCat("unreadable reply from '", args[0], "'"));
  }
  if (out->IsError()) {
    if (out->str.substr(0, 9) == "WRONGTYPE") return Refuse(out->str);
    return Err(out->str);
  }
  return absl::OkStatus();
}

}  // namespace apply

absl::Status ApplyCommand(Keyspace& keyspace, ApplyContext& ctx,
                          std::span<const std::string_view> args) {
  if (args.empty()) return absl::InvalidArgumentError("empty command");
  char lower[apply::kMaxNameLen];
  const apply::CommandSpec* spec = apply::FindCommand(args[0], lower);
  if (spec == nullptr) {
    return absl::UnimplementedError(StrCat("unsupported command '", args[0], "'"));
  }
  size_t argc = args.size();
  if ((spec->arity > 0 && argc != static_cast<size_t>(spec->arity)) ||
      (spec->arity < 0 && argc < static_cast<size_t>(-spec->arity))) {
    return apply::ArityErr(spec->name);
  }
  apply::Call call{keyspace, ctx, args, spec->name};
  return spec->handler(call);
}

bool IsSupportedCommand(std::string_view name) {
  char lower[apply::kMaxNameLen];
  return apply::FindCommand(name, lower) != nullptr;
}

}  // namespace redlink::engine
