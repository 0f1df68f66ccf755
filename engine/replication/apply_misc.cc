// FUNCTION LOAD/DELETE/FLUSH/RESTORE (Redis functions.c; a master propagates them verbatim) and
// PUBLISH/SPUBLISH (delivered to the link's subscribers on the RESP endpoint).
#include <cstdio>
#include <string>
#include <vector>

#include "engine/common/string_map.h"
#include "engine/common/strings.h"
#include "engine/rdb/crc64.h"
#include "engine/rdb/rdb_decoder.h"
#include "engine/replication/apply_internal.h"

namespace redlink::engine::apply {
namespace {

constexpr std::string_view kNoKeysErr = "function payload holds keys";

// Collects the FUNCTION2 records of a FUNCTION DUMP payload; anything else is an error.
class FunctionPayloadSink : public rdb::RdbSink {
 public:
  std::vector<std::string> codes;

  absl::Status OnAux(std::string_view, std::string_view) override { return Bad(); }
  absl::Status OnSelectDb(uint64_t) override { return Bad(); }
  absl::Status OnFunction(std::string_view code) override {
    codes.emplace_back(code);
    return absl::OkStatus();
  }
  absl::Status OnEnd() override { return absl::OkStatus(); }
  absl::Status OnString(std::string_view, const rdb::KeyMeta&, std::string_view) override {
    return Bad();
  }
  absl::Status BeginList(std::string_view, const rdb::KeyMeta&, uint64_t) override { return Bad(); }
  absl::Status ListElement(std::string_view) override { return Bad(); }
  absl::Status EndList() override { return Bad(); }
  absl::Status BeginSet(std::string_view, const rdb::KeyMeta&, uint64_t) override { return Bad(); }
  absl::Status SetMember(std::string_view) override { return Bad(); }
  absl::Status EndSet() override { return Bad(); }
  absl::Status BeginZset(std::string_view, const rdb::KeyMeta&, uint64_t) override { return Bad(); }
  absl::Status ZsetMember(std::string_view, double) override { return Bad(); }
  absl::Status EndZset() override { return Bad(); }
  absl::Status BeginHash(std::string_view, const rdb::KeyMeta&, uint64_t) override { return Bad(); }
  absl::Status HashField(std::string_view, std::string_view, int64_t) override { return Bad(); }
  absl::Status EndHash() override { return Bad(); }
  absl::Status BeginStream(std::string_view, const rdb::KeyMeta&) override { return Bad(); }
  absl::Status StreamEntry(rdb::StreamId, std::span<const std::string_view>) override {
    return Bad();
  }
  absl::Status StreamInfo(const rdb::StreamMeta&) override { return Bad(); }
  absl::Status StreamGroup(const rdb::StreamGroupMeta&) override { return Bad(); }
  absl::Status StreamGroupPending(const rdb::StreamPendingEntry&) override { return Bad(); }
  absl::Status StreamConsumer(const rdb::StreamConsumerMeta&) override { return Bad(); }
  absl::Status StreamConsumerPending(rdb::StreamId) override { return Bad(); }
  absl::Status EndStream() override { return Bad(); }

 private:
  static absl::Status Bad() { return Err(kNoKeysErr); }
};

// verifyDumpPayload (version <= 12, CRC64 footer); -1 when wrong.
int VerifyPayload(std::string_view p) {
  if (p.size() < 10) return -1;
  const auto* footer = reinterpret_cast<const unsigned char*>(p.data()) + p.size() - 10;
  int version = footer[0] | (footer[1] << 8);
  if (version > 12) return -1;
  uint64_t stored = 0;
  for (int i = 7; i >= 0; --i) stored = (stored << 8) | footer[2 + i];
  return rdb::Crc64(0, p.data(), p.size() - 8) == stored ? version : -1;
}

// The libraries of a FUNCTION DUMP payload: its records run through the RDB decoder inside a
// synthetic RDB of the payload's version (checksum 0: already verified).
absl::Status DecodeFunctionPayload(std::string_view payload, int version,
                                   std::vector<FunctionLibrary>* out) {
  std::string rdb;
  char header[16];
  std::snprintf(header, sizeof(header), "REDIS%04d", version);
  rdb.append(header, 9);
  // Only function records may appear (rdbLoadType: "given type is not a function").
  if (payload.size() > 10 && static_cast<uint8_t>(payload[0]) != 0xF5) {
    return Err("ERR given type is not a function");
  }
  rdb.append(payload.substr(0, payload.size() - 10));
  rdb.push_back(static_cast<char>(0xFF));
  rdb.append(8, '\0');
  FunctionPayloadSink sink;
  rdb::RdbDecoder decoder(&sink);
  absl::StatusOr<size_t> fed = decoder.Feed(rdb);
  if (!fed.ok() || !decoder.done() || !decoder.Finish().ok()) {
    return Err("ERR failed loading the given functions payload");
  }
  for (const std::string& code : sink.codes) {
    FunctionLibrary lib;
    if (absl::Status s = ParseFunctionLibrary(code, &lib); !s.ok())
      return Err(FromAbsl(s.message()));
    lib.code = code;
    out->push_back(std::move(lib));
  }
  return absl::OkStatus();
}

// libraryJoin: adds `libs` to the keyspace's libraries (replacing same-named ones if
// `replace`), refusing existing libraries otherwise and function names another library has.
// All checks happen before anything changes.
// (FUNCTION LOAD quotes the library name in its error, FUNCTION RESTORE does not.)
absl::Status JoinLibraries(Keyspace& ks, std::vector<FunctionLibrary> libs, bool replace,
                           bool quote = false) {
  StringSet incoming;
  for (const FunctionLibrary& lib : libs) incoming.insert(lib.name);
  StringSet functions;  // function names of the libraries that stay
  for (const FunctionLibrary& old : ks.functions()) {
    if (incoming.contains(old.name)) {
      if (!replace) {
        return Err(quote ? StrCat("ERR Library '", old.name, "' already exists")
                         : StrCat("ERR Library ", old.name, " already exists"));
      }
      continue;
    }
    for (const auto& f : old.functions) functions.insert(f.name);
  }
  for (const FunctionLibrary& lib : libs) {
    for (const auto& f : lib.functions) {
      if (!functions.insert(f.name).second) {
        return Err(StrCat("ERR Function ", f.name, " already exists"));
      }
    }
  }
  for (FunctionLibrary& lib : libs) {
    absl::Status s = ks.AddFunctionLibrary(std::move(lib), true);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status FunctionLoad(Call& c) {
  bool replace = false;
  size_t pos = 2;
  while (pos < c.argc() - 1) {
    std::string_view opt = c[pos++];
    if (EqCase(opt, "replace")) {
      replace = true;
      continue;
    }
    return Err(StrCat("ERR Unknown option given: ", opt));
  }
  if (pos >= c.argc()) return Err("ERR Function code is missing");
  std::string_view code = c[pos];
  FunctionLibrary lib;
  if (absl::Status s = ParseFunctionLibrary(code, &lib); !s.ok()) {
    std::string_view msg = FromAbsl(s.message());
    return Err(msg.substr(0, 4) == "ERR " ? std::string(msg) : StrCat("ERR ", msg));
  }
  lib.code = std::string(code);
  std::vector<FunctionLibrary> libs;
  libs.push_back(std::move(lib));
  return JoinLibraries(c.ks, std::move(libs), replace, /*quote=*/true);
}

absl::Status FunctionRestore(Call& c) {
  if (c.argc() > 4) {
    return Err(
        "ERR unknown subcommand or wrong number of arguments for 'restore'. Try "
        "FUNCTION HELP.");
  }
  enum { kAppend, kReplace, kFlush } policy = kAppend;
  if (c.argc() == 4) {
    if (EqCase(c[3], "append")) {
      policy = kAppend;
    } else if (EqCase(c[3], "replace")) {
      policy = kReplace;
    } else if (EqCase(c[3], "flush")) {
      policy = kFlush;
    } else {
      return Err(
          "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.");
    }
  }
  std::string_view payload = c[2];
  int version = VerifyPayload(payload);
  if (version < 0) return Err("ERR DUMP payload version or checksum are wrong");
  std::vector<FunctionLibrary> libs;
  if (absl::Status s = DecodeFunctionPayload(payload, version, &libs); !s.ok()) return s;
  if (policy == kFlush) {
    // The payload's libraries become the whole set (checked among themselves first).
    Keyspace scratch;
    if (absl::Status s = JoinLibraries(scratch, libs, false); !s.ok()) return s;
    c.ks.ClearFunctions();
    for (FunctionLibrary& lib : libs) c.ks.AddFunctionLibrary(std::move(lib), true).IgnoreError();
    return absl::OkStatus();
  }
  return JoinLibraries(c.ks, std::move(libs), policy == kReplace);
}

}  // namespace

// FUNCTION LOAD [REPLACE] code | DELETE name | FLUSH [ASYNC|SYNC] | RESTORE payload [policy].
// The read subcommands (LIST, DUMP, STATS, HELP, KILL) change nothing.
absl::Status FunctionCmd(Call& c) {
  std::string_view sub = c[1];
  if (EqCase(sub, "load")) {
    if (c.argc() < 3) return ArityErr("function|load");
    return FunctionLoad(c);
  }
  if (EqCase(sub, "delete")) {
    if (c.argc() != 3) return ArityErr("function|delete");
    if (!c.ks.DeleteFunctionLibrary(c[2])) return Err("ERR Library not found");
    return absl::OkStatus();
  }
  if (EqCase(sub, "flush")) {
    if (c.argc() > 3) {
      return Err(
          "ERR unknown subcommand or wrong number of arguments for 'flush'. Try FUNCTION "
          "HELP.");
    }
    if (c.argc() == 3 && !EqCase(c[2], "sync") && !EqCase(c[2], "async")) {
      return Err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
    }
    c.ks.ClearFunctions();
    return absl::OkStatus();
  }
  if (EqCase(sub, "restore")) {
    if (c.argc() < 3) return ArityErr("function|restore");
    return FunctionRestore(c);
  }
  if (EqCase(sub, "list") || EqCase(sub, "dump") || EqCase(sub, "stats") || EqCase(sub, "help") ||
      EqCase(sub, "kill")) {
    return absl::OkStatus();
  }
  return Err(StrCat("ERR unknown subcommand '", sub, "'. Try FUNCTION HELP."));
}

// SCRIPT LOAD / FLUSH (Redis 6.2 and older propagate them): the script cache is not data, and
// the read endpoint runs no scripts, so they change nothing here. Other subcommands never come
// from a master.
absl::Status ScriptCmd(Call& c) {
  std::string_view sub = c[1];
  if (EqCase(sub, "load") || EqCase(sub, "flush")) return absl::OkStatus();
  return Err(StrCat("ERR unknown subcommand '", sub, "'. Try SCRIPT HELP."));
}

// PUBLISH / SPUBLISH channel message: delivered to this link's subscribers; no data changes.
absl::Status PublishCmd(Call& c) {
  if (c.ctx.pubsub != nullptr) c.ctx.pubsub->Publish(c[1], c[2]);
  return absl::OkStatus();
}

}  // namespace redlink::engine::apply
