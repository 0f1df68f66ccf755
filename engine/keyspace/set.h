#pragma once
// Sets. Encodings and conversion thresholds as Redis 7.2+: an intset while every member is an
// integer and there are at most 512 (set-max-intset-entries); a listpack while there are at
// most 128 members of at most 64 bytes (set-max-listpack-entries/value); else a BigSet (a
// HashTable of one-allocation nodes: chain pointer + varint length + bytes).
//
// Loop thread only.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/keyspace/hash_table.h"
#include "engine/keyspace/object.h"

namespace redlink::engine {

// A length-prefixed byte string in a node: LEB128 varint length then the bytes.
size_t VarintSize(uint64_t v);
size_t PutVarint(char* p, uint64_t v);
size_t GetVarint(const char* p, uint64_t* v);

struct SetNode;
struct SetNodeTraits {
  using Node = SetNode;
  static std::string_view Key(const SetNode* n);
  static SetNode** NextSlot(SetNode* n);
};

class BigSet {
 public:
  BigSet() = default;
  ~BigSet();
  BigSet(const BigSet&) = delete;
  BigSet& operator=(const BigSet&) = delete;

  uint64_t size() const { return table_.size(); }
  size_t Bytes() const { return node_bytes_ + table_.BucketBytes() + sizeof(BigSet); }
  BigSet* Clone() const;
  void Reserve(uint64_t n) { table_.Reserve(n); }

  bool Contains(std::string_view m) { return table_.Find(m) != nullptr; }
  bool Add(std::string_view m);  // true if added
  bool Remove(std::string_view m);
  std::string_view Random();
  template <typename F>
  void ForEach(F&& fn) const {  // fn(std::string_view)
    table_.ForEach([&](SetNode* n) { fn(SetNodeTraits::Key(n)); });
  }
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& fn) const {
    return table_.Scan(cursor, [&](SetNode* n) { fn(SetNodeTraits::Key(n)); });
  }

 private:
  HashTable<SetNodeTraits> table_;
  size_t node_bytes_ = 0;
};

namespace set {

constexpr uint64_t kMaxIntsetEntries = 512;
constexpr uint64_t kMaxListpackEntries = 128;
constexpr size_t kMaxListpackValue = 64;

uint64_t Size(const KeyEntry* e);
bool Contains(const KeyEntry* e, std::string_view m);
// Calls fn(std::string_view) for every member (integers rendered as text).
template <typename F>
void ForEach(const KeyEntry* e, F&& fn);
// A uniformly-ish random member (copied into *out).
void Random(const KeyEntry* e, std::string* out);

// Creation for a set that will receive `expected` members, the first being `first`: picks
// intset / listpack / hashtable as Redis would. Returns (encoding, pointer) for NewContainer.
std::pair<Encoding, void*> NewFor(std::string_view first, uint64_t expected);
// Adds `m`, converting the encoding at the thresholds. True if it was new.
bool Add(KeyEntry* e, std::string_view m);
bool Remove(KeyEntry* e, std::string_view m);
// Converts to the hashtable encoding (pre-sized for `expected` members).
void ConvertToHashtable(KeyEntry* e, uint64_t expected);

}  // namespace set
}  // namespace redlink::engine

#include "engine/encoding/listpack.h"
#include "engine/keyspace/intset.h"

namespace redlink::engine::set {

template <typename F>
void ForEach(const KeyEntry* e, F&& fn) {
  switch (obj::Enc(e)) {
    case Encoding::kIntset: {
      const char* is = static_cast<const char*>(obj::Ptr(e));
      uint32_t n = intset::Length(is);
      char buf[24];
      for (uint32_t i = 0; i < n; ++i) {
        listpack::Entry en;
        en.is_int = true;
        en.ival = intset::Get(is, i);
        fn(en.AsString(buf));
      }
      break;
    }
    case Encoding::kListpack: {
      listpack::Reader r(listpack::View(static_cast<const char*>(obj::Ptr(e))));
      listpack::Entry en;
      char buf[24];
      while (r.Next(&en)) fn(en.AsString(buf));
      break;
    }
    default:
      static_cast<const BigSet*>(obj::Ptr(e))->ForEach(fn);
  }
}

}  // namespace redlink::engine::set
