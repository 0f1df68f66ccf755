#pragma once
// Test support for the command applier: a fixture that applies commands to a Keyspace and reads
// it back through the read commands, and a canonical snapshot of a database taken through any
// RESP "runner" (this keyspace, a real redis-server, redlinkd's RESP endpoint), so datasets can
// be compared key by key with read commands only.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/keyspace/keyspace.h"
#include "engine/protocol/resp_parser.h"
#include "engine/replication/command_applier.h"

namespace redlink::testing {

using Args = std::vector<std::string>;

inline int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Runs one command and returns its raw RESP2 reply.
using Runner = std::function<std::string(const Args&)>;

// A parsed reply that owns its bytes.
struct ParsedReply {
  std::string raw;
  engine::RespValue v;
  bool ok = false;
};
ParsedReply ParseRaw(std::string raw);

// Renders a reply as readable text (strings escaped, arrays in brackets).
std::string Render(const engine::RespValue& v);

struct SnapshotOptions {
  bool ttl = true;          // compare PEXPIRETIME
  bool field_ttls = false;  // HPEXPIRETIME per hash field (Redis 7.4 servers / this keyspace)
  bool stream_meta = true;  // XINFO STREAM fields (length, ids, entries-added)
  // Consumers that hold no pending entry (Redis 7.4 does not propagate every consumer an
  // XREADGROUP creates, so its own replicas lack some of them).
  bool idle_consumers = true;
};

// A canonical text of the selected database: every key (sorted) with its type, TTL and value;
// unordered collections sorted; streams with entries, metadata, groups (name, last delivered id,
// pending count), consumers (name, pending count) and pending entries (id, consumer, delivery
// count). Group entries-read/lag, idle and delivery times are left out.
std::string SnapshotDb(const Runner& run, const SnapshotOptions& options = {});

// Snapshot of every database 0..num_dbs-1 (SELECT through `run`); empty databases are skipped.
std::string SnapshotAll(const Runner& run, int num_dbs, const SnapshotOptions& options = {});

// FUNCTION LIST with libraries and their functions sorted (Redis lists both in dict order).
std::string SnapshotFunctions(const Runner& run);

// A runner over an in-process keyspace (read commands; SELECT handled here).
class KeyspaceRunner {
 public:
  explicit KeyspaceRunner(engine::Keyspace* ks) : ks_(ks) {}
  std::string operator()(const Args& args);
  Runner AsRunner() {
    return [this](const Args& a) { return (*this)(a); };
  }
  int db = 0;
  // Clock for reads (hides expired keys like a replica's clients); 0 = wall clock.
  int64_t now_ms = 0;
  // The master's RDB version as the read endpoint sees it (DUMP, OBJECT ENCODING's names).
  int rdb_version = 10;

 private:
  engine::Keyspace* ks_;
};

// DatasetBytes recomputed from scratch (every entry's obj::Bytes + key-table buckets).
uint64_t RecountBytes(const engine::Keyspace& ks);

// A keyspace plus an applier context, with helpers for assertions.
class ApplyHarness {
 public:
  ApplyHarness();
  absl::Status Apply(const Args& args);
  // Raw reply of a read command in the stream's current db.
  std::string Read(const Args& args);
  // Read() decoded to a short text: strings as is, ints as digits, nil as "(nil)", arrays as
  // space-separated elements in brackets, errors with their '-' prefix.
  std::string Get(const Args& args);
  std::string Snapshot(const SnapshotOptions& options = {});

  engine::Keyspace ks;
  engine::ApplyContext ctx;
  KeyspaceRunner runner{&ks};
};

}  // namespace redlink::testing
