#pragma once
// The replica keyspace of one link: up to 16 (or more, as the master selects) databases of
// Redis values with absolute millisecond TTLs per key and per hash field. Owned by the link's
// event loop; loop thread only (no method is safe to call from another thread, and none
// takes a lock). A replica never expires keys itself: expired keys stay until the master's DEL
// arrives; reads hide them.
//
// This header is the contract the rest of the engine uses (the link, the RESP read endpoint,
// the write-command applier).
//
// Memory layout (see object.h and the type headers for details): each key is one malloc'd
// block (hash chain pointer, type/encoding, optional TTL, key bytes, and either an integer, the
// string bytes inline, or a pointer to its container) in a chained hash table with incremental
// rehash. Small collections are Redis-format listpacks/intsets adopted from the RDB as they
// are; large ones are HashTables of one-allocation nodes (sets, hashes), a node-indexed
// order-statistic B+tree (sorted sets), a listpack-node array (lists) and a btree of listpack
// nodes (streams). Encoding thresholds are Redis's defaults.
//
// Writing to the keyspace (the applier's API). Everything below is "as the master sees it":
// no method hides expired keys except FindLive. The rules:
//   * A KeyEntry* stays valid until the next call that may reallocate it: Put/Delete/Detach,
//     SetExpire, SetString, Relink with it, FlushDb/SwapDb/Clear. Those return the new pointer.
//   * Container contents are changed through the typed helpers (list::, set::, zset::, hash::,
//     Stream) between BeginEdit(e) and EndEdit(e, token), which keeps DatasetBytes() exact
//     without walking anything. Encoding conversions (listpack -> hashtable etc.) happen inside
//     the helpers at Redis's thresholds and never move the KeyEntry itself.
//   * Emptied containers are not deleted automatically: the applier deletes the key when a
//     command leaves it empty, as Redis does.
//   * engine/keyspace/values.h has the factories for new values and a worked example.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/keyspace/hash_table.h"
#include "engine/keyspace/object.h"
#include "engine/protocol/resp_writer.h"
#include "engine/rdb/rdb_sink.h"

namespace redlink::engine {

class KeyspaceImpl;
class Keyspace;

// One function library (FUNCTION LOAD / RDB FUNCTION2): its source and what FUNCTION LIST shows.
struct FunctionLibrary {
  struct Function {
    std::string name;
    std::string description;  // empty: nil
    bool has_description = false;
    std::vector<std::string> flags;
  };
  std::string name;
  std::string engine = "LUA";
  std::string code;
  std::vector<Function> functions;  // in registration order (FUNCTION LIST sorts nothing)
};

// Parses a library's source the way FUNCTION LOAD needs for listing: the "#!<engine>
// name=<lib>" shebang and the redis.register_function calls (positional or table form, with
// description and flags). Errors carry Redis's message ("ERR Missing library metadata", ...).
absl::Status ParseFunctionLibrary(std::string_view code, FunctionLibrary* out);

// One database: the key table and its counters. Loop thread only.
class Db {
 public:
  Db() = default;
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  Db(Db&&) = default;
  Db& operator=(Db&&) = default;

  // Keys, counting logically expired ones (DBSIZE on a replica).
  uint64_t size() const { return table_.size(); }
  // Keys carrying a TTL.
  uint64_t expires() const { return expires_; }

  // The entry for `key` regardless of its TTL (what commands from the master see).
  KeyEntry* Find(std::string_view key) { return table_.Find(key); }
  // The entry for `key` unless its TTL has passed at `now_ms` (what client reads see).
  KeyEntry* FindLive(std::string_view key, int64_t now_ms);

  // Iteration without side effects. fn(KeyEntry*) must not modify the database.
  template <typename F>
  void ForEach(F&& fn) const {
    table_.ForEach(fn);
  }
  // One SCAN step (Redis cursor semantics); returns the next cursor, 0 when done.
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& fn) const {
    return table_.Scan(cursor, fn);
  }
  KeyEntry* Random() { return table_.Random(); }
  // Bucket bytes of the key table.
  size_t TableBytes() const { return table_.BucketBytes(); }
  // Runs incremental rehashing (a loop's idle-time hook); returns true while some remains.
  bool RehashStep(int buckets) { return table_.RehashStep(buckets); }

 private:
  friend class Keyspace;
  HashTable<KeyEntryTraits> table_;
  uint64_t expires_ = 0;
};

class Keyspace {
 public:
  Keyspace();
  ~Keyspace();
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  // WATCH's view of the dataset: `uid` tells keyspaces apart (a full sync brings a new one) and
  // `changes` grows with every change to any key or database, so a transaction that saw both
  // unchanged saw no write (conservatively: a write to any key counts).
  uint64_t uid() const;
  uint64_t changes() const;

  // Keys per database, counting keys whose TTL has passed (as DBSIZE does on a replica).
  uint64_t KeyCount(int db) const;
  uint64_t ExpiresCount(int db) const;
  // Databases that exist (highest selected + 1, at least 16).
  int num_dbs() const;
  // Approximate bytes used by the dataset (keys, values, TTLs, container overhead): the
  // malloc usable sizes of every block plus the hash-table bucket arrays. O(number of dbs).
  uint64_t DatasetBytes() const;
  // Drops everything: every database and the function libraries (a new full sync).
  void Clear();
  // FLUSHALL: every database, keeping the function libraries (FUNCTION FLUSH drops those).
  void FlushAllData();

  KeyspaceImpl* impl() { return impl_.get(); }
  const KeyspaceImpl* impl() const { return impl_.get(); }

  // ---- Write API (loop thread only) -------------------------------------------------------

  // The database `db` (created on demand; num_dbs() grows to db + 1). db must be >= 0.
  Db& db(int db);
  // nullptr if the database was never created.
  Db* FindDb(int db);
  const Db* FindDb(int db) const;

  // Inserts a new entry (the key must not exist in `db`); takes ownership.
  void Add(int db, KeyEntry* e);
  // Inserts `e`, replacing (and freeing) any entry with the same key. Takes ownership.
  void Put(int db, KeyEntry* e);
  // Deletes `key`; true if it existed.
  bool Delete(int db, std::string_view key);
  // Unlinks `key` without freeing it and returns it (nullptr if absent): RENAME/MOVE.
  KeyEntry* Detach(int db, std::string_view key);
  // Replaces `e` (which must be in `db`) by `replacement` with the same key, freeing `e`
  // unless `free_old` is false.
  void Relink(int db, KeyEntry* e, KeyEntry* replacement, bool free_old = true);

  // Sets (or with obj::kNoExpire removes) the TTL of `e`, which is in `db`. Returns the entry
  // (possibly moved).
  KeyEntry* SetExpire(int db, KeyEntry* e, int64_t expire_ms);
  // Replaces the string value of `e` (a string in `db`), keeping its TTL. Returns the entry.
  KeyEntry* SetString(int db, KeyEntry* e, std::string_view value);
  // Converts a string to a growable buffer with capacity >= min_capacity (APPEND, SETRANGE,
  // SETBIT) and returns the entry; then edit RawString bytes between BeginEdit/EndEdit.
  KeyEntry* MakeRawString(int db, KeyEntry* e, size_t min_capacity);

  // Accounting around in-place edits of a value: token = BeginEdit(e); ...; EndEdit(e, token).
  // `e` must be the same entry (container edits never move it).
  size_t BeginEdit(const KeyEntry* e) const { return obj::Bytes(e); }
  void EndEdit(const KeyEntry* e, size_t token);
  // The same as a scope: runs fn() (which edits e's value in place) with the accounting.
  template <typename F>
  void Edit(const KeyEntry* e, F&& fn) {
    size_t token = BeginEdit(e);
    fn();
    EndEdit(e, token);
  }
  // Direct hook for code that manages memory outside entries.
  void AdjustBytes(int64_t delta);

  // FLUSHDB / SWAPDB / MOVE helpers.
  void FlushDb(int db);
  void SwapDb(int a, int b);

  // Sizes `db`'s key table for `keys` keys (RDB RESIZEDB).
  void Reserve(int db, uint64_t keys);

  // Function libraries (FUNCTION LIST; FUNCTION LOAD/DELETE/FLUSH/RESTORE via the applier).
  const std::vector<FunctionLibrary>& functions() const;
  // Adds or (replace = true) replaces a library by name; error if it exists and !replace.
  absl::Status AddFunctionLibrary(FunctionLibrary lib, bool replace);
  bool DeleteFunctionLibrary(std::string_view name);
  void ClearFunctions();

  // RDB version the dataset came from (0 if not loaded from an RDB).
  int rdb_version() const;
  void set_rdb_version(int v);

 private:
  std::unique_ptr<KeyspaceImpl> impl_;
};

// Builds a keyspace from a decoded RDB. Records the replication AUX fields it sees.
// The target is cleared at OnHeader (a full sync replaces the dataset). Every error leaves
// `target` empty (what was built is freed): an error returned by a sink call, Abort(), or
// destroying the loader after OnHeader but before a successful OnEnd (the decoder stopped on
// corrupt input or the transfer broke) — a failed load never half-fills the keyspace.
class KeyspaceLoader : public rdb::RdbSink {
 public:
  explicit KeyspaceLoader(Keyspace* target);
  ~KeyspaceLoader() override;

  // AUX "repl-stream-db", "repl-id", "repl-offset" when present.
  int repl_stream_db() const { return repl_stream_db_; }
  const std::string& repl_id() const { return repl_id_; }
  int64_t repl_offset() const { return repl_offset_; }
  int rdb_version() const { return rdb_version_; }
  // True once OnEnd succeeded.
  bool finished() const { return finished_; }
  // Drops what was loaded so far (the target becomes empty).
  void Abort();

  class State;  // the value under construction (public for the loader's helpers)

  absl::Status OnHeader(int rdb_version) override;
  absl::Status OnAux(std::string_view key, std::string_view value) override;
  absl::Status OnSelectDb(uint64_t db) override;
  absl::Status OnResizeDb(uint64_t db_size, uint64_t expires_size) override;
  absl::Status OnFunction(std::string_view code) override;
  absl::Status OnEnd() override;
  absl::Status OnString(std::string_view key, const rdb::KeyMeta& meta,
                        std::string_view value) override;
  absl::Status BeginList(std::string_view key, const rdb::KeyMeta& meta,
                         uint64_t size_hint) override;
  absl::Status ListElement(std::string_view value) override;
  absl::Status EndList() override;
  absl::Status BeginSet(std::string_view key, const rdb::KeyMeta& meta,
                        uint64_t size_hint) override;
  absl::Status SetMember(std::string_view member) override;
  absl::Status EndSet() override;
  absl::Status BeginZset(std::string_view key, const rdb::KeyMeta& meta,
                         uint64_t size_hint) override;
  absl::Status ZsetMember(std::string_view member, double score) override;
  absl::Status EndZset() override;
  absl::Status BeginHash(std::string_view key, const rdb::KeyMeta& meta,
                         uint64_t size_hint) override;
  absl::Status HashField(std::string_view field, std::string_view value,
                         int64_t expire_ms) override;
  absl::Status EndHash() override;
  absl::Status BeginStream(std::string_view key, const rdb::KeyMeta& meta) override;
  absl::Status StreamEntry(rdb::StreamId id,
                           std::span<const std::string_view> fields_and_values) override;
  absl::Status StreamInfo(const rdb::StreamMeta& meta) override;
  absl::Status StreamGroup(const rdb::StreamGroupMeta& group) override;
  absl::Status StreamGroupPending(const rdb::StreamPendingEntry& pending) override;
  absl::Status StreamConsumer(const rdb::StreamConsumerMeta& consumer) override;
  absl::Status StreamConsumerPending(rdb::StreamId id) override;
  absl::Status EndStream() override;
  bool AcceptsListpack(rdb::ListpackKind kind) const override;
  absl::Status OnListpack(rdb::ListpackKind kind, std::string_view listpack,
                          rdb::StreamId master_id) override;

 private:
  absl::Status Fail(absl::Status s);

  Keyspace* target_;
  int repl_stream_db_ = -1;
  std::string repl_id_;
  int64_t repl_offset_ = -1;
  int rdb_version_ = 0;
  bool started_ = false;
  bool finished_ = false;
  std::unique_ptr<State> state_;
};

// What a data command needs to know about the client that sent it.
struct CommandContext {
  int db = 0;            // selected database
  int protocol = 2;      // RESP2 or RESP3 (HELLO)
  int64_t now_ms = 0;    // wall clock for TTL checks (reads hide expired keys)
  int rdb_version = 10;  // RDB version of the link's master, for DUMP payloads
};

enum class CommandOutcome {
  kDone,     // a reply was written
  kUnknown,  // not a data command this module knows: the caller answers
};

// Redis's checks before it runs a command (commandCheckExistence, commandCheckArity) for the
// read commands: kUnknown if `args` is not one this module answers (the caller checks its own),
// kRejected after writing the error for a wrong number of arguments or an unknown subcommand of
// a read container (OBJECT, MEMORY, XINFO, FUNCTION), kOk if it may run.
enum class CommandCheck { kOk, kRejected, kUnknown };
CommandCheck CheckReadCommand(std::span<const std::string_view> args, ReplyWriter& reply);

// The names of the read commands (and read containers) ExecuteReadCommand answers.
std::vector<std::string> ReadCommandNames();

// Executes one read command (args[0] is the name, any case) against `keyspace`, writing the
// reply. Replies are byte-identical to Redis 7.0 for the same data (7.4 for the field-TTL
// commands HTTL/HPTTL/HEXPIRETIME/HPEXPIRETIME), in RESP2 and RESP3, including arity, syntax
// and type errors. Write commands and connection commands (HELLO, AUTH, SELECT, PING, INFO,
// ...) are kUnknown: the caller answers them (-READONLY for writes). Loop thread only.
CommandOutcome ExecuteReadCommand(Keyspace& keyspace, CommandContext& ctx,
                                  std::span<const std::string_view> args, ReplyWriter& reply);

// Serializes `e` as a DUMP payload for a server whose RDB version is `rdb_version`: the value
// in that version's RDB object format (type ids it knows), the 2-byte version and the CRC64.
std::string DumpPayload(const KeyEntry* e, int rdb_version, int64_t now_ms);

// FUNCTION DUMP's payload: every library's code (RDB_OPCODE_FUNCTION2), the version and CRC64.
std::string FunctionDumpPayload(const std::vector<FunctionLibrary>& libraries, int rdb_version);

// Parses a DUMP payload (RESTORE) into a new entry named `key` (no TTL; not in any database:
// the caller Puts it). Errors: INVALID_ARGUMENT "DUMP payload version or checksum are wrong"
// (version above 12 or a CRC mismatch), DATA_LOSS "Bad data format" for a corrupt value.
absl::StatusOr<KeyEntry*> RestorePayload(std::string_view key, std::string_view payload);

}  // namespace redlink::engine
