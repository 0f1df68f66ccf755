// ExecuteReadCommand: command lookup, arity checks (with Redis's error texts), dispatch; and
// the shared helpers of cmd_common.h.
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "engine/common/strings.h"
#include "engine/encoding/listpack.h"
#include "engine/keyspace/cmd_common.h"

namespace redlink::engine {
namespace cmd {

bool EqCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (absl::ascii_tolower(static_cast<unsigned char>(a[i])) !=
        absl::ascii_tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

bool ParseLL(std::string_view s, int64_t* v) { return listpack::StringToInt64Strict(s, v); }

bool ParseDouble(std::string_view s, double* v) {
  if (s.empty() || std::isspace(static_cast<unsigned char>(s[0]))) return false;
  std::string buf(s);
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(buf.c_str(), &end);
  if (static_cast<size_t>(end - buf.c_str()) != s.size()) return false;
  if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL || std::fpclassify(d) == FP_ZERO)) {
    return false;
  }
  if (std::isnan(d)) return false;
  *v = d;
  return true;
}

bool ParseLongDouble(std::string_view s, long double* v) {
  if (s.empty() || s.size() >= 5 * 1024 || std::isspace(static_cast<unsigned char>(s[0]))) {
    return false;
  }
  std::string buf(s);
  errno = 0;
  char* end = nullptr;
  long double d = std::strtold(buf.c_str(), &end);
  if (static_cast<size_t>(end - buf.c_str()) != s.size()) return false;
  if ((errno == ERANGE && (d == HUGE_VALL || d == -HUGE_VALL || std::fpclassify(d) == FP_ZERO)) ||
      errno == EINVAL || std::isnan(d)) {
    return false;
  }
  *v = d;
  return true;
}

bool GetLL(Ctx& c, std::string_view s, int64_t* v, const char* msg) {
  if (ParseLL(s, v)) return true;
  if (msg != nullptr) {
    c.Error(StrCat("ERR ", msg));
  } else {
    c.Error(kNotInteger);
  }
  return false;
}

bool GetRangeLong(Ctx& c, std::string_view s, int64_t min, int64_t max, int64_t* v,
                  const char* msg) {
  if (!GetLL(c, s, v, msg)) return false;
  if (*v < min || *v > max) {
    if (msg != nullptr) {
      c.Error(StrCat("ERR ", msg));
    } else {
      c.Error(StrCat("ERR value is out of range, value must between ", min, " and ", max));
    }
    return false;
  }
  return true;
}

bool GetPositiveLong(Ctx& c, std::string_view s, int64_t* v, const char* msg) {
  return GetRangeLong(c, s, 0, INT64_MAX, v,
                      msg != nullptr ? msg : "value is out of range, must be positive");
}

bool GetDouble(Ctx& c, std::string_view s, double* v, const char* msg) {
  if (ParseDouble(s, v)) return true;
  c.Error(msg != nullptr ? StrCat("ERR ", msg) : std::string(kNotFloat));
  return false;
}

std::string DoubleText(double d) {
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  int n = snprintf(buf, sizeof(buf), "%.17g", d);
  return std::string(buf, static_cast<size_t>(n));
}

void ReplyDouble(ReplyWriter& w, double d) {
  std::string t = DoubleText(d);
  if (w.protocol() >= 3) {
    std::string* out = w.out();
    out->push_back(',');
    out->append(t);
    out->append("\r\n");
  } else {
    w.Bulk(t);
  }
}

void ReplyHelp(Ctx& c, std::span<const char* const> lines) {
  std::string name(c[0]);
  for (char& ch : name) ch = absl::ascii_toupper(static_cast<unsigned char>(ch));
  c.w.ArrayHeader(lines.size() + 3);
  c.w.Simple(StrCat(name, " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"));
  for (const char* l : lines) c.w.Simple(l);
  c.w.Simple("HELP");
  c.w.Simple("    Prints this help.");
}

namespace {
std::string Header(int protocol, char kind, size_t n) {
  std::string h;
  ReplyWriter w(&h, protocol);
  if (kind == '*') w.ArrayHeader(n);
  if (kind == '%') w.MapHeader(n);
  if (kind == '~') w.SetHeader(n);
  return h;
}
}  // namespace

void Deferred::SetArray(size_t n) { w_.out()->insert(pos_, Header(w_.protocol(), '*', n)); }
void Deferred::SetMap(size_t n) { w_.out()->insert(pos_, Header(w_.protocol(), '%', n)); }
void Deferred::SetSet(size_t n) { w_.out()->insert(pos_, Header(w_.protocol(), '~', n)); }

namespace {

struct Spec {
  int arity;
  Handler fn;  // nullptr: known to Redis but not a read this module answers (kUnknown)
};

struct Container {
  int arity;
  absl::flat_hash_map<std::string, Spec> subs;
};

struct Table {
  absl::flat_hash_map<std::string, Spec> cmds;
  absl::flat_hash_map<std::string, Container> containers;
};

const Table& Commands() {
  static const Table* table = [] {
    auto* t = new Table();
    auto& m = t->cmds;
    m["dbsize"] = {1, DbsizeCmd};
    m["exists"] = {-2, ExistsCmd};
    m["type"] = {2, TypeCmd};
    m["ttl"] = {2, TtlCmd};
    m["pttl"] = {2, PttlCmd};
    m["expiretime"] = {2, ExpiretimeCmd};
    m["pexpiretime"] = {2, PexpiretimeCmd};
    m["keys"] = {2, KeysCmd};
    m["scan"] = {-2, ScanCmd};
    m["randomkey"] = {1, RandomkeyCmd};
    m["dump"] = {2, DumpCmd};
    m["touch"] = {-2, TouchCmd};
    m["get"] = {2, GetCmd};
    m["mget"] = {-2, MgetCmd};
    m["strlen"] = {2, StrlenCmd};
    m["getrange"] = {4, GetrangeCmd};
    m["substr"] = {4, GetrangeCmd};
    m["getbit"] = {3, GetbitCmd};
    m["bitcount"] = {-2, BitcountCmd};
    m["bitpos"] = {-3, BitposCmd};
    m["bitfield_ro"] = {-2, BitfieldRoCmd};
    m["lcs"] = {-3, LcsCmd};
    m["lrange"] = {4, LrangeCmd};
    m["llen"] = {2, LlenCmd};
    m["lindex"] = {3, LindexCmd};
    m["lpos"] = {-3, LposCmd};
    m["smembers"] = {2, SmembersCmd};
    m["sismember"] = {3, SismemberCmd};
    m["smismember"] = {-3, SmismemberCmd};
    m["scard"] = {2, ScardCmd};
    m["sscan"] = {-3, SscanCmd};
    m["srandmember"] = {-2, SrandmemberCmd};
    m["sinter"] = {-2, SinterCmd};
    m["sunion"] = {-2, SunionCmd};
    m["sdiff"] = {-2, SdiffCmd};
    m["sintercard"] = {-3, SintercardCmd};
    m["zrange"] = {-4, ZrangeCmd};
    m["zrangebyscore"] = {-4, ZrangebyscoreCmd};
    m["zrevrangebyscore"] = {-4, ZrevrangebyscoreCmd};
    m["zrangebylex"] = {-4, ZrangebylexCmd};
    m["zrevrangebylex"] = {-4, ZrevrangebylexCmd};
    m["zrevrange"] = {-4, ZrevrangeCmd};
    m["zscore"] = {3, ZscoreCmd};
    m["zmscore"] = {-3, ZmscoreCmd};
    m["zrank"] = {3, ZrankCmd};
    m["zrevrank"] = {3, ZrevrankCmd};
    m["zcard"] = {2, ZcardCmd};
    m["zcount"] = {4, ZcountCmd};
    m["zlexcount"] = {4, ZlexcountCmd};
    m["zscan"] = {-3, ZscanCmd};
    m["zrandmember"] = {-2, ZrandmemberCmd};
    m["zunion"] = {-3, ZunionCmd};
    m["zinter"] = {-3, ZinterCmd};
    m["zdiff"] = {-3, ZdiffCmd};
    m["zintercard"] = {-3, ZintercardCmd};
    m["hget"] = {3, HgetCmd};
    m["hmget"] = {-3, HmgetCmd};
    m["hgetall"] = {2, HgetallCmd};
    m["hkeys"] = {2, HkeysCmd};
    m["hvals"] = {2, HvalsCmd};
    m["hlen"] = {2, HlenCmd};
    m["hexists"] = {3, HexistsCmd};
    m["hstrlen"] = {3, HstrlenCmd};
    m["hscan"] = {-3, HscanCmd};
    m["hrandfield"] = {-2, HrandfieldCmd};
    m["httl"] = {-5, HttlCmd};
    m["hpttl"] = {-5, HpttlCmd};
    m["hexpiretime"] = {-5, HexpiretimeCmd};
    m["hpexpiretime"] = {-5, HpexpiretimeCmd};
    m["xrange"] = {-4, XrangeCmd};
    m["xrevrange"] = {-4, XrevrangeCmd};
    m["xlen"] = {2, XlenCmd};
    m["xread"] = {-4, XreadCmd};
    m["xpending"] = {-3, XpendingCmd};
    m["pfcount"] = {-2, PfcountCmd};
    m["sort_ro"] = {-2, SortRoCmd};
    m["geopos"] = {-2, GeoposCmd};
    m["geodist"] = {-4, GeodistCmd};
    m["geohash"] = {-2, GeohashCmd};
    m["geosearch"] = {-7, GeosearchCmd};
    m["georadius_ro"] = {-6, GeoradiusRoCmd};
    m["georadiusbymember_ro"] = {-5, GeoradiusbymemberRoCmd};

    auto& c = t->containers;
    c["object"] = Container{-2,
                            {{"encoding", {3, ObjectEncodingCmd}},
                             {"freq", {3, ObjectFreqCmd}},
                             {"help", {2, ObjectHelpCmd}},
                             {"idletime", {3, ObjectIdletimeCmd}},
                             {"refcount", {3, ObjectRefcountCmd}}}};
    c["memory"] = Container{-2,
                            {{"doctor", {2, nullptr}},
                             {"help", {2, MemoryHelpCmd}},
                             {"malloc-stats", {2, nullptr}},
                             {"purge", {2, nullptr}},
                             {"stats", {2, nullptr}},
                             {"usage", {-3, MemoryUsageCmd}}}};
    c["xinfo"] = Container{-2,
                           {{"consumers", {4, XinfoConsumersCmd}},
                            {"groups", {3, XinfoGroupsCmd}},
                            {"help", {2, XinfoHelpCmd}},
                            {"stream", {-3, XinfoStreamCmd}}}};
    c["function"] = Container{-2,
                              {{"delete", {3, nullptr}},
                               {"dump", {2, FunctionDumpCmd}},
                               {"flush", {-2, nullptr}},
                               {"help", {2, FunctionHelpCmd}},
                               {"kill", {2, FunctionKillCmd}},
                               {"list", {-2, FunctionListCmd}},
                               {"load", {-3, nullptr}},
                               {"restore", {-3, nullptr}},
                               {"stats", {2, FunctionStatsCmd}}}};
    return t;
  }();
  return *table;
}

std::string Lower(std::string_view s) {
  std::string r(s);
  for (char& ch : r) ch = absl::ascii_tolower(static_cast<unsigned char>(ch));
  return r;
}

bool ArityOk(int arity, size_t argc) {
  if (arity > 0) return static_cast<size_t>(arity) == argc;
  return argc >= static_cast<size_t>(-arity);
}

}  // namespace
}  // namespace cmd

namespace {

// The handler for `args` after the checks, or nullptr (and `check` says why).
cmd::Handler FindReadCommand(std::span<const std::string_view> args, ReplyWriter& reply,
                             CommandCheck* check) {
  using namespace cmd;  // NOLINT
  *check = CommandCheck::kUnknown;
  if (args.empty()) return nullptr;
  const Table& t = Commands();
  std::string name = Lower(args[0]);
  if (auto it = t.cmds.find(name); it != t.cmds.end()) {
    if (!ArityOk(it->second.arity, args.size())) {
      reply.Error(StrCat("ERR wrong number of arguments for '", name, "' command"));
      *check = CommandCheck::kRejected;
      return nullptr;
    }
    *check = CommandCheck::kOk;
    return it->second.fn;
  }
  auto ct = t.containers.find(name);
  if (ct == t.containers.end()) return nullptr;
  if (args.size() == 1) {
    reply.Error(StrCat("ERR wrong number of arguments for '", name, "' command"));
    *check = CommandCheck::kRejected;
    return nullptr;
  }
  std::string sub = Lower(args[1]);
  auto st = ct->second.subs.find(sub);
  if (st == ct->second.subs.end()) {
    std::string upper(args[0]);
    for (char& ch : upper) ch = absl::ascii_toupper(static_cast<unsigned char>(ch));
    std::string_view shown = args[1].substr(0, args[1].find('\0')).substr(0, 128);
    reply.Error(StrCat("ERR unknown subcommand '", shown, "'. Try ", upper, " HELP."));
    *check = CommandCheck::kRejected;
    return nullptr;
  }
  if (st->second.fn == nullptr) return nullptr;
  if (!ArityOk(st->second.arity, args.size())) {
    reply.Error(StrCat("ERR wrong number of arguments for '", name, "|", sub, "' command"));
    *check = CommandCheck::kRejected;
    return nullptr;
  }
  *check = CommandCheck::kOk;
  return st->second.fn;
}

}  // namespace

std::vector<std::string> ReadCommandNames() {
  const cmd::Table& t = cmd::Commands();
  std::vector<std::string> names;
  for (const auto& [name, spec] : t.cmds) names.push_back(name);
  for (const auto& [name, container] : t.containers) names.push_back(name);
  return names;
}

CommandCheck CheckReadCommand(std::span<const std::string_view> args, ReplyWriter& reply) {
  CommandCheck check;
  FindReadCommand(args, reply, &check);
  return check;
}

CommandOutcome ExecuteReadCommand(Keyspace& keyspace, CommandContext& ctx,
                                  std::span<const std::string_view> args, ReplyWriter& reply) {
  reply.set_protocol(ctx.protocol);
  CommandCheck check;
  cmd::Handler fn = FindReadCommand(args, reply, &check);
  if (check == CommandCheck::kUnknown) return CommandOutcome::kUnknown;
  if (fn != nullptr) {
    cmd::Ctx c{keyspace, ctx, args, reply};
    fn(c);
  }
  return CommandOutcome::kDone;
}

}  // namespace redlink::engine
