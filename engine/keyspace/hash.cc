#include "engine/keyspace/hash.h"

#include <cstdlib>
#include <cstring>

#include "engine/keyspace/set.h"

namespace redlink::engine {

// Node: next | u8 flags | [i64 expire] | varint flen | varint vlen | field | value
struct HashNode {
  HashNode* next;
  uint8_t flags;
  char data[];
};

namespace {

constexpr uint8_t kNodeHasExpire = 1;

struct NodeParts {
  std::string_view field;
  std::string_view value;
  int64_t expire;
};

NodeParts Parts(const HashNode* n) {
  const char* p = n->data;
  NodeParts r;
  r.expire = obj::kNoExpire;
  if (n->flags & kNodeHasExpire) {
    std::memcpy(&r.expire, p, 8);
    p += 8;
  }
  uint64_t fl, vl;
  p += GetVarint(p, &fl);
  p += GetVarint(p, &vl);
  r.field = std::string_view(p, fl);
  r.value = std::string_view(p + fl, vl);
  return r;
}

HashNode* NewHashNode(std::string_view f, std::string_view v, int64_t expire) {
  bool has = expire != obj::kNoExpire;
  size_t size = sizeof(HashNode) + (has ? 8 : 0) + VarintSize(f.size()) + VarintSize(v.size()) +
                f.size() + v.size();
  auto* n = static_cast<HashNode*>(std::malloc(size));
  if (n == nullptr) std::abort();
  n->next = nullptr;
  n->flags = has ? kNodeHasExpire : 0;
  char* p = n->data;
  if (has) {
    std::memcpy(p, &expire, 8);
    p += 8;
  }
  p += PutVarint(p, f.size());
  p += PutVarint(p, v.size());
  if (!f.empty()) std::memcpy(p, f.data(), f.size());
  if (!v.empty()) std::memcpy(p + f.size(), v.data(), v.size());
  return n;
}

}  // namespace

std::string_view HashNodeTraits::Key(const HashNode* n) { return Parts(n).field; }
HashNode** HashNodeTraits::NextSlot(HashNode* n) { return &n->next; }
std::string_view HashNodeValue(const HashNode* n) { return Parts(n).value; }
int64_t HashNodeExpire(const HashNode* n) { return Parts(n).expire; }

BigHash::~BigHash() {
  table_.Clear([](HashNode* n) { std::free(n); });
}

BigHash* BigHash::Clone() const {
  auto* h = new BigHash();
  h->Reserve(size());
  ForEach([&](const HashNode* n) {
    NodeParts p = Parts(n);
    h->Set(p.field, p.value, p.expire);
  });
  return h;
}

bool BigHash::Set(std::string_view field, std::string_view value, int64_t expire_ms,
                  bool keep_ttl) {
  HashNode* old = table_.Find(field);
  if (old == nullptr) {
    HashNode* n = NewHashNode(field, value, expire_ms);
    node_bytes_ += AllocSize(n);
    if (expire_ms != obj::kNoExpire) ++ttl_fields_;
    table_.Insert(n);
    return true;
  }
  int64_t old_exp = Parts(old).expire;
  int64_t exp = keep_ttl ? old_exp : obj::kNoExpire;
  HashNode* n = NewHashNode(field, value, exp);
  table_.Replace(old, n);
  node_bytes_ += AllocSize(n);
  node_bytes_ -= AllocSize(old);
  if (old_exp != obj::kNoExpire) --ttl_fields_;
  if (exp != obj::kNoExpire) ++ttl_fields_;
  std::free(old);
  return false;
}

bool BigHash::Remove(std::string_view field) {
  HashNode* n = table_.Unlink(field);
  if (n == nullptr) return false;
  if (n->flags & kNodeHasExpire) --ttl_fields_;
  node_bytes_ -= AllocSize(n);
  std::free(n);
  return true;
}

bool BigHash::SetExpire(std::string_view field, int64_t expire_ms) {
  HashNode* old = table_.Find(field);
  if (old == nullptr) return false;
  NodeParts p = Parts(old);
  if (p.expire != obj::kNoExpire && expire_ms != obj::kNoExpire) {
    std::memcpy(old->data, &expire_ms, 8);  // same layout: update in place
    return true;
  }
  if (p.expire == expire_ms) return true;
  HashNode* n = NewHashNode(p.field, p.value, expire_ms);
  table_.Replace(old, n);
  node_bytes_ += AllocSize(n);
  node_bytes_ -= AllocSize(old);
  if (p.expire != obj::kNoExpire) --ttl_fields_;
  if (expire_ms != obj::kNoExpire) ++ttl_fields_;
  std::free(old);
  return true;
}

namespace hash {
namespace lp = listpack;

namespace {

int Stride(const KeyEntry* e) { return obj::Enc(e) == Encoding::kListpackEx ? 3 : 2; }

// Offset of `field`'s first entry in the listpack; 0 if absent. Fills value/expire.
size_t LpFind(const KeyEntry* e, std::string_view field, std::string* value, int64_t* expire) {
  std::string_view v = lp::View(static_cast<const char*>(obj::Ptr(e)));
  bool ex = obj::Enc(e) == Encoding::kListpackEx;
  lp::Entry f, val, t;
  for (size_t off = lp::kHeaderSize; !lp::AtEnd(v, off);) {
    size_t voff = lp::EntryAt(v, off, &f);
    size_t next = lp::EntryAt(v, voff, &val);
    int64_t exp = obj::kNoExpire;
    if (ex) {
      next = lp::EntryAt(v, next, &t);
      if (t.is_int && t.ival != 0) exp = t.ival;
    }
    if (lp::EntryEquals(f, field)) {
      if (value != nullptr) {
        char buf[24];
        value->assign(val.AsString(buf));
      }
      if (expire != nullptr) *expire = exp;
      return off;
    }
    off = next;
  }
  return 0;
}

// Inserts a triplet into a listpackEx at its TTL position.
void LpExInsert(KeyEntry* e, std::string_view field, std::string_view value, int64_t expire) {
  char* p = static_cast<char*>(obj::Ptr(e));
  std::string_view v = lp::View(p);
  size_t pos = v.size() - 1;
  if (expire != obj::kNoExpire) {
    lp::Entry f, val, t;
    for (size_t off = lp::kHeaderSize; !lp::AtEnd(v, off);) {
      size_t next = lp::EntryAt(v, off, &f);
      next = lp::EntryAt(v, next, &val);
      next = lp::EntryAt(v, next, &t);
      int64_t te = t.is_int ? t.ival : 0;
      if (te == 0 || te >= expire) {
        pos = off;
        break;
      }
      off = next;
    }
  }
  std::string enc;
  lp::AppendEncoded(&enc, field);
  lp::AppendEncoded(&enc, value);
  lp::AppendEncodedInt(&enc, expire == obj::kNoExpire ? 0 : expire);
  obj::SetPtr(e, Encoding::kListpackEx, lp::Splice(p, pos, 0, 0, enc, 3));
}

}  // namespace

uint64_t Length(const KeyEntry* e) {
  if (obj::Enc(e) == Encoding::kHashtable) {
    return static_cast<const BigHash*>(obj::Ptr(e))->size();
  }
  return lp::Length(lp::View(static_cast<const char*>(obj::Ptr(e)))) / Stride(e);
}

uint64_t LiveLength(const KeyEntry* e, int64_t now_ms) {
  if (!HasFieldTtls(e)) return Length(e);
  uint64_t n = 0;
  ForEach(e, [&](std::string_view, std::string_view, int64_t exp) {
    if (!FieldExpired(exp, now_ms)) ++n;
  });
  return n;
}

bool HasFieldTtls(const KeyEntry* e) {
  switch (obj::Enc(e)) {
    case Encoding::kHashtable:
      return static_cast<const BigHash*>(obj::Ptr(e))->fields_with_ttl() > 0;
    case Encoding::kListpackEx: {
      // Ordered by TTL: the first triplet has a TTL if any does.
      std::string_view v = lp::View(static_cast<const char*>(obj::Ptr(e)));
      size_t off = lp::Seek(v, 2);
      if (off == 0) return false;
      lp::Entry t;
      lp::EntryAt(v, off, &t);
      return t.is_int && t.ival != 0;
    }
    default:
      return false;
  }
}

Lookup Get(const KeyEntry* e, std::string_view field, int64_t now_ms, std::string* value,
           int64_t* expire_ms) {
  int64_t exp = obj::kNoExpire;
  if (obj::Enc(e) == Encoding::kHashtable) {
    HashNode* n = static_cast<BigHash*>(obj::Ptr(e))->Find(field);
    if (n == nullptr) return Lookup::kMissing;
    NodeParts p = Parts(n);
    if (value != nullptr) value->assign(p.value);
    exp = p.expire;
  } else if (LpFind(e, field, value, &exp) == 0) {
    return Lookup::kMissing;
  }
  if (expire_ms != nullptr) *expire_ms = exp;
  return FieldExpired(exp, now_ms) ? Lookup::kExpired : Lookup::kFound;
}

std::pair<Encoding, void*> NewFor(uint64_t expected, size_t max_len, bool with_ttls) {
  if (expected <= kMaxListpackEntries && max_len <= kMaxListpackValue) {
    return {with_ttls ? Encoding::kListpackEx : Encoding::kListpack, lp::NewEmpty()};
  }
  auto* h = new BigHash();
  h->Reserve(expected);
  return {Encoding::kHashtable, h};
}

void ConvertToHashtable(KeyEntry* e) {
  if (obj::Enc(e) == Encoding::kHashtable) return;
  auto* h = new BigHash();
  h->Reserve(Length(e));
  ForEach(e, [&](std::string_view f, std::string_view v, int64_t exp) { h->Set(f, v, exp); });
  std::free(obj::Ptr(e));
  obj::SetPtr(e, Encoding::kHashtable, h);
}

bool Set(KeyEntry* e, std::string_view field, std::string_view value) {
  Encoding enc = obj::Enc(e);
  if (enc == Encoding::kHashtable) return static_cast<BigHash*>(obj::Ptr(e))->Set(field, value);
  if (field.size() > kMaxListpackValue || value.size() > kMaxListpackValue) {
    ConvertToHashtable(e);
    return Set(e, field, value);
  }
  int64_t exp = obj::kNoExpire;
  size_t at = LpFind(e, field, nullptr, &exp);
  char* p = static_cast<char*>(obj::Ptr(e));
  if (at != 0) {
    if (enc == Encoding::kListpack || exp == obj::kNoExpire) {
      lp::Entry f;
      size_t voff = lp::EntryAt(lp::View(p), at, &f);
      obj::SetPtr(e, enc, lp::ReplaceAt(p, voff, value));
    } else {
      obj::SetPtr(e, enc, lp::DeleteAt(p, at, 3));
      LpExInsert(e, field, value, obj::kNoExpire);
    }
    return false;
  }
  if (Length(e) + 1 > kMaxListpackEntries) {
    ConvertToHashtable(e);
    return Set(e, field, value);
  }
  if (enc == Encoding::kListpackEx) {
    LpExInsert(e, field, value, obj::kNoExpire);
  } else {
    std::string encd;
    lp::AppendEncoded(&encd, field);
    lp::AppendEncoded(&encd, value);
    obj::SetPtr(e, enc, lp::Splice(p, lp::TotalBytes(lp::View(p)) - 1, 0, 0, encd, 2));
  }
  return true;
}

bool Remove(KeyEntry* e, std::string_view field) {
  if (obj::Enc(e) == Encoding::kHashtable) {
    return static_cast<BigHash*>(obj::Ptr(e))->Remove(field);
  }
  size_t at = LpFind(e, field, nullptr, nullptr);
  if (at == 0) return false;
  obj::SetPtr(e, obj::Enc(e),
              lp::DeleteAt(static_cast<char*>(obj::Ptr(e)), at, static_cast<uint32_t>(Stride(e))));
  return true;
}

bool SetFieldExpire(KeyEntry* e, std::string_view field, int64_t expire_ms) {
  Encoding enc = obj::Enc(e);
  if (enc == Encoding::kHashtable) {
    return static_cast<BigHash*>(obj::Ptr(e))->SetExpire(field, expire_ms);
  }
  std::string value;
  int64_t old = obj::kNoExpire;
  size_t at = LpFind(e, field, &value, &old);
  if (at == 0) return false;
  if (enc == Encoding::kListpack) {
    if (expire_ms == obj::kNoExpire) return true;
    // Convert to the TTL-capable listpack: every pair gets a 0 TTL.
    std::string_view v = lp::View(static_cast<const char*>(obj::Ptr(e)));
    std::string encd;
    lp::Entry f, val;
    char fb[24], vb[24];
    uint32_t n = 0;
    lp::Reader r(v);
    while (r.Next(&f) && r.Next(&val)) {
      lp::AppendEncoded(&encd, f.AsString(fb));
      lp::AppendEncoded(&encd, val.AsString(vb));
      lp::AppendEncodedInt(&encd, 0);
      n += 3;
    }
    char* p = lp::Splice(lp::NewEmpty(), lp::kHeaderSize, 0, 0, encd, n);
    std::free(obj::Ptr(e));
    obj::SetPtr(e, Encoding::kListpackEx, p);
    at = LpFind(e, field, nullptr, nullptr);
  }
  if (old == expire_ms) return true;
  obj::SetPtr(e, Encoding::kListpackEx, lp::DeleteAt(static_cast<char*>(obj::Ptr(e)), at, 3));
  LpExInsert(e, field, value, expire_ms);
  return true;
}

}  // namespace hash
}  // namespace redlink::engine
