#pragma once
// Lists. Small lists are one listpack (Encoding::kListpack, as Redis 7.2 keeps them); larger
// ones a Quicklist: an array of listpack nodes of at most 8 KB each (list-max-listpack-size -2,
// Redis's default), so RDB type-18 nodes are adopted as they come and DUMP writes them back.
// Index lookups walk the node array (n / elements-per-node steps), never the elements.
//
// Loop thread only.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/encoding/listpack.h"
#include "engine/keyspace/object.h"

namespace redlink::engine {

struct KeyEntry;

class Quicklist {
 public:
  // Redis's list-max-listpack-size -2: a node may grow to 8 KB.
  static constexpr size_t kNodeMaxBytes = 8192;
  // Redis's SIZE_ESTIMATE_OVERHEAD when deciding whether an element fits a node.
  static constexpr size_t kInsertOverhead = 8;

  struct Node {
    char* lp;        // owned listpack
    uint32_t count;  // entries in lp
  };

  Quicklist() = default;
  ~Quicklist();
  Quicklist(const Quicklist&) = delete;
  Quicklist& operator=(const Quicklist&) = delete;

  uint64_t size() const { return count_; }
  const std::vector<Node>& nodes() const { return nodes_; }
  // malloc bytes of the nodes, the node array and this object.
  size_t Bytes() const;
  Quicklist* Clone() const;

  // Takes ownership of a listpack node and appends it (empty nodes are freed).
  void AppendNode(char* lp);
  void PushBack(std::string_view v);
  void PushFront(std::string_view v);
  // Removes the first/last element into *out; false if empty.
  bool PopFront(std::string* out);
  bool PopBack(std::string* out);

  // Locates element `index` (0-based, < size()): node number and byte offset in its listpack.
  struct Pos {
    size_t node;
    size_t offset;
  };
  Pos Locate(uint64_t index) const;
  // Replaces / inserts (before element `index`, or at the end if index == size()) / removes.
  void Set(uint64_t index, std::string_view v);
  void Insert(uint64_t index, std::string_view v);
  void Remove(uint64_t start, uint64_t count);

  // Calls fn(const listpack::Entry&) for elements [start, start + n) in order (reverse=false)
  // or for elements start, start-1, ..., start-n+1 (reverse=true). fn returns false to stop.
  template <typename F>
  void Walk(uint64_t start, uint64_t n, bool reverse, F&& fn) const;

 private:
  void InsertIntoNode(size_t node, size_t offset, std::string_view v);
  void RemoveNode(size_t node);
  void AddBytes(const char* lp);
  void SubBytes(const char* lp);

  std::vector<Node> nodes_;
  uint64_t count_ = 0;
  size_t node_bytes_ = 0;  // sum of AllocSize of node listpacks
};

template <typename F>
void Quicklist::Walk(uint64_t start, uint64_t n, bool reverse, F&& fn) const {
  if (n == 0 || start >= count_) return;
  Pos p = Locate(start);
  size_t node = p.node;
  size_t off = p.offset;
  listpack::Entry e;
  while (n > 0) {
    std::string_view lp = listpack::View(nodes_[node].lp);
    listpack::EntryAt(lp, off, &e);
    if (!fn(static_cast<const listpack::Entry&>(e))) return;
    --n;
    if (n == 0) return;
    if (!reverse) {
      off = listpack::EntryAt(lp, off, &e);
      if (listpack::AtEnd(lp, off)) {
        if (++node >= nodes_.size()) return;
        off = listpack::kHeaderSize;
      }
    } else {
      off = listpack::PrevOffset(lp, off);
      if (off == 0) {
        if (node == 0) return;
        --node;
        off = listpack::LastOffset(listpack::View(nodes_[node].lp));
      }
    }
  }
}

namespace list {

// Typed access to a list entry (any encoding).
uint64_t Length(const KeyEntry* e);
// Calls fn(const listpack::Entry&) over [start, start+n) forward, or backward from start.
template <typename F>
void Walk(const KeyEntry* e, uint64_t start, uint64_t n, bool reverse, F&& fn);

// Creation and mutation (the write applier's primitives). New lists start as a listpack and
// become a quicklist when the listpack would pass 8 KB; a quicklist of one small node (at most
// half the limit) becomes a listpack again, as Redis 7.2 does.
char* NewListpack();
void PushBack(KeyEntry* e, std::string_view v);
void PushFront(KeyEntry* e, std::string_view v);
bool PopFront(KeyEntry* e, std::string* out);
bool PopBack(KeyEntry* e, std::string* out);
// Element `index` (0 <= index < Length) into *out.
void Get(const KeyEntry* e, uint64_t index, std::string* out);
void Set(KeyEntry* e, uint64_t index, std::string_view v);
// Inserts before position `index` (index == Length appends).
void Insert(KeyEntry* e, uint64_t index, std::string_view v);
void Remove(KeyEntry* e, uint64_t start, uint64_t count);
// Converts between encodings as the thresholds say (called by the mutators).
void Normalize(KeyEntry* e);
// Index of the first element equal to `v` from the head (or the tail); -1 if none (LINSERT's
// pivot, LPOS).
int64_t Find(const KeyEntry* e, std::string_view v, bool from_tail = false);
// LREM: removes up to |count| elements equal to `v` (count > 0 from the head, < 0 from the
// tail, 0 all); returns how many.
uint64_t RemoveValue(KeyEntry* e, std::string_view v, int64_t count);

template <typename F>
void Walk(const KeyEntry* e, uint64_t start, uint64_t n, bool reverse, F&& fn) {
  if (obj::Enc(e) == Encoding::kQuicklist) {
    static_cast<const Quicklist*>(obj::Ptr(e))->Walk(start, n, reverse, fn);
    return;
  }
  std::string_view lp = listpack::View(static_cast<const char*>(obj::Ptr(e)));
  size_t off = listpack::Seek(lp, static_cast<int64_t>(start));
  if (off == 0) return;
  listpack::Entry en;
  while (n-- > 0) {
    size_t next = listpack::EntryAt(lp, off, &en);
    if (!fn(static_cast<const listpack::Entry&>(en))) return;
    if (reverse) {
      off = listpack::PrevOffset(lp, off);
      if (off == 0) return;
    } else {
      off = next;
      if (listpack::AtEnd(lp, off)) return;
    }
  }
}

}  // namespace list

}  // namespace redlink::engine
