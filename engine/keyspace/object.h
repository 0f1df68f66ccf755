#pragma once
// One key of the key space: a single malloc'd block holding the hash-chain pointer, the type and
// encoding, the optional TTL, the key bytes and the value (an integer, the string bytes inline,
// or a pointer to a container).
//
// Layout (all fields unaligned-safe, accessed through the functions below):
//   [0]  KeyEntry* next                       hash chain (HashTable)
//   [8]  u8 type | u8 encoding | u8 flags | u8 spare | u32 key length
//   [16] i64 expire_ms                        only if flags & kHasExpire
//   ...  i64/pointer value slot               every encoding except kEmbStr
//        or u32 value length                  kEmbStr
//   ...  key bytes
//   ...  value bytes                          kEmbStr only
//
// Compared with Redis (dictEntry 24 + key sds + robj 16 + embstr/raw sds, and a second
// dictEntry for a TTL), a short string key costs one allocation of 20 + key + value bytes.
// Changing a string value or adding/removing a TTL reallocates the block: callers get the new
// pointer (Keyspace's API relinks it in the table). Container encodings keep the block as is.

#include <cstdint>
#include <string>
#include <string_view>

namespace redlink::engine {

enum class ObjType : uint8_t { kString = 0, kList, kSet, kZset, kHash, kStream };

enum class Encoding : uint8_t {
  kInt,         // string: canonical int64 in the value slot (Redis OBJ_ENCODING_INT)
  kEmbStr,      // string: bytes inline in the entry
  kRaw,         // string: growable heap buffer (RawString), for APPEND/SETRANGE/SETBIT
  kListpack,    // list / set / zset / hash: a malloc'd Redis listpack
  kListpackEx,  // hash with field TTLs: listpack of field, value, expire-ms (0 = none)
  kQuicklist,   // list: Quicklist
  kIntset,      // set: a malloc'd Redis intset
  kHashtable,   // set: BigSet; hash: BigHash
  kSkiplist,    // zset: BigZset (order-statistic tree + member index)
  kStream,      // stream: Stream
};

const char* TypeName(ObjType t);                  // "string", "list", ...
const char* EncodingName(ObjType t, Encoding e);  // as OBJECT ENCODING answers

struct KeyEntry;  // opaque: see the layout above

// A growable string buffer (kRaw): length + bytes; capacity is malloc_usable_size - header.
struct RawString {
  uint64_t len;
  char data[];
};

namespace obj {

constexpr uint8_t kHasExpire = 1;
constexpr int64_t kNoExpire = -1;

// Strings of at most this many bytes that are canonical integers become kInt (Redis: 20).
constexpr size_t kMaxIntStringLen = 20;

// Creates a string entry: kInt if `value` is a canonical int64, else kEmbStr.
KeyEntry* NewString(std::string_view key, std::string_view value, int64_t expire_ms);
// Creates a string entry with a growable buffer (kRaw), for in-place edits.
KeyEntry* NewRawString(std::string_view key, std::string_view value, int64_t expire_ms);
// Creates an entry for a container; `ptr` is owned by the entry from now on.
KeyEntry* NewContainer(std::string_view key, ObjType type, Encoding enc, void* ptr,
                       int64_t expire_ms);
// Frees the entry and its value.
void Free(KeyEntry* e);

// Accessors.
std::string_view Key(const KeyEntry* e);
ObjType Type(const KeyEntry* e);
Encoding Enc(const KeyEntry* e);
int64_t Expire(const KeyEntry* e);  // kNoExpire if none
bool HasExpire(const KeyEntry* e);
KeyEntry** NextSlot(KeyEntry* e);

// The container pointer (any container encoding) and its replacement (encoding conversions;
// the caller frees the old container).
void* Ptr(const KeyEntry* e);
void SetPtr(KeyEntry* e, Encoding enc, void* ptr);

// Strings. `buf` must hold 21 bytes (an int rendered as text).
std::string_view StringValue(const KeyEntry* e, char* buf);
int64_t IntValue(const KeyEntry* e);  // kInt only
RawString* Raw(const KeyEntry* e);    // kRaw only
// Replaces the string value; returns the (possibly moved) entry. The old pointer is invalid.
KeyEntry* SetString(KeyEntry* e, std::string_view value);
// Converts the value to kRaw with room for at least `min_capacity` bytes; returns the entry
// (possibly moved). Strings built this way stay kRaw until SetString.
KeyEntry* MakeRaw(KeyEntry* e, size_t min_capacity);
// Capacity of a kRaw buffer, and growing it (amortised doubling). Length is set by the caller.
size_t RawCapacity(const KeyEntry* e);
void RawReserve(KeyEntry* e, size_t min_capacity);

// Sets or removes the TTL; returns the (possibly moved) entry. The old pointer is invalid.
KeyEntry* SetExpire(KeyEntry* e, int64_t expire_ms);
// Same value and TTL under another key (RENAME/MOVE/COPY move); `e` is consumed.
KeyEntry* Rekey(KeyEntry* e, std::string_view new_key);
// A deep copy (COPY) under `new_key`.
KeyEntry* Clone(const KeyEntry* e, std::string_view new_key);

// Bytes this entry uses (the block and its value), as malloc reports them. O(1).
size_t Bytes(const KeyEntry* e);
// Bytes of the value only (MEMORY USAGE's value part).
size_t ValueBytes(const KeyEntry* e);

}  // namespace obj

// malloc_usable_size wrapper (0 for nullptr).
size_t AllocSize(const void* p);

// Hash-table traits for the key space.
struct KeyEntryTraits {
  using Node = KeyEntry;
  static std::string_view Key(const KeyEntry* e) { return obj::Key(e); }
  static KeyEntry** NextSlot(KeyEntry* e) { return obj::NextSlot(e); }
};

}  // namespace redlink::engine
