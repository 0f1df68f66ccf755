#pragma once
// Sorted sets. Small ones (at most 128 members of at most 64 bytes: zset-max-listpack-entries /
// value) are a listpack of member, score pairs in (score, member) order, as Redis keeps them.
// Larger ones are a BigZset: one allocation per member (ZNode: chain pointer, score, varint
// length, bytes) indexed twice, by a HashTable on the member (ZSCORE in O(1)) and by an
// order-statistic B+tree of node pointers ordered by (score, member) with per-child counts, so
// rank, select-by-rank and score/lex bounds are O(log n) (ZRANK, ZRANGE by index, ZCOUNT).
// Per member that is ~12 bytes of tree (64-pointer leaves at ~70% fill) and 8 + 8-16 bytes of
// hash chain and bucket, versus Redis's skiplist node (~48) + dictEntry (24) + bucket.
//
// Ordering is Redis's: by score, then by member bytes (memcmp, shorter first on a tie).
// Loop thread only.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/keyspace/hash_table.h"
#include "engine/keyspace/object.h"

namespace redlink::engine {

struct ZNode {
  ZNode* next;
  double score;
  char data[];  // varint length, member bytes
};

std::string_view ZMember(const ZNode* n);

struct ZNodeTraits {
  using Node = ZNode;
  static std::string_view Key(const ZNode* n) { return ZMember(n); }
  static ZNode** NextSlot(ZNode* n) { return &n->next; }
};

// (score, member) order.
inline bool ZLess(double s1, std::string_view m1, double s2, std::string_view m2) {
  if (s1 != s2) return s1 < s2;
  return m1 < m2;
}

// Order-statistic B+tree over ZNode pointers (does not own them).
class ZTree {
 public:
  static constexpr int kLeafCap = 64;
  static constexpr int kInnerCap = 32;

  ZTree();
  ~ZTree();
  ZTree(const ZTree&) = delete;
  ZTree& operator=(const ZTree&) = delete;

  uint64_t size() const { return size_; }
  size_t Bytes() const;
  void Insert(ZNode* n);
  bool Erase(const ZNode* n);
  // 0-based rank of `n`, which must be in the tree.
  uint64_t Rank(const ZNode* n) const;

  // A position for iteration: leaf + slot. Valid until the next mutation.
  struct Cursor {
    void* leaf = nullptr;
    int idx = 0;
    bool valid() const { return leaf != nullptr; }
    ZNode* node() const;
    void Next();
    void Prev();
  };
  Cursor At(uint64_t rank) const;
  ZNode* NodeAt(uint64_t rank) const { return At(rank).node(); }
  // First rank whose node satisfies `ge` (a predicate false...false true...true along the
  // order); size() if none.
  template <typename Pred>
  uint64_t LowerBound(Pred&& ge) const;

 private:
  struct Leaf;
  struct Inner;
  struct Split;
  bool InsertRec(void* node, int level, ZNode* x, Split* split);
  bool EraseRec(void* node, int level, const ZNode* x);
  void FreeRec(void* node, int level);
  void MaybeMerge(Inner* parent, int i, int child_level);

  void* root_;
  int height_ = 0;  // 0: root is a leaf
  uint64_t size_ = 0;
  size_t leaves_ = 1;
  size_t inners_ = 0;

  template <typename Pred>
  friend struct ZTreeLowerBound;
};

class BigZset {
 public:
  BigZset() = default;
  ~BigZset();
  BigZset(const BigZset&) = delete;
  BigZset& operator=(const BigZset&) = delete;

  uint64_t size() const { return dict_.size(); }
  size_t Bytes() const {
    return node_bytes_ + dict_.BucketBytes() + tree_.Bytes() + sizeof(BigZset);
  }
  BigZset* Clone() const;
  void Reserve(uint64_t n) { dict_.Reserve(n); }

  ZNode* Find(std::string_view member) { return dict_.Find(member); }
  // Inserts or updates; returns true if the member is new.
  bool Set(std::string_view member, double score);
  bool Remove(std::string_view member);
  const ZTree& tree() const { return tree_; }
  ZNode* Random() { return dict_.Random(); }
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& fn) const {  // fn(const ZNode*)
    return dict_.Scan(cursor, [&](ZNode* n) { fn(static_cast<const ZNode*>(n)); });
  }

 private:
  HashTable<ZNodeTraits> dict_;
  ZTree tree_;
  size_t node_bytes_ = 0;
};

namespace zset {

constexpr uint64_t kMaxListpackEntries = 128;
constexpr size_t kMaxListpackValue = 64;

uint64_t Size(const KeyEntry* e);
// Score of `member`; false if absent.
bool Score(const KeyEntry* e, std::string_view member, double* score);
// Parses a listpack score entry (a string like "1.5" or an integer).
double LpScore(const char* data, size_t len, bool is_int, int64_t ival);

// Creation (as Redis picks the encoding for `expected` members whose longest is `max_len`).
std::pair<Encoding, void*> NewFor(uint64_t expected, size_t max_len);
// Inserts or updates; converts listpack -> skiplist at the thresholds. True if new.
bool Set(KeyEntry* e, std::string_view member, double score);
bool Remove(KeyEntry* e, std::string_view member);
void ConvertToSkiplist(KeyEntry* e);
// Formats a score for a listpack entry as zzlInsertAt does: an integral value (-0 included, so
// its sign is lost, as in Redis) as an integer, else d2string's "%.17g".
std::string ScoreToListpackString(double score);

}  // namespace zset

template <typename Pred>
struct ZTreeLowerBound;

}  // namespace redlink::engine

#include "engine/keyspace/zset_inl.h"
