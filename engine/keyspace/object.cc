#include "engine/keyspace/object.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "engine/encoding/listpack.h"
#include "engine/keyspace/hash.h"
#include "engine/keyspace/intset.h"
#include "engine/keyspace/list.h"
#include "engine/keyspace/set.h"
#include "engine/keyspace/stream.h"
#include "engine/keyspace/zset.h"

namespace redlink::engine {

size_t AllocSize(const void* p) {
  return p == nullptr ? 0 : malloc_usable_size(const_cast<void*>(p));
}

const char* TypeName(ObjType t) {
  switch (t) {
    case ObjType::kString:
      return "string";
    case ObjType::kList:
      return "list";
    case ObjType::kSet:
      return "set";
    case ObjType::kZset:
      return "zset";
    case ObjType::kHash:
      return "hash";
    case ObjType::kStream:
      return "stream";
  }
  return "unknown";
}

const char* EncodingName(ObjType t, Encoding e) {
  switch (e) {
    case Encoding::kInt:
      return "int";
    case Encoding::kEmbStr:
      return "embstr";
    case Encoding::kRaw:
      return "raw";
    case Encoding::kListpack:
      return "listpack";
    case Encoding::kListpackEx:
      return "listpackex";
    case Encoding::kQuicklist:
      return "quicklist";
    case Encoding::kIntset:
      return "intset";
    case Encoding::kHashtable:
      return "hashtable";
    case Encoding::kSkiplist:
      return "skiplist";
    case Encoding::kStream:
      return "stream";
  }
  (void)t;
  return "unknown";
}

// The block layout (see object.h).
struct KeyEntry {
  KeyEntry* next;
  uint8_t type;
  uint8_t enc;
  uint8_t flags;
  uint8_t spare;
  uint32_t key_len;
  char rest[];
};

namespace obj {
namespace {

constexpr size_t kHeader = sizeof(KeyEntry);  // 16

size_t ExpireOff(const KeyEntry*) { return 0; }
size_t SlotOff(const KeyEntry* e) { return (e->flags & kHasExpire) ? 8 : 0; }
size_t SlotSize(uint8_t enc) { return static_cast<Encoding>(enc) == Encoding::kEmbStr ? 4 : 8; }
size_t KeyOff(const KeyEntry* e) { return SlotOff(e) + SlotSize(e->enc); }

uint32_t EmbLen(const KeyEntry* e) {
  uint32_t v;
  std::memcpy(&v, e->rest + SlotOff(e), 4);
  return v;
}

KeyEntry* Alloc(std::string_view key, uint8_t type, uint8_t enc, int64_t expire_ms, size_t extra) {
  bool has_exp = expire_ms != kNoExpire;
  size_t size = kHeader + (has_exp ? 8 : 0) + SlotSize(enc) + key.size() + extra;
  auto* e = static_cast<KeyEntry*>(std::malloc(size));
  if (e == nullptr) std::abort();
  e->next = nullptr;
  e->type = type;
  e->enc = enc;
  e->flags = has_exp ? kHasExpire : 0;
  e->spare = 0;
  e->key_len = static_cast<uint32_t>(key.size());
  if (has_exp) std::memcpy(e->rest, &expire_ms, 8);
  if (!key.empty()) std::memcpy(e->rest + KeyOff(e), key.data(), key.size());
  return e;
}

void SetSlot(KeyEntry* e, uint64_t v) { std::memcpy(e->rest + SlotOff(e), &v, 8); }
uint64_t GetSlot(const KeyEntry* e) {
  uint64_t v;
  std::memcpy(&v, e->rest + SlotOff(e), 8);
  return v;
}

void FreeValue(KeyEntry* e) {
  void* p = nullptr;
  if (static_cast<Encoding>(e->enc) != Encoding::kInt &&
      static_cast<Encoding>(e->enc) != Encoding::kEmbStr) {
    p = Ptr(e);
  }
  switch (static_cast<Encoding>(e->enc)) {
    case Encoding::kInt:
    case Encoding::kEmbStr:
      break;
    case Encoding::kRaw:
    case Encoding::kListpack:
    case Encoding::kListpackEx:
    case Encoding::kIntset:
      std::free(p);
      break;
    case Encoding::kQuicklist:
      delete static_cast<Quicklist*>(p);
      break;
    case Encoding::kHashtable:
      if (static_cast<ObjType>(e->type) == ObjType::kSet) {
        delete static_cast<BigSet*>(p);
      } else {
        delete static_cast<BigHash*>(p);
      }
      break;
    case Encoding::kSkiplist:
      delete static_cast<BigZset*>(p);
      break;
    case Encoding::kStream:
      delete static_cast<Stream*>(p);
      break;
  }
}

RawString* NewRaw(std::string_view value, size_t capacity) {
  if (capacity < value.size()) capacity = value.size();
  auto* r = static_cast<RawString*>(std::malloc(sizeof(RawString) + capacity));
  if (r == nullptr) std::abort();
  r->len = value.size();
  if (!value.empty()) std::memcpy(r->data, value.data(), value.size());
  return r;
}

}  // namespace

KeyEntry* NewString(std::string_view key, std::string_view value, int64_t expire_ms) {
  int64_t iv;
  if (value.size() <= kMaxIntStringLen && listpack::StringToInt64Strict(value, &iv)) {
    KeyEntry* e = Alloc(key, static_cast<uint8_t>(ObjType::kString),
                        static_cast<uint8_t>(Encoding::kInt), expire_ms, 0);
    SetSlot(e, static_cast<uint64_t>(iv));
    return e;
  }
  KeyEntry* e = Alloc(key, static_cast<uint8_t>(ObjType::kString),
                      static_cast<uint8_t>(Encoding::kEmbStr), expire_ms, value.size());
  uint32_t len = static_cast<uint32_t>(value.size());
  std::memcpy(e->rest + SlotOff(e), &len, 4);
  if (!value.empty()) std::memcpy(e->rest + KeyOff(e) + e->key_len, value.data(), value.size());
  return e;
}

KeyEntry* NewRawString(std::string_view key, std::string_view value, int64_t expire_ms) {
  KeyEntry* e = Alloc(key, static_cast<uint8_t>(ObjType::kString),
                      static_cast<uint8_t>(Encoding::kRaw), expire_ms, 0);
  SetSlot(e, reinterpret_cast<uint64_t>(NewRaw(value, value.size())));
  return e;
}

KeyEntry* NewContainer(std::string_view key, ObjType type, Encoding enc, void* ptr,
                       int64_t expire_ms) {
  KeyEntry* e = Alloc(key, static_cast<uint8_t>(type), static_cast<uint8_t>(enc), expire_ms, 0);
  SetSlot(e, reinterpret_cast<uint64_t>(ptr));
  return e;
}

void Free(KeyEntry* e) {
  if (e == nullptr) return;
  FreeValue(e);
  std::free(e);
}

std::string_view Key(const KeyEntry* e) {
  return std::string_view(e->rest + KeyOff(e), e->key_len);
}
ObjType Type(const KeyEntry* e) { return static_cast<ObjType>(e->type); }
Encoding Enc(const KeyEntry* e) { return static_cast<Encoding>(e->enc); }
bool HasExpire(const KeyEntry* e) { return (e->flags & kHasExpire) != 0; }
int64_t Expire(const KeyEntry* e) {
  if (!HasExpire(e)) return kNoExpire;
  int64_t v;
  std::memcpy(&v, e->rest + ExpireOff(e), 8);
  return v;
}
KeyEntry** NextSlot(KeyEntry* e) { return &e->next; }

void* Ptr(const KeyEntry* e) { return reinterpret_cast<void*>(GetSlot(e)); }

void SetPtr(KeyEntry* e, Encoding enc, void* ptr) {
  e->enc = static_cast<uint8_t>(enc);
  SetSlot(e, reinterpret_cast<uint64_t>(ptr));
}

int64_t IntValue(const KeyEntry* e) { return static_cast<int64_t>(GetSlot(e)); }
RawString* Raw(const KeyEntry* e) { return static_cast<RawString*>(Ptr(e)); }

std::string_view StringValue(const KeyEntry* e, char* buf) {
  switch (Enc(e)) {
    case Encoding::kInt: {
      char* end = absl::numbers_internal::FastIntToBuffer(IntValue(e), buf);
      return std::string_view(buf, static_cast<size_t>(end - buf));
    }
    case Encoding::kEmbStr:
      return std::string_view(e->rest + KeyOff(e) + e->key_len, EmbLen(e));
    case Encoding::kRaw: {
      const RawString* r = Raw(e);
      return std::string_view(r->data, r->len);
    }
    default:
      return {};
  }
}

KeyEntry* SetString(KeyEntry* e, std::string_view value) {
  KeyEntry* n = NewString(Key(e), value, Expire(e));
  Free(e);
  return n;
}

KeyEntry* MakeRaw(KeyEntry* e, size_t min_capacity) {
  if (Enc(e) == Encoding::kRaw) {
    RawReserve(e, min_capacity);
    return e;
  }
  char buf[24];
  std::string_view v = StringValue(e, buf);
  KeyEntry* n = Alloc(Key(e), e->type, static_cast<uint8_t>(Encoding::kRaw), Expire(e), 0);
  SetSlot(n, reinterpret_cast<uint64_t>(NewRaw(v, min_capacity)));
  Free(e);
  return n;
}

size_t RawCapacity(const KeyEntry* e) { return AllocSize(Raw(e)) - sizeof(RawString); }

void RawReserve(KeyEntry* e, size_t min_capacity) {
  if (RawCapacity(e) >= min_capacity) return;
  size_t cap = std::max(min_capacity, RawCapacity(e) * 2);
  if (cap > min_capacity + (1 << 20)) cap = min_capacity + (1 << 20);  // Redis's SDS_MAX_PREALLOC
  auto* r = static_cast<RawString*>(std::realloc(Raw(e), sizeof(RawString) + cap));
  if (r == nullptr) std::abort();
  SetSlot(e, reinterpret_cast<uint64_t>(r));
}

KeyEntry* SetExpire(KeyEntry* e, int64_t expire_ms) {
  bool has = HasExpire(e);
  if (has && expire_ms != kNoExpire) {
    std::memcpy(e->rest + ExpireOff(e), &expire_ms, 8);
    return e;
  }
  if (!has && expire_ms == kNoExpire) return e;
  // Layout changes: copy into a new block.
  size_t old_body = AllocSize(e);  // upper bound; compute the exact used size instead
  (void)old_body;
  size_t tail = SlotSize(e->enc) + e->key_len + (Enc(e) == Encoding::kEmbStr ? EmbLen(e) : 0);
  size_t size = kHeader + (expire_ms != kNoExpire ? 8 : 0) + tail;
  auto* n = static_cast<KeyEntry*>(std::malloc(size));
  if (n == nullptr) std::abort();
  std::memcpy(n, e, kHeader);
  n->next = nullptr;
  n->flags = expire_ms != kNoExpire ? static_cast<uint8_t>(e->flags | kHasExpire)
                                    : static_cast<uint8_t>(e->flags & ~kHasExpire);
  if (expire_ms != kNoExpire) std::memcpy(n->rest, &expire_ms, 8);
  std::memcpy(n->rest + SlotOff(n), e->rest + SlotOff(e), tail);
  std::free(e);  // the value (if any) moved to `n`
  return n;
}

KeyEntry* Rekey(KeyEntry* e, std::string_view new_key) {
  KeyEntry* n;
  if (Enc(e) == Encoding::kEmbStr) {
    char buf[24];
    n = NewString(new_key, StringValue(e, buf), Expire(e));
    std::free(e);
    return n;
  }
  n = Alloc(new_key, e->type, e->enc, Expire(e), 0);
  SetSlot(n, GetSlot(e));
  std::free(e);  // value moved
  return n;
}

KeyEntry* Clone(const KeyEntry* e, std::string_view new_key) {
  int64_t exp = Expire(e);
  switch (Enc(e)) {
    case Encoding::kInt:
    case Encoding::kEmbStr: {
      char buf[24];
      return NewString(new_key, StringValue(e, buf), exp);
    }
    case Encoding::kRaw: {
      char buf[24];
      return NewRawString(new_key, StringValue(e, buf), exp);
    }
    case Encoding::kListpack:
    case Encoding::kListpackEx:
      return NewContainer(new_key, Type(e), Enc(e),
                          listpack::CopyOf(listpack::View(static_cast<const char*>(Ptr(e)))), exp);
    case Encoding::kIntset:
      return NewContainer(new_key, Type(e), Enc(e),
                          intset::CopyOf(intset::View(static_cast<const char*>(Ptr(e)))), exp);
    case Encoding::kQuicklist:
      return NewContainer(new_key, Type(e), Enc(e), static_cast<const Quicklist*>(Ptr(e))->Clone(),
                          exp);
    case Encoding::kHashtable:
      if (Type(e) == ObjType::kSet) {
        return NewContainer(new_key, Type(e), Enc(e), static_cast<const BigSet*>(Ptr(e))->Clone(),
                            exp);
      }
      return NewContainer(new_key, Type(e), Enc(e), static_cast<const BigHash*>(Ptr(e))->Clone(),
                          exp);
    case Encoding::kSkiplist:
      return NewContainer(new_key, Type(e), Enc(e), static_cast<const BigZset*>(Ptr(e))->Clone(),
                          exp);
    case Encoding::kStream:
      return NewContainer(new_key, Type(e), Enc(e), static_cast<const Stream*>(Ptr(e))->Clone(),
                          exp);
  }
  return nullptr;
}

size_t ValueBytes(const KeyEntry* e) {
  switch (Enc(e)) {
    case Encoding::kInt:
    case Encoding::kEmbStr:
      return 0;
    case Encoding::kRaw:
    case Encoding::kListpack:
    case Encoding::kListpackEx:
    case Encoding::kIntset:
      return AllocSize(Ptr(e));
    case Encoding::kQuicklist:
      return static_cast<const Quicklist*>(Ptr(e))->Bytes();
    case Encoding::kHashtable:
      if (Type(e) == ObjType::kSet) return static_cast<const BigSet*>(Ptr(e))->Bytes();
      return static_cast<const BigHash*>(Ptr(e))->Bytes();
    case Encoding::kSkiplist:
      return static_cast<const BigZset*>(Ptr(e))->Bytes();
    case Encoding::kStream:
      return static_cast<const Stream*>(Ptr(e))->Bytes();
  }
  return 0;
}

size_t Bytes(const KeyEntry* e) { return AllocSize(e) + ValueBytes(e); }

}  // namespace obj
}  // namespace redlink::engine
