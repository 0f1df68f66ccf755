#pragma once
// The replica keyspace of one link: up to 16 (or more, as the master selects) databases of
// Redis values with absolute millisecond TTLs per key and per hash field. Owned by the link's
// event loop; loop thread only. A replica never expires keys itself: expired keys stay until
// the master's DEL arrives; reads hide them.
//
// This header is the contract the rest of the engine uses (the link, the RESP read endpoint).

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "engine/protocol/resp_writer.h"
#include "engine/rdb/rdb_sink.h"

namespace redlink::engine {

class KeyspaceImpl;

class Keyspace {
 public:
  Keyspace();
  ~Keyspace();
  Keyspace(const Keyspace&) = delete;
  Keyspace& operator=(const Keyspace&) = delete;

  // Keys per database, counting keys whose TTL has passed (as DBSIZE does on a replica).
  uint64_t KeyCount(int db) const;
  uint64_t ExpiresCount(int db) const;
  // Databases that exist (highest selected + 1, at least 16).
  int num_dbs() const;
  // Approximate bytes used by the dataset (keys, values, TTLs, container overhead).
  uint64_t DatasetBytes() const;
  // Drops everything (FLUSHALL).
  void Clear();

  KeyspaceImpl* impl() { return impl_.get(); }
  const KeyspaceImpl* impl() const { return impl_.get(); }

 private:
  std::unique_ptr<KeyspaceImpl> impl_;
};

// Builds a keyspace from a decoded RDB. Records the replication AUX fields it sees.
class KeyspaceLoader : public rdb::RdbSink {
 public:
  explicit KeyspaceLoader(Keyspace* target);
  ~KeyspaceLoader() override;

  // AUX "repl-stream-db", "repl-id", "repl-offset" when present.
  int repl_stream_db() const { return repl_stream_db_; }
  const std::string& repl_id() const { return repl_id_; }
  int64_t repl_offset() const { return repl_offset_; }

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

 private:
  Keyspace* target_;
  int repl_stream_db_ = -1;
  std::string repl_id_;
  int64_t repl_offset_ = -1;
  class State;
  std::unique_ptr<State> state_;
};

// What a data command needs to know about the client that sent it.
struct CommandContext {
  int db = 0;               // selected database
  int protocol = 2;         // RESP2 or RESP3 (HELLO)
  int64_t now_ms = 0;       // wall clock for TTL checks (reads hide expired keys)
  int rdb_version = 10;     // RDB version of the link's master, for DUMP payloads
};

enum class CommandOutcome {
  kDone,     // a reply was written
  kUnknown,  // not a data command this module knows: the caller answers
};

// Executes one read command (args[0] is the name, any case) against `keyspace`, writing the
// reply. Replies are byte-identical to Redis 7.0 for the same data.
CommandOutcome ExecuteReadCommand(Keyspace& keyspace, CommandContext& ctx,
                                  std::span<const std::string_view> args, ReplyWriter& reply);

}  // namespace redlink::engine
