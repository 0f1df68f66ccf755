#pragma once
// What the streaming RDB decoder emits. The decoder (rdb_decoder.h) turns an RDB byte stream of
// any version 1..12 into these calls, in file order; an implementation builds a keyspace (the
// link's loader), or a test model. Every call may return an error, which stops the decoder with
// that status.
//
// String views passed to a call are valid only during that call.
//
// Keys: for each key the decoder calls exactly one of OnString / Begin<Type> ... End<...>.
// Collections are streamed element by element, so a huge value never has to be decoded into an
// intermediate container. A collection with no elements is skipped entirely (no Begin/End), as
// Redis's loader skips empty keys; streams are the exception (an empty stream is a valid key).
//
// What the decoder checks and what it leaves to the sink: it validates every encoding (bounds,
// counts, listpack/ziplist/intset/zipmap structure, stream node layout, IDs in order, TTL ranges,
// scores are numbers and not NaN) before handing anything over. Like Redis's loader with its
// default sanitize-dump-payload=no, it does not look for duplicate set members, hash fields or zset
// members, nor check that a consumer's pending IDs are in its group's PEL: that needs memory
// proportional to the value, which the sink has anyway. size_hint values come from the file and
// are untrusted: reserve from them only within a sane bound. Listpack-encoded values (RDB types 16,
// 17, 18 PACKED nodes, 20, 25 and stream nodes) are validated by the decoder and, when the sink
// accepts them, handed over as the raw listpack so a keyspace that stores listpacks adopts them
// without re-encoding.

#include <cstdint>
#include <span>
#include <string_view>

#include "absl/status/status.h"

namespace redlink::engine::rdb {

constexpr int64_t kNoExpire = -1;

// Per-key metadata from the opcodes that precede a key.
struct KeyMeta {
  uint64_t db = 0;
  int64_t expire_ms = kNoExpire;  // absolute unix time in ms (EXPIRETIME s*1000, EXPIRETIME_MS)
};

struct StreamId {
  uint64_t ms = 0;
  uint64_t seq = 0;
  friend bool operator==(const StreamId&, const StreamId&) = default;
  friend auto operator<=>(const StreamId&, const StreamId&) = default;
};

// Stream-level fields that follow the entries in the RDB.
struct StreamMeta {
  uint64_t length = 0;         // valid entries
  StreamId last_id;            // last generated id
  StreamId first_id;           // types 19/21 (0-0 for type 15)
  StreamId max_deleted_id;     // types 19/21
  uint64_t entries_added = 0;  // types 19/21 (for type 15: = length)
};

struct StreamGroupMeta {
  std::string_view name;
  StreamId last_delivered_id;
  int64_t entries_read = -1;  // -1 when unknown (type 15: SCG_INVALID_ENTRIES_READ)
};

struct StreamPendingEntry {
  StreamId id;
  int64_t delivery_time_ms = 0;
  uint64_t delivery_count = 0;
};

struct StreamConsumerMeta {
  std::string_view name;
  int64_t seen_time_ms = 0;
  int64_t active_time_ms = -1;  // type 21 only; -1 otherwise
};

// The listpack-encoded value kinds a sink may accept raw.
enum class ListpackKind {
  kHash,         // type 16: field, value, ...
  kHashWithTtl,  // type 25: field, value, expire-ms (0 = none), ...
  kZset,         // type 17: member, score, ...
  kSet,          // type 20: member, ...
  kListNode,     // type 18 PACKED node: elements
  kStreamNode,   // stream node listpack (master entry + entries), keyed by its master id
};

class RdbSink {
 public:
  virtual ~RdbSink() = default;

  // Header and global records.
  virtual absl::Status OnHeader(int rdb_version) { return absl::OkStatus(); }
  virtual absl::Status OnAux(std::string_view key, std::string_view value) = 0;
  virtual absl::Status OnSelectDb(uint64_t db) = 0;
  virtual absl::Status OnResizeDb(uint64_t db_size, uint64_t expires_size) {
    return absl::OkStatus();
  }
  // One FUNCTION2 record: the library source ("#!lua name=...\n...").
  virtual absl::Status OnFunction(std::string_view code) = 0;
  // Called at the EOF opcode after the checksum was verified (or was 0 = disabled).
  virtual absl::Status OnEnd() = 0;

  // Strings (type 0).
  virtual absl::Status OnString(std::string_view key, const KeyMeta& meta,
                                std::string_view value) = 0;

  // Lists (types 1, 10, 14, 18). size_hint is 0 when unknown.
  virtual absl::Status BeginList(std::string_view key, const KeyMeta& meta, uint64_t size_hint) = 0;
  virtual absl::Status ListElement(std::string_view value) = 0;
  virtual absl::Status EndList() = 0;

  // Sets (types 2, 11, 20).
  virtual absl::Status BeginSet(std::string_view key, const KeyMeta& meta, uint64_t size_hint) = 0;
  virtual absl::Status SetMember(std::string_view member) = 0;
  virtual absl::Status EndSet() = 0;

  // Sorted sets (types 3, 5, 12, 17). Members arrive in file order (not necessarily sorted).
  virtual absl::Status BeginZset(std::string_view key, const KeyMeta& meta, uint64_t size_hint) = 0;
  virtual absl::Status ZsetMember(std::string_view member, double score) = 0;
  virtual absl::Status EndZset() = 0;

  // Hashes (types 4, 9, 13, 16, 22..25). expire_ms is kNoExpire or an absolute unix ms.
  virtual absl::Status BeginHash(std::string_view key, const KeyMeta& meta, uint64_t size_hint) = 0;
  virtual absl::Status HashField(std::string_view field, std::string_view value,
                                 int64_t expire_ms) = 0;
  virtual absl::Status EndHash() = 0;

  // Streams (types 15, 19, 21): entries in id order, then the metadata, then each group with its
  // pending entries and consumers (each consumer with the ids it owns).
  virtual absl::Status BeginStream(std::string_view key, const KeyMeta& meta) = 0;
  // One live (non-deleted) entry; fields_and_values = f1, v1, f2, v2, ...
  virtual absl::Status StreamEntry(StreamId id,
                                   std::span<const std::string_view> fields_and_values) = 0;
  virtual absl::Status StreamInfo(const StreamMeta& meta) = 0;
  virtual absl::Status StreamGroup(const StreamGroupMeta& group) = 0;
  virtual absl::Status StreamGroupPending(const StreamPendingEntry& pending) = 0;
  virtual absl::Status StreamConsumer(const StreamConsumerMeta& consumer) = 0;
  virtual absl::Status StreamConsumerPending(StreamId id) = 0;
  virtual absl::Status EndStream() = 0;

  // Raw listpacks. If AcceptsListpack(kind) is true the decoder calls OnListpack with the
  // validated listpack instead of the per-element calls for that value (still between the
  // Begin/End of the value; for kHash/kHashWithTtl/kZset/kSet a value is exactly one listpack;
  // for kListNode one call per PACKED node, while a PLAIN node (one huge element) still arrives
  // as ListElement, in order; for kStreamNode one call per node instead of the StreamEntry calls
  // of that node, with master_id set). Type 25's min-expire header is not passed: it is the
  // smallest non-zero TTL in the listpack. Types 23 (7.4 RC) and 25 are both kHashWithTtl.
  virtual bool AcceptsListpack(ListpackKind kind) const { return false; }
  virtual absl::Status OnListpack(ListpackKind kind, std::string_view listpack,
                                  StreamId master_id) {
    return absl::UnimplementedError("raw listpacks not accepted");
  }
};

}  // namespace redlink::engine::rdb
