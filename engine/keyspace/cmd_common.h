#pragma once
// Shared helpers of the read commands (internal to engine/keyspace): the per-command context,
// Redis's argument parsers with their exact error replies, and reply helpers that RESP2/RESP3
// format the way Redis 7.0 does.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine/keyspace/keyspace.h"
#include "engine/protocol/resp_writer.h"

namespace redlink::engine::cmd {

// Error texts shared by many commands (Redis's shared.* objects).
inline constexpr std::string_view kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kSyntaxErr = "ERR syntax error";
inline constexpr std::string_view kNotInteger = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloat = "ERR value is not a valid float";
inline constexpr std::string_view kOutOfRange = "ERR value is out of range";
inline constexpr std::string_view kNoSuchKey = "ERR no such key";
// SRANDMEMBER/ZRANDMEMBER/HRANDFIELD with a negative count repeat elements without bound; a
// reply of billions of elements would exhaust the memory of every link in the process, so
// counts beyond this are refused (Redis would try to send them).
inline constexpr uint64_t kMaxSampledReply = uint64_t{1} << 24;
inline constexpr std::string_view kSampleTooLarge =
    "ERR count is too large (more than 16777216 sampled elements)";

struct Ctx {
  Keyspace& ks;
  CommandContext& cc;
  std::span<const std::string_view> argv;
  ReplyWriter& w;

  size_t argc() const { return argv.size(); }
  std::string_view operator[](size_t i) const { return argv[i]; }
  int resp() const { return cc.protocol; }
  int64_t now() const { return cc.now_ms; }
  // The key as a client read sees it (nullptr if absent or expired).
  KeyEntry* Lookup(std::string_view key) {
    Db* d = ks.FindDb(cc.db);
    return d == nullptr ? nullptr : d->FindLive(key, cc.now_ms);
  }
  // Ignoring TTLs (MEMORY USAGE).
  KeyEntry* LookupRaw(std::string_view key) {
    Db* d = ks.FindDb(cc.db);
    return d == nullptr ? nullptr : d->Find(key);
  }
  Db* db() { return ks.FindDb(cc.db); }

  void Error(std::string_view e) { w.Error(e); }
  void WrongType() { w.Error(kWrongType); }
  void Syntax() { w.Error(kSyntaxErr); }
};

bool EqCase(std::string_view a, std::string_view b);

// Redis's string2ll (strict canonical int64).
bool ParseLL(std::string_view s, int64_t* v);
// Redis's string2d / string2ld (strtod/strtold, whole string, no leading space, no NaN).
bool ParseDouble(std::string_view s, double* v);
bool ParseLongDouble(std::string_view s, long double* v);

// Parsers that reply with Redis's error on failure (msg replaces the default text, without
// the "ERR " prefix as Redis's msg arguments are written).
bool GetLL(Ctx& c, std::string_view s, int64_t* v, const char* msg = nullptr);
bool GetRangeLong(Ctx& c, std::string_view s, int64_t min, int64_t max, int64_t* v,
                  const char* msg = nullptr);
bool GetPositiveLong(Ctx& c, std::string_view s, int64_t* v, const char* msg = nullptr);
bool GetDouble(Ctx& c, std::string_view s, double* v, const char* msg = nullptr);

// Replies a double as Redis 7.0's addReplyDouble ("%.17g"; inf/-inf).
void ReplyDouble(ReplyWriter& w, double d);
// Formats as "%.17g" (inf/-inf), the text ReplyDouble sends.
std::string DoubleText(double d);
// Redis's addReplyHelp.
void ReplyHelp(Ctx& c, std::span<const char* const> lines);

// A header whose count is only known after the elements are written (Redis's deferred
// lengths): remembers the position and inserts the header there.
class Deferred {
 public:
  explicit Deferred(ReplyWriter& w) : w_(w), pos_(w.out()->size()) {}
  void SetArray(size_t n);
  void SetMap(size_t pairs);
  void SetSet(size_t n);

 private:
  ReplyWriter& w_;
  size_t pos_;
};

// Checks the type of a looked-up key, replying WRONGTYPE if it differs.
inline bool CheckType(Ctx& c, const KeyEntry* e, ObjType t) {
  if (obj::Type(e) != t) {
    c.WrongType();
    return false;
  }
  return true;
}

// Command handlers (one per command; the dispatcher checked the arity).
using Handler = void (*)(Ctx&);

// Per-group handler declarations (defined in cmd_*.cc).
#define REDLINK_CMD(name) void name(Ctx& c)
// Keys / generic
REDLINK_CMD(DbsizeCmd);
REDLINK_CMD(ExistsCmd);
REDLINK_CMD(TypeCmd);
REDLINK_CMD(TtlCmd);
REDLINK_CMD(PttlCmd);
REDLINK_CMD(ExpiretimeCmd);
REDLINK_CMD(PexpiretimeCmd);
REDLINK_CMD(KeysCmd);
REDLINK_CMD(ScanCmd);
REDLINK_CMD(RandomkeyCmd);
REDLINK_CMD(DumpCmd);
REDLINK_CMD(TouchCmd);
REDLINK_CMD(ObjectHelpCmd);
REDLINK_CMD(ObjectEncodingCmd);
REDLINK_CMD(ObjectRefcountCmd);
REDLINK_CMD(ObjectIdletimeCmd);
REDLINK_CMD(ObjectFreqCmd);
REDLINK_CMD(MemoryHelpCmd);
REDLINK_CMD(MemoryUsageCmd);
// Strings
REDLINK_CMD(GetCmd);
REDLINK_CMD(MgetCmd);
REDLINK_CMD(StrlenCmd);
REDLINK_CMD(GetrangeCmd);
REDLINK_CMD(GetbitCmd);
REDLINK_CMD(BitcountCmd);
REDLINK_CMD(BitposCmd);
REDLINK_CMD(LcsCmd);
REDLINK_CMD(BitfieldRoCmd);
// Lists
REDLINK_CMD(LrangeCmd);
REDLINK_CMD(LlenCmd);
REDLINK_CMD(LindexCmd);
REDLINK_CMD(LposCmd);
// Sets
REDLINK_CMD(SmembersCmd);
REDLINK_CMD(SismemberCmd);
REDLINK_CMD(SmismemberCmd);
REDLINK_CMD(ScardCmd);
REDLINK_CMD(SscanCmd);
REDLINK_CMD(SrandmemberCmd);
REDLINK_CMD(SinterCmd);
REDLINK_CMD(SunionCmd);
REDLINK_CMD(SdiffCmd);
REDLINK_CMD(SintercardCmd);
// Sorted sets
REDLINK_CMD(ZrangeCmd);
REDLINK_CMD(ZrangebyscoreCmd);
REDLINK_CMD(ZrevrangebyscoreCmd);
REDLINK_CMD(ZrangebylexCmd);
REDLINK_CMD(ZrevrangebylexCmd);
REDLINK_CMD(ZrevrangeCmd);
REDLINK_CMD(ZscoreCmd);
REDLINK_CMD(ZmscoreCmd);
REDLINK_CMD(ZrankCmd);
REDLINK_CMD(ZrevrankCmd);
REDLINK_CMD(ZcardCmd);
REDLINK_CMD(ZcountCmd);
REDLINK_CMD(ZlexcountCmd);
REDLINK_CMD(ZscanCmd);
REDLINK_CMD(ZrandmemberCmd);
REDLINK_CMD(ZunionCmd);
REDLINK_CMD(ZinterCmd);
REDLINK_CMD(ZdiffCmd);
REDLINK_CMD(ZintercardCmd);
// Hashes
REDLINK_CMD(HgetCmd);
REDLINK_CMD(HmgetCmd);
REDLINK_CMD(HgetallCmd);
REDLINK_CMD(HkeysCmd);
REDLINK_CMD(HvalsCmd);
REDLINK_CMD(HlenCmd);
REDLINK_CMD(HexistsCmd);
REDLINK_CMD(HstrlenCmd);
REDLINK_CMD(HscanCmd);
REDLINK_CMD(HrandfieldCmd);
REDLINK_CMD(HttlCmd);
REDLINK_CMD(HpttlCmd);
REDLINK_CMD(HexpiretimeCmd);
REDLINK_CMD(HpexpiretimeCmd);
// Streams
REDLINK_CMD(XrangeCmd);
REDLINK_CMD(XrevrangeCmd);
REDLINK_CMD(XlenCmd);
REDLINK_CMD(XreadCmd);
REDLINK_CMD(XinfoHelpCmd);
REDLINK_CMD(XinfoStreamCmd);
REDLINK_CMD(XinfoGroupsCmd);
REDLINK_CMD(XinfoConsumersCmd);
REDLINK_CMD(XpendingCmd);
// Others
REDLINK_CMD(PfcountCmd);
REDLINK_CMD(FunctionListCmd);
REDLINK_CMD(FunctionDumpCmd);
REDLINK_CMD(FunctionKillCmd);
REDLINK_CMD(FunctionStatsCmd);
REDLINK_CMD(FunctionHelpCmd);
REDLINK_CMD(SortRoCmd);
REDLINK_CMD(GeoposCmd);
REDLINK_CMD(GeodistCmd);
REDLINK_CMD(GeohashCmd);
REDLINK_CMD(GeosearchCmd);
REDLINK_CMD(GeoradiusRoCmd);
REDLINK_CMD(GeoradiusbymemberRoCmd);
#undef REDLINK_CMD

}  // namespace redlink::engine::cmd
