#pragma once
// Streams: an ordered map (absl::btree_map) from a node's master ID to the node, a listpack in
// Redis's stream node format (protocol doc §6.9: master entry, then flagged entries with ID
// deltas), so RDB nodes are adopted as they come and DUMP writes them back; plus the stream
// metadata and the consumer groups (group PEL, consumers with their own PEL, ordered by name as
// Redis's radix trees are).
//
// Loop thread only.

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "engine/rdb/rdb_sink.h"

namespace redlink::engine {

using StreamId = rdb::StreamId;

constexpr StreamId kStreamIdMin{0, 0};
constexpr StreamId kStreamIdMax{UINT64_MAX, UINT64_MAX};

struct StreamConsumer;

struct StreamPending {
  int64_t delivery_time_ms = 0;
  uint64_t delivery_count = 0;
  StreamConsumer* consumer = nullptr;
};

struct StreamConsumer {
  std::string name;
  int64_t seen_time_ms = 0;
  int64_t active_time_ms = -1;
  absl::btree_map<StreamId, StreamPending*> pel;  // points into the group PEL
};

struct StreamGroup {
  std::string name;
  StreamId last_id;
  int64_t entries_read = -1;  // -1: unknown (SCG_INVALID_ENTRIES_READ)
  absl::btree_map<StreamId, std::unique_ptr<StreamPending>> pel;
  std::map<std::string, std::unique_ptr<StreamConsumer>, std::less<>> consumers;

  // PEL bookkeeping for the write applier (the group PEL and the consumers' PELs together).
  StreamConsumer* FindConsumer(std::string_view name) const;
  // Creates the consumer if absent (XGROUP CREATECONSUMER / first delivery); seen time `now`.
  StreamConsumer* GetOrCreateConsumer(std::string_view name, int64_t now_ms);
  // Deletes a consumer and its pending entries (XGROUP DELCONSUMER); returns how many it had.
  uint64_t DeleteConsumer(std::string_view name);
  // Records a delivery of `id` to `consumer` (XREADGROUP, XCLAIM): a new PEL entry, or the
  // existing one moved to `consumer` with the given time and count.
  void Deliver(StreamId id, StreamConsumer* consumer, int64_t time_ms, uint64_t count);
  // Removes `id` from the PELs (XACK); false if it was not pending.
  bool Ack(StreamId id);
};

// One decoded entry: its ID and field, value, field, value, ... (views valid until the next
// entry is decoded).
struct StreamEntryView {
  StreamId id;
  std::span<const std::string_view> fields_and_values;
};

class Stream {
 public:
  // Redis's stream-node-max-bytes / stream-node-max-entries defaults.
  static constexpr size_t kNodeMaxBytes = 4096;
  static constexpr int64_t kNodeMaxEntries = 100;

  Stream() = default;
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream* Clone() const;

  // Metadata (XINFO, RDB).
  uint64_t length = 0;
  StreamId last_id;
  StreamId first_id;
  StreamId max_deleted_id;
  uint64_t entries_added = 0;

  const absl::btree_map<StreamId, char*>& nodes() const { return nodes_; }
  std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>>& groups() { return groups_; }
  const std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>>& groups() const {
    return groups_;
  }
  size_t Bytes() const;

  // Adopts a node listpack (owned) keyed by its master ID (RDB load). Does not touch metadata.
  void AdoptNode(StreamId master_id, char* lp);
  // Appends an entry as XADD does (id > last_id is the caller's check); updates length,
  // last_id, first_id and entries_added.
  void Append(StreamId id, std::span<const std::string_view> fields_and_values);
  // Deletes an entry as XDEL does (marks it deleted in its node, frees the node when no live
  // entry remains); false if absent. Updates length, max_deleted_id and first_id like XDEL.
  bool Delete(StreamId id);

  // Calls fn(const StreamEntryView&) for live entries with start <= id <= end, ascending (or
  // descending if reverse), at most `count` (0 = no limit). fn returns false to stop.
  template <typename F>
  void Range(StreamId start, StreamId end, bool reverse, uint64_t count, F&& fn) const;

  // XTRIM / XADD trimming, exact (Redis's streamTrim without '~'): removes whole nodes, then
  // marks entries deleted in the first remaining node. `limit` (0 = none) caps the entries
  // removed as LIMIT does. Updates length and first_id; returns the number removed.
  int64_t TrimMaxLen(uint64_t maxlen, int64_t limit = 0);
  int64_t TrimMinId(StreamId minid, int64_t limit = 0);

  // The first/last live entry ID (false if empty).
  bool FirstEntry(StreamId* id) const;
  bool LastEntry(StreamId* id) const;

  // Redis's streamEstimateDistanceFromFirstEverEntry: how many entries a reader at `id` has
  // read, or -1 when it cannot be known (deletions in between).
  int64_t EstimateEntriesRead(StreamId id) const;

  // Groups (for the applier and the loader).
  StreamGroup* FindGroup(std::string_view name) const;
  StreamGroup* CreateGroup(std::string_view name, StreamId last_id, int64_t entries_read);

  // Decodes one node into `out` (live entries in ascending order); `storage` keeps rendered
  // integers alive. Used by Range and by tests.
  struct DecodedEntry {
    StreamId id;
    size_t first;  // index into fields of this entry's first field
    size_t count;  // number of field+value strings
  };
  static void DecodeNode(StreamId master, const char* lp, std::vector<DecodedEntry>* entries,
                         std::vector<std::string_view>* fields, std::deque<std::string>* storage);

 private:
  bool DeleteEntry(StreamId id);
  int64_t Trim(bool by_len, uint64_t maxlen, StreamId minid, int64_t limit);

  absl::btree_map<StreamId, char*> nodes_;
  std::map<std::string, std::unique_ptr<StreamGroup>, std::less<>> groups_;
  size_t node_bytes_ = 0;
};

// Parses "ms-seq" / "ms" IDs as XRANGE does; `missing_seq` fills the sequence of a bare "ms".
bool ParseStreamId(std::string_view s, StreamId* id, uint64_t missing_seq, bool* seq_given);
std::string FormatStreamId(StreamId id);
// The ID after / before `id` (false on overflow/underflow).
bool StreamIdIncr(StreamId* id);
bool StreamIdDecr(StreamId* id);

template <typename F>
void Stream::Range(StreamId start, StreamId end, bool reverse, uint64_t count, F&& fn) const {
  if (start > end || nodes_.empty()) return;
  std::vector<DecodedEntry> entries;
  std::vector<std::string_view> fields;
  std::deque<std::string> storage;
  uint64_t emitted = 0;
  auto emit = [&](const DecodedEntry& d) {
    StreamEntryView v{d.id, std::span<const std::string_view>(fields.data() + d.first, d.count)};
    ++emitted;
    return fn(static_cast<const StreamEntryView&>(v)) && (count == 0 || emitted < count);
  };
  if (!reverse) {
    // The node holding `start` is the last one whose master ID <= start.
    auto it = nodes_.upper_bound(start);
    if (it != nodes_.begin()) --it;
    for (; it != nodes_.end() && it->first <= end; ++it) {
      DecodeNode(it->first, it->second, &entries, &fields, &storage);
      for (const DecodedEntry& d : entries) {
        if (d.id < start) continue;
        if (d.id > end) return;
        if (!emit(d)) return;
      }
    }
  } else {
    auto it = nodes_.upper_bound(end);
    while (it != nodes_.begin()) {
      --it;
      DecodeNode(it->first, it->second, &entries, &fields, &storage);
      for (size_t i = entries.size(); i-- > 0;) {
        const DecodedEntry& d = entries[i];
        if (d.id > end) continue;
        if (d.id < start) return;
        if (!emit(d)) return;
      }
    }
  }
}

}  // namespace redlink::engine
