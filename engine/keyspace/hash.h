#pragma once
// Hashes, with Redis 7.4 per-field TTLs (absolute unix ms).
//
// Encodings, as Redis: kListpack (field, value, ... while at most 512 fields of at most 64
// bytes: hash-max-listpack-entries/value, the defaults compiled into Redis 7); kListpackEx (field,
// value, expire-ms triplets, 0 = no TTL, ordered by TTL with TTL-less fields last: Redis 7.4's
// listpackEx, RDB type 25); kHashtable (BigHash: a HashTable of one-allocation nodes holding chain
// pointer, flags, optional expire, varint lengths, field and value bytes).
//
// Reads hide fields whose TTL has passed (expire < now), as a Redis 7.4 replica does; the
// field stays until the master's HDEL. Loop thread only.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/keyspace/hash_table.h"
#include "engine/keyspace/object.h"

namespace redlink::engine {

struct HashNode;
struct HashNodeTraits {
  using Node = HashNode;
  static std::string_view Key(const HashNode* n);
  static HashNode** NextSlot(HashNode* n);
};
std::string_view HashNodeValue(const HashNode* n);
int64_t HashNodeExpire(const HashNode* n);  // obj::kNoExpire if none

class BigHash {
 public:
  BigHash() = default;
  ~BigHash();
  BigHash(const BigHash&) = delete;
  BigHash& operator=(const BigHash&) = delete;

  uint64_t size() const { return table_.size(); }
  uint64_t fields_with_ttl() const { return ttl_fields_; }
  size_t Bytes() const { return node_bytes_ + table_.BucketBytes() + sizeof(BigHash); }
  BigHash* Clone() const;
  void Reserve(uint64_t n) { table_.Reserve(n); }

  HashNode* Find(std::string_view field) { return table_.Find(field); }
  // Sets the value; a new field gets `expire_ms` (kNoExpire: none); an existing field keeps its
  // TTL only if keep_ttl. Returns true if the field is new.
  bool Set(std::string_view field, std::string_view value, int64_t expire_ms = obj::kNoExpire,
           bool keep_ttl = false);
  bool Remove(std::string_view field);
  // Sets (or with kNoExpire removes) the TTL of an existing field; false if absent.
  bool SetExpire(std::string_view field, int64_t expire_ms);
  HashNode* Random() { return table_.Random(); }
  template <typename F>
  void ForEach(F&& fn) const {  // fn(const HashNode*)
    table_.ForEach([&](HashNode* n) { fn(static_cast<const HashNode*>(n)); });
  }
  template <typename F>
  uint64_t Scan(uint64_t cursor, F&& fn) const {  // fn(const HashNode*)
    return table_.Scan(cursor, [&](HashNode* n) { fn(static_cast<const HashNode*>(n)); });
  }

 private:
  HashTable<HashNodeTraits> table_;
  size_t node_bytes_ = 0;
  uint64_t ttl_fields_ = 0;
};

namespace hash {

constexpr uint64_t kMaxListpackEntries = 512;  // Redis's default without a config file
constexpr size_t kMaxListpackValue = 64;

// Fields, counting those whose TTL has passed (HLEN on Redis 7.4 counts them too).
uint64_t Length(const KeyEntry* e);
// Fields whose TTL has not passed at `now_ms` (HGETALL's count).
uint64_t LiveLength(const KeyEntry* e, int64_t now_ms);
// True if some field carries a TTL.
bool HasFieldTtls(const KeyEntry* e);

enum class Lookup { kMissing, kExpired, kFound };
// Looks up `field`; on kFound/kExpired fills *value (copied) and *expire_ms.
Lookup Get(const KeyEntry* e, std::string_view field, int64_t now_ms, std::string* value,
           int64_t* expire_ms);

// Calls fn(std::string_view field, std::string_view value, int64_t expire_ms) for every field,
// including expired ones (callers filter), in storage order.
template <typename F>
void ForEach(const KeyEntry* e, F&& fn);

inline bool FieldExpired(int64_t expire_ms, int64_t now_ms) {
  return expire_ms != obj::kNoExpire && expire_ms < now_ms;
}

// Creation for `expected` fields whose longest field/value is `max_len`.
std::pair<Encoding, void*> NewFor(uint64_t expected, size_t max_len, bool with_ttls);
// Sets a field (an existing field loses its TTL, as HSET does). True if new.
bool Set(KeyEntry* e, std::string_view field, std::string_view value);
bool Remove(KeyEntry* e, std::string_view field);
// Sets or (kNoExpire) clears a field's TTL; false if the field is absent. Converts a plain
// listpack to kListpackEx as Redis 7.4 does.
bool SetFieldExpire(KeyEntry* e, std::string_view field, int64_t expire_ms);
void ConvertToHashtable(KeyEntry* e);

}  // namespace hash
}  // namespace redlink::engine

#include "engine/encoding/listpack.h"

namespace redlink::engine::hash {

template <typename F>
void ForEach(const KeyEntry* e, F&& fn) {
  Encoding enc = obj::Enc(e);
  if (enc == Encoding::kHashtable) {
    static_cast<const BigHash*>(obj::Ptr(e))->ForEach([&](const HashNode* n) {
      fn(HashNodeTraits::Key(n), HashNodeValue(n), HashNodeExpire(n));
    });
    return;
  }
  listpack::Reader r(listpack::View(static_cast<const char*>(obj::Ptr(e))));
  listpack::Entry f, v, t;
  char fb[24], vb[24];
  while (r.Next(&f) && r.Next(&v)) {
    int64_t exp = obj::kNoExpire;
    if (enc == Encoding::kListpackEx) {
      if (!r.Next(&t)) break;
      if (t.is_int && t.ival != 0) exp = t.ival;
    }
    fn(f.AsString(fb), v.AsString(vb), exp);
  }
}

}  // namespace redlink::engine::hash
