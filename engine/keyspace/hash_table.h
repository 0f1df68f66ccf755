#pragma once
// An intrusive, chained hash table with incremental rehashing and reverse-binary SCAN cursors:
// the table behind the key space and behind large sets, hashes and sorted sets.
//
// Why not absl::flat_hash_*: SCAN/SSCAN/HSCAN/ZSCAN must keep Redis's cursor guarantee (every
// element present during a whole iteration is returned at least once, even if the table grows
// or shrinks in between), which needs stable bucket indexes and the reverse-binary cursor; and
// a bounded cost per operation (incremental rehash) keeps a loop thread from stalling on a
// million-entry resize. Nodes are the caller's allocations; the table stores only one pointer
// per bucket plus an intrusive `next` pointer in each node, so the per-element overhead is
// 8 bytes in the node plus 8-16 bytes of bucket array.
//
// Traits must provide:
//   using Node = ...;
//   static std::string_view Key(const Node* n);
//   static Node** NextSlot(Node* n);   // where the node keeps its chain pointer
//
// Loop thread only (no internal locking). The table never frees nodes.

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <utility>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace redlink::engine {

inline uint64_t HashBytes(std::string_view s) {
  return absl::Hash<absl::string_view>{}(absl::string_view(s.data(), s.size()));
}

// A small, fast PRNG for random sampling (RANDOMKEY, SRANDMEMBER, ...). Not cryptographic.
uint64_t FastRandom();

template <typename Traits>
class HashTable {
 public:
  using Node = typename Traits::Node;

  HashTable() = default;
  ~HashTable() {
    std::free(t_[0].b);
    std::free(t_[1].b);
  }
  HashTable(const HashTable&) = delete;
  HashTable& operator=(const HashTable&) = delete;
  HashTable(HashTable&& o) noexcept { *this = std::move(o); }
  HashTable& operator=(HashTable&& o) noexcept {
    if (this != &o) {
      std::free(t_[0].b);
      std::free(t_[1].b);
      t_[0] = o.t_[0];
      t_[1] = o.t_[1];
      rehash_idx_ = o.rehash_idx_;
      o.t_[0] = Table{};
      o.t_[1] = Table{};
      o.rehash_idx_ = -1;
    }
    return *this;
  }

  size_t size() const { return t_[0].used + t_[1].used; }
  bool empty() const { return size() == 0; }
  // Bytes of the bucket arrays (the nodes are accounted by their owner).
  size_t BucketBytes() const { return (t_[0].size() + t_[1].size()) * sizeof(Node*); }

  Node* Find(std::string_view key) {
    if (size() == 0) return nullptr;
    if (rehashing()) RehashStep(1);
    return FindNoRehash(key);
  }
  Node* FindNoRehash(std::string_view key) const {
    if (size() == 0) return nullptr;
    uint64_t h = HashBytes(key);
    for (int t = 0; t < 2; ++t) {
      if (t_[t].b == nullptr) break;
      for (Node* n = t_[t].b[h & t_[t].mask]; n != nullptr; n = Next(n)) {
        if (Traits::Key(n) == key) return n;
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  // Inserts `node`; its key must not be present.
  void Insert(Node* node) {
    if (rehashing()) RehashStep(1);
    ExpandIfNeeded();
    Table& t = rehashing() ? t_[1] : t_[0];
    uint64_t idx = HashBytes(Traits::Key(node)) & t.mask;
    SetNext(node, t.b[idx]);
    t.b[idx] = node;
    ++t.used;
  }

  // Inserts `node`, or puts it in place of the node with the same key, which is unlinked and
  // returned (nullptr if the key was new). One hash computation.
  Node* Upsert(Node* node) {
    if (rehashing()) RehashStep(1);
    std::string_view key = Traits::Key(node);
    uint64_t h = HashBytes(key);
    for (int t = 0; t < 2; ++t) {
      if (t_[t].b == nullptr) break;
      Node** link = &t_[t].b[h & t_[t].mask];
      while (*link != nullptr) {
        Node* cur = *link;
        if (Traits::Key(cur) == key) {
          SetNext(node, Next(cur));
          *link = node;
          SetNext(cur, nullptr);
          return cur;
        }
        link = NextSlot(cur);
      }
      if (!rehashing()) break;
    }
    ExpandIfNeeded();
    Table& t = rehashing() ? t_[1] : t_[0];
    uint64_t idx = h & t.mask;
    SetNext(node, t.b[idx]);
    t.b[idx] = node;
    ++t.used;
    return nullptr;
  }

  // Removes the node with `key` and returns it (nullptr if absent).
  Node* Unlink(std::string_view key) {
    if (size() == 0) return nullptr;
    if (rehashing()) RehashStep(1);
    uint64_t h = HashBytes(key);
    for (int t = 0; t < 2; ++t) {
      if (t_[t].b == nullptr) break;
      Node** link = &t_[t].b[h & t_[t].mask];
      while (*link != nullptr) {
        Node* n = *link;
        if (Traits::Key(n) == key) {
          *link = Next(n);
          SetNext(n, nullptr);
          --t_[t].used;
          ShrinkIfNeeded();
          return n;
        }
        link = NextSlot(n);
      }
      if (!rehashing()) break;
    }
    return nullptr;
  }

  // Puts `replacement` where `current` is (same key). `current` is unlinked, not freed.
  void Replace(Node* current, Node* replacement) {
    if (current == replacement) return;
    uint64_t h = HashBytes(Traits::Key(current));
    for (int t = 0; t < 2; ++t) {
      if (t_[t].b == nullptr) break;
      Node** link = &t_[t].b[h & t_[t].mask];
      while (*link != nullptr) {
        if (*link == current) {
          SetNext(replacement, Next(current));
          *link = replacement;
          SetNext(current, nullptr);
          return;
        }
        link = NextSlot(*link);
      }
    }
  }

  // Calls fn(Node*) for every node. fn must not modify the table.
  template <typename F>
  void ForEach(F&& fn) const {
    for (int t = 0; t < 2; ++t) {
      for (uint64_t i = 0; i < t_[t].size(); ++i) {
        for (Node* n = t_[t].b[i]; n != nullptr;) {
          Node* next = Next(n);
          fn(n);
          n = next;
        }
      }
    }
  }

  // Unlinks every node, calling free_fn(Node*) on each, and releases the buckets.
  template <typename F>
  void Clear(F&& free_fn) {
    for (int t = 0; t < 2; ++t) {
      for (uint64_t i = 0; i < t_[t].size(); ++i) {
        for (Node* n = t_[t].b[i]; n != nullptr;) {
          Node* next = Next(n);
          free_fn(n);
          n = next;
        }
      }
      std::free(t_[t].b);
      t_[t] = Table{};
    }
    rehash_idx_ = -1;
  }

  // One step of a SCAN iteration: calls fn(Node*) for the nodes of the bucket(s) at `cursor`
  // and returns the next cursor (0 when the iteration is complete). Guarantees, as Redis's
  // dictScan does, that nodes present for the whole iteration are visited at least once even
  // if the table is resized between calls. fn must not modify the table.
  template <typename F>
  uint64_t Scan(uint64_t v, F&& fn) const {
    if (size() == 0) return 0;
    if (!rehashing()) {
      const Table& t = t_[0];
      EmitBucket(t, v & t.mask, fn);
      v |= ~t.mask;
      v = ReverseIncrement(v);
      return v;
    }
    const Table* small = &t_[0];
    const Table* big = &t_[1];
    if (small->size() > big->size()) std::swap(small, big);
    EmitBucket(*small, v & small->mask, fn);
    do {
      EmitBucket(*big, v & big->mask, fn);
      v |= ~big->mask;
      v = ReverseIncrement(v);
    } while (v & (small->mask ^ big->mask));
    return v;
  }

  // A random node (nullptr if empty): a random non-empty bucket, then a random chain element.
  Node* Random() {
    if (size() == 0) return nullptr;
    if (rehashing()) RehashStep(1);
    Node* head = nullptr;
    if (rehashing()) {
      uint64_t s0 = t_[0].size();
      uint64_t slots = s0 + t_[1].size();
      uint64_t start = static_cast<uint64_t>(rehash_idx_);
      do {
        uint64_t h = start + FastRandom() % (slots - start);
        head = h >= s0 ? t_[1].b[h - s0] : t_[0].b[h];
      } while (head == nullptr);
    } else {
      do {
        head = t_[0].b[FastRandom() & t_[0].mask];
      } while (head == nullptr);
    }
    uint64_t len = 0;
    for (Node* n = head; n != nullptr; n = Next(n)) ++len;
    uint64_t pick = FastRandom() % len;
    Node* n = head;
    while (pick-- > 0) n = Next(n);
    return n;
  }

  // Sizes the table for `n` nodes up front (a load with a known count).
  void Reserve(uint64_t n) {
    if (rehashing() || n <= t_[0].size()) return;
    StartResize(NextPow2(n));
  }

  // Moves up to `n` buckets to the new table; returns true while rehashing remains.
  bool RehashStep(int n) {
    if (!rehashing()) return false;
    int empty_visits = n * 10;
    while (n-- > 0 && t_[0].used != 0) {
      while (t_[0].b[rehash_idx_] == nullptr) {
        ++rehash_idx_;
        if (--empty_visits == 0) return true;
      }
      Node* node = t_[0].b[rehash_idx_];
      while (node != nullptr) {
        Node* next = Next(node);
        uint64_t idx = HashBytes(Traits::Key(node)) & t_[1].mask;
        SetNext(node, t_[1].b[idx]);
        t_[1].b[idx] = node;
        --t_[0].used;
        ++t_[1].used;
        node = next;
      }
      t_[0].b[rehash_idx_] = nullptr;
      ++rehash_idx_;
    }
    if (t_[0].used == 0) {
      std::free(t_[0].b);
      t_[0] = t_[1];
      t_[1] = Table{};
      rehash_idx_ = -1;
      return false;
    }
    return true;
  }
  bool rehashing() const { return rehash_idx_ >= 0; }

 private:
  struct Table {
    Node** b = nullptr;
    uint64_t mask = 0;
    uint64_t used = 0;
    uint64_t size() const { return b == nullptr ? 0 : mask + 1; }
  };

  static Node** NextSlot(Node* n) { return Traits::NextSlot(n); }
  static Node* Next(const Node* n) { return *Traits::NextSlot(const_cast<Node*>(n)); }
  static void SetNext(Node* n, Node* next) { *Traits::NextSlot(n) = next; }
  static uint64_t NextPow2(uint64_t n) { return n < 4 ? 4 : std::bit_ceil(n); }
  static uint64_t ReverseIncrement(uint64_t v) {
    v = Reverse(v);
    ++v;
    return Reverse(v);
  }
  static uint64_t Reverse(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
  }
  template <typename F>
  static void EmitBucket(const Table& t, uint64_t idx, F& fn) {
    for (Node* n = t.b[idx]; n != nullptr;) {
      Node* next = Next(n);
      fn(n);
      n = next;
    }
  }

  void StartResize(uint64_t new_size) {
    Table t;
    t.b = static_cast<Node**>(std::calloc(new_size, sizeof(Node*)));
    if (t.b == nullptr) std::abort();
    t.mask = new_size - 1;
    if (t_[0].b == nullptr) {
      t_[0] = t;
      return;
    }
    t_[1] = t;
    rehash_idx_ = 0;
  }
  void ExpandIfNeeded() {
    if (rehashing()) return;
    if (t_[0].b == nullptr) {
      StartResize(4);
      return;
    }
    if (t_[0].used >= t_[0].size()) StartResize(NextPow2(t_[0].used + 1));
  }
  void ShrinkIfNeeded() {
    if (rehashing() || t_[0].b == nullptr) return;
    uint64_t sz = t_[0].size();
    if (sz > 4 && t_[0].used * 10 < sz) {
      if (t_[0].used == 0) {
        std::free(t_[0].b);
        t_[0] = Table{};
        return;
      }
      StartResize(NextPow2(t_[0].used));
    }
  }

  Table t_[2];
  int64_t rehash_idx_ = -1;
};

}  // namespace redlink::engine
