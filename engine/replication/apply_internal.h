#pragma once
// Internals of the command applier (command_applier.h): the per-command call context, Redis's
// argument parsers with their exact error texts, and the handler declarations of every command
// family (apply_<family>.cc). Loop thread only.
//
// Conventions every handler follows:
//   * Keys are looked up with Db::Find: commands from the master see logically expired keys
//     (Redis: lookupKey* never expires keys for the master client, db.c expireIfNeeded).
//   * All validation (arguments, types) happens before the first mutation, so an error status
//     leaves the keyspace unchanged.
//   * Container edits go through Keyspace::Edit / BeginEdit+EndEdit; a container a command
//     empties is deleted, as Redis does.
//   * Errors carry Redis's reply text ("ERR ...", "WRONGTYPE ...").

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "engine/keyspace/keyspace.h"
#include "engine/keyspace/values.h"
#include "engine/protocol/resp_parser.h"
#include "engine/replication/command_applier.h"

namespace redlink::engine::apply {

using Argv = std::span<const std::string_view>;

// Error texts shared by many commands (Redis's shared.* objects).
inline constexpr std::string_view kWrongTypeErr =
    "WRONGTYPE Operation against a key holding the wrong kind of value";
inline constexpr std::string_view kSyntaxErr = "ERR syntax error";
inline constexpr std::string_view kNotIntegerErr = "ERR value is not an integer or out of range";
inline constexpr std::string_view kNotFloatErr = "ERR value is not a valid float";
inline constexpr std::string_view kNoSuchKeyErr = "ERR no such key";
inline constexpr std::string_view kOutOfRangeErr = "ERR index out of range";
inline constexpr std::string_view kSameObjectErr =
    "ERR source and destination objects are the same";
inline constexpr std::string_view kDbIndexErr = "ERR DB index is out of range";

// Highest database index a command may address (the link accepts SELECT up to this too).
inline constexpr int64_t kMaxDbIndex = 1 << 20;

// One command being applied.
struct Call {
  Keyspace& ks;
  ApplyContext& ctx;
  Argv argv;
  std::string_view name;  // the command's lower-case name (error messages)

  size_t argc() const { return argv.size(); }
  std::string_view operator[](size_t i) const { return argv[i]; }
  int db() const { return ctx.db; }
  // The key in the selected database regardless of its TTL; nullptr if absent.
  KeyEntry* Find(std::string_view key) const { return FindIn(ctx.db, key); }
  KeyEntry* FindIn(int db, std::string_view key) const {
    Db* d = ks.FindDb(db);
    return d == nullptr ? nullptr : d->Find(key);
  }
};

using Handler = absl::Status (*)(Call&);

// ---- errors ------------------------------------------------------------------------------------

absl::Status Err(std::string_view msg);  // a command error with Redis's text (INVALID_ARGUMENT)
// An error about the data rather than the arguments (WRONGTYPE, BUSYKEY, NOGROUP, ...):
// FAILED_PRECONDITION with Redis's text.
absl::Status Refuse(std::string_view msg);
inline absl::Status WrongType() { return Refuse(kWrongTypeErr); }
inline absl::Status Syntax() { return Err(kSyntaxErr); }
absl::Status ArityErr(std::string_view command);  // "ERR wrong number of arguments for '<cmd>'..."
// Checks the type of an existing entry (nullptr passes).
inline absl::Status CheckType(const KeyEntry* e, ObjType t) {
  if (e != nullptr && obj::Type(e) != t) return WrongType();
  return absl::OkStatus();
}

// ---- parsing (Redis util.c semantics) -----------------------------------------------------------

bool EqCase(std::string_view a, std::string_view b);
// string2ll: canonical int64 only (no '+', no leading zeros, no spaces).
bool ParseLL(std::string_view s, int64_t* v);
// string2d: strtod over the whole string, no leading space, not NaN.
bool ParseDouble(std::string_view s, double* v);
// string2ld: strtold over the whole string, no leading space, not NaN, ERANGE rejected.
bool ParseLongDouble(std::string_view s, long double* v);

// get*FromObjectOrReply: on failure an error with `msg` (default: Redis's shared text).
absl::Status GetLL(std::string_view s, int64_t* v, std::string_view msg = kNotIntegerErr);
absl::Status GetLong(std::string_view s, int64_t* v, std::string_view msg = kNotIntegerErr);
absl::Status GetInt(std::string_view s, int* v, std::string_view msg = kNotIntegerErr);
// getPositiveLongFromObjectOrReply: >= 0 ("ERR value is out of range, must be positive").
absl::Status GetPositiveLong(std::string_view s, int64_t* v);
// getRangeLongFromObjectOrReply.
absl::Status GetRangeLong(std::string_view s, int64_t min, int64_t max, int64_t* v,
                          std::string_view msg);
absl::Status GetDouble(std::string_view s, double* v, std::string_view msg = kNotFloatErr);
absl::Status GetLongDouble(std::string_view s, long double* v, std::string_view msg = kNotFloatErr);
// A database index for MOVE/COPY/SWAPDB (selectDb's range check).
absl::Status GetDbIndex(std::string_view s, int* db, std::string_view msg = kNotIntegerErr);

// ---- formatting --------------------------------------------------------------------------------

// ld2string(LD_STR_HUMAN): "%.17Lf" without trailing zeros (INCRBYFLOAT, HINCRBYFLOAT).
// `buf` must hold 5 KB (MAX_LONG_DOUBLE_CHARS). Returns false for NaN/inf.
bool LongDoubleToHuman(long double v, char* buf, size_t cap, size_t* len);
// Decimal text of v into buf (>= 21 bytes).
std::string_view IntToText(int64_t v, char* buf);

// ---- shared value helpers ----------------------------------------------------------------------

// The string value of a string entry (ints rendered into buf, >= 24 bytes).
inline std::string_view StringOf(const KeyEntry* e, char* buf) { return obj::StringValue(e, buf); }
// Replaces (or creates) `key` in `db` with a fresh entry; returns it. Any old value is freed.
KeyEntry* PutEntry(Keyspace& ks, int db, KeyEntry* fresh);
// Deletes the key if its container is empty (after pops and removals).
void DeleteIfEmpty(Keyspace& ks, int db, KeyEntry* e);
// Number of elements of any container (strings: 1).
uint64_t ContainerSize(const KeyEntry* e);

// Keeps DatasetBytes exact around lookups in containers: a member lookup (set::Contains,
// zset::Score, hash::Get) can advance the container's incremental rehash and free its old
// bucket array, so every container a write command reads is bracketed by BeginEdit/EndEdit
// too. Each entry is registered once; Finish() (or the destructor) closes the scope and must
// run before any of the entries may be freed (Put/Delete of a source key).
class AccountingScope {
 public:
  explicit AccountingScope(Keyspace& ks) : ks_(ks) {}
  ~AccountingScope() { Finish(); }
  AccountingScope(const AccountingScope&) = delete;
  AccountingScope& operator=(const AccountingScope&) = delete;
  void Add(const KeyEntry* e) {
    if (e == nullptr) return;
    for (const auto& p : entries_) {
      if (p.first == e) return;
    }
    entries_.emplace_back(e, ks_.BeginEdit(e));
  }
  void Finish() {
    for (const auto& [e, token] : entries_) ks_.EndEdit(e, token);
    entries_.clear();
  }

 private:
  Keyspace& ks_;
  std::vector<std::pair<const KeyEntry*, size_t>> entries_;
};

// Reusable per-thread scratch strings, so the hot paths do not allocate.
std::string& Scratch(int slot);

// Runs one of the keyspace's read commands (ExecuteReadCommand, RESP2) seeing every key the
// way commands from the master do (expired ones included) and parses the reply into `out`
// (views into Scratch(3), valid until the next call). An error reply becomes an error status
// with its text. The *STORE commands whose selection logic is a read command's (SORT, ZRANGE,
// GEOSEARCH) use it, so both paths share one implementation.
absl::Status RunRead(Call& c, std::span<const std::string_view> args, RespValue* out);

// ---- handlers ----------------------------------------------------------------------------------

#define REDLINK_APPLY(name) absl::Status name(Call& c)
// Strings and bits (apply_string.cc)
REDLINK_APPLY(SetCmd);
REDLINK_APPLY(SetnxCmd);
REDLINK_APPLY(SetexCmd);
REDLINK_APPLY(PsetexCmd);
REDLINK_APPLY(GetsetCmd);
REDLINK_APPLY(GetdelCmd);
REDLINK_APPLY(GetexCmd);
REDLINK_APPLY(AppendCmd);
REDLINK_APPLY(SetrangeCmd);
REDLINK_APPLY(IncrCmd);
REDLINK_APPLY(DecrCmd);
REDLINK_APPLY(IncrbyCmd);
REDLINK_APPLY(DecrbyCmd);
REDLINK_APPLY(IncrbyfloatCmd);
REDLINK_APPLY(MsetCmd);
REDLINK_APPLY(MsetnxCmd);
REDLINK_APPLY(SetbitCmd);
REDLINK_APPLY(BitfieldCmd);
REDLINK_APPLY(BitopCmd);
// HyperLogLog (apply_hll.cc)
REDLINK_APPLY(PfaddCmd);
REDLINK_APPLY(PfmergeCmd);
REDLINK_APPLY(PfcountCmd);
REDLINK_APPLY(PfdebugCmd);
// Keys (apply_keys.cc)
REDLINK_APPLY(DelCmd);
REDLINK_APPLY(ExpireCmd);
REDLINK_APPLY(PexpireCmd);
REDLINK_APPLY(ExpireatCmd);
REDLINK_APPLY(PexpireatCmd);
REDLINK_APPLY(PersistCmd);
REDLINK_APPLY(RenameCmd);
REDLINK_APPLY(RenamenxCmd);
REDLINK_APPLY(MoveCmd);
REDLINK_APPLY(CopyCmd);
REDLINK_APPLY(SwapdbCmd);
REDLINK_APPLY(FlushdbCmd);
REDLINK_APPLY(FlushallCmd);
REDLINK_APPLY(RestoreCmd);
REDLINK_APPLY(SortCmd);
// Lists (apply_list.cc)
REDLINK_APPLY(LpushCmd);
REDLINK_APPLY(RpushCmd);
REDLINK_APPLY(LpushxCmd);
REDLINK_APPLY(RpushxCmd);
REDLINK_APPLY(LinsertCmd);
REDLINK_APPLY(LsetCmd);
REDLINK_APPLY(LremCmd);
REDLINK_APPLY(LtrimCmd);
REDLINK_APPLY(LpopCmd);
REDLINK_APPLY(RpopCmd);
REDLINK_APPLY(RpoplpushCmd);
REDLINK_APPLY(LmoveCmd);
REDLINK_APPLY(LmpopCmd);
REDLINK_APPLY(BlpopCmd);
REDLINK_APPLY(BrpopCmd);
REDLINK_APPLY(BrpoplpushCmd);
REDLINK_APPLY(BlmoveCmd);
REDLINK_APPLY(BlmpopCmd);
// Sets (apply_set.cc)
REDLINK_APPLY(SaddCmd);
REDLINK_APPLY(SremCmd);
REDLINK_APPLY(SmoveCmd);
REDLINK_APPLY(SpopCmd);
REDLINK_APPLY(SinterstoreCmd);
REDLINK_APPLY(SunionstoreCmd);
REDLINK_APPLY(SdiffstoreCmd);
// Sorted sets (apply_zset.cc)
REDLINK_APPLY(ZaddCmd);
REDLINK_APPLY(ZincrbyCmd);
REDLINK_APPLY(ZremCmd);
REDLINK_APPLY(ZremrangebyscoreCmd);
REDLINK_APPLY(ZremrangebyrankCmd);
REDLINK_APPLY(ZremrangebylexCmd);
REDLINK_APPLY(ZunionstoreCmd);
REDLINK_APPLY(ZinterstoreCmd);
REDLINK_APPLY(ZdiffstoreCmd);
REDLINK_APPLY(ZrangestoreCmd);
REDLINK_APPLY(ZpopminCmd);
REDLINK_APPLY(ZpopmaxCmd);
REDLINK_APPLY(ZmpopCmd);
REDLINK_APPLY(BzpopminCmd);
REDLINK_APPLY(BzpopmaxCmd);
REDLINK_APPLY(BzmpopCmd);
REDLINK_APPLY(GeoaddCmd);
REDLINK_APPLY(GeosearchstoreCmd);
REDLINK_APPLY(GeoradiusCmd);
REDLINK_APPLY(GeoradiusbymemberCmd);
// Hashes (apply_hash.cc)
REDLINK_APPLY(HsetCmd);
REDLINK_APPLY(HsetnxCmd);
REDLINK_APPLY(HdelCmd);
REDLINK_APPLY(HincrbyCmd);
REDLINK_APPLY(HincrbyfloatCmd);
REDLINK_APPLY(HexpireCmd);
REDLINK_APPLY(HpexpireCmd);
REDLINK_APPLY(HexpireatCmd);
REDLINK_APPLY(HpexpireatCmd);
REDLINK_APPLY(HpersistCmd);
// Streams (apply_stream.cc)
REDLINK_APPLY(XaddCmd);
REDLINK_APPLY(XdelCmd);
REDLINK_APPLY(XtrimCmd);
REDLINK_APPLY(XsetidCmd);
REDLINK_APPLY(XgroupCmd);
REDLINK_APPLY(XackCmd);
REDLINK_APPLY(XclaimCmd);
REDLINK_APPLY(XautoclaimCmd);
// Functions and pub/sub (apply_misc.cc)
REDLINK_APPLY(FunctionCmd);
REDLINK_APPLY(PublishCmd);
REDLINK_APPLY(ScriptCmd);
#undef REDLINK_APPLY

}  // namespace redlink::engine::apply
