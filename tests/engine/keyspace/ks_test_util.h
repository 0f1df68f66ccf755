#pragma once
// Test helpers for the keyspace: running read commands and decoding replies, loading RDB files
// through the real decoder, and driving a loader from the vectors' JSON.

#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "engine/keyspace/keyspace.h"
#include "engine/protocol/resp_parser.h"
#include "engine/protocol/resp_writer.h"
#include "engine/rdb/rdb_decoder.h"

namespace redlink::engine::kstest {

inline int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The RDB vector directory. Falls back to this source tree when REDLINK_SOURCE_DIR is not in
// the environment (the top-level add_redlink_test passes ENVIRONMENT with an unquoted ';', so
// CTest only sets the first variable).
std::string VectorDir();

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs one command; returns the raw reply ("" and *unknown = true for kUnknown).
inline std::string Exec(Keyspace& ks, CommandContext& ctx, const std::vector<std::string>& args,
                        bool* unknown = nullptr) {
  std::vector<std::string_view> views(args.begin(), args.end());
  std::string out;
  ReplyWriter w(&out, ctx.protocol);
  CommandOutcome r = ExecuteReadCommand(ks, ctx, views, w);
  if (unknown != nullptr) *unknown = r == CommandOutcome::kUnknown;
  return out;
}

// A parsed reply that owns its bytes.
struct Reply {
  std::string raw;
  RespValue v;
};

inline std::unique_ptr<Reply> Parse(std::string raw) {
  auto r = std::make_unique<Reply>();
  r->raw = std::move(raw);
  RespLimits limits;
  limits.max_bulk_len = uint64_t{1} << 40;
  RespParser p(limits);
  size_t consumed = 0;
  if (p.ParseReply(r->raw, &r->v, &consumed) != ParseResult::kOk || consumed != r->raw.size()) {
    r->v = RespValue();
    r->v.type = RespType::kError;
    r->v.str = "unparseable reply";
  }
  return r;
}

inline std::string Str(const RespValue& v) { return std::string(v.str); }

// Loads an RDB payload through the real decoder into `ks`.
inline absl::Status LoadRdb(std::string_view rdb, Keyspace* ks,
                            std::unique_ptr<KeyspaceLoader>* loader_out = nullptr) {
  auto loader = std::make_unique<KeyspaceLoader>(ks);
  rdb::RdbDecoder dec(loader.get());
  auto fed = dec.Feed(rdb);
  if (!fed.ok()) return fed.status();
  absl::Status s = dec.Finish();
  if (loader_out != nullptr) *loader_out = std::move(loader);
  return s;
}

// ---- The vectors' JSON ---------------------------------------------------------------------

std::string Base64Decode(std::string_view in);

// A JSON byte string: a plain string, or {"base64": ...}.
inline std::string Bytes(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  return Base64Decode(j.at("base64").get<std::string>());
}

// A key or field name: the plain text, or the JSON text of {"base64": ...}.
inline std::string NameBytes(const std::string& name) {
  if (!name.empty() && name[0] == '{') {
    auto j = nlohmann::json::parse(name, nullptr, false);
    if (j.is_object() && j.contains("base64")) return Bytes(j);
  }
  return name;
}

inline double ScoreOf(const nlohmann::json& j) {
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    if (s == "inf") return INFINITY;
    if (s == "-inf") return -INFINITY;
    return std::stod(s);
  }
  return j.get<double>();
}

inline rdb::StreamId ParseId(const std::string& s) {
  rdb::StreamId id;
  size_t dash = s.find('-');
  id.ms = std::stoull(s.substr(0, dash));
  id.seq = std::stoull(s.substr(dash + 1));
  return id;
}

// Drives `sink` through per-element calls built from a vector's JSON (no raw listpacks).
absl::Status DriveFromJson(const nlohmann::json& doc, rdb::RdbSink* sink);

}  // namespace redlink::engine::kstest
