#include "engine/keyspace/set.h"

#include <cstdlib>
#include <cstring>

namespace redlink::engine {

size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 128) {
    v >>= 7;
    ++n;
  }
  return n;
}

size_t PutVarint(char* p, uint64_t v) {
  size_t n = 0;
  while (v >= 128) {
    p[n++] = static_cast<char>((v & 127) | 128);
    v >>= 7;
  }
  p[n++] = static_cast<char>(v);
  return n;
}

size_t GetVarint(const char* p, uint64_t* v) {
  uint64_t r = 0;
  size_t n = 0;
  int shift = 0;
  for (;;) {
    uint8_t b = static_cast<uint8_t>(p[n++]);
    r |= static_cast<uint64_t>(b & 127) << shift;
    if ((b & 128) == 0) break;
    shift += 7;
  }
  *v = r;
  return n;
}

struct SetNode {
  SetNode* next;
  char data[];  // varint length, bytes
};

std::string_view SetNodeTraits::Key(const SetNode* n) {
  uint64_t len;
  size_t h = GetVarint(n->data, &len);
  return std::string_view(n->data + h, len);
}

SetNode** SetNodeTraits::NextSlot(SetNode* n) { return &n->next; }

namespace {

SetNode* NewSetNode(std::string_view m) {
  size_t h = VarintSize(m.size());
  auto* n = static_cast<SetNode*>(std::malloc(sizeof(SetNode) + h + m.size()));
  if (n == nullptr) std::abort();
  n->next = nullptr;
  PutVarint(n->data, m.size());
  if (!m.empty()) std::memcpy(n->data + h, m.data(), m.size());
  return n;
}

}  // namespace

BigSet::~BigSet() {
  table_.Clear([](SetNode* n) { std::free(n); });
}

BigSet* BigSet::Clone() const {
  auto* s = new BigSet();
  s->Reserve(size());
  ForEach([&](std::string_view m) { s->Add(m); });
  return s;
}

bool BigSet::Add(std::string_view m) {
  if (table_.Find(m) != nullptr) return false;
  SetNode* n = NewSetNode(m);
  node_bytes_ += AllocSize(n);
  table_.Insert(n);
  return true;
}

bool BigSet::Remove(std::string_view m) {
  SetNode* n = table_.Unlink(m);
  if (n == nullptr) return false;
  node_bytes_ -= AllocSize(n);
  std::free(n);
  return true;
}

std::string_view BigSet::Random() {
  SetNode* n = table_.Random();
  return n == nullptr ? std::string_view() : SetNodeTraits::Key(n);
}

namespace set {
namespace lp = listpack;

uint64_t Size(const KeyEntry* e) {
  switch (obj::Enc(e)) {
    case Encoding::kIntset:
      return intset::Length(static_cast<const char*>(obj::Ptr(e)));
    case Encoding::kListpack:
      return lp::Length(lp::View(static_cast<const char*>(obj::Ptr(e))));
    default:
      return static_cast<const BigSet*>(obj::Ptr(e))->size();
  }
}

bool Contains(const KeyEntry* e, std::string_view m) {
  switch (obj::Enc(e)) {
    case Encoding::kIntset: {
      int64_t v;
      return lp::StringToInt64Strict(m, &v) &&
             intset::Find(static_cast<const char*>(obj::Ptr(e)), v);
    }
    case Encoding::kListpack: {
      lp::Reader r(lp::View(static_cast<const char*>(obj::Ptr(e))));
      lp::Entry en;
      while (r.Next(&en)) {
        if (lp::EntryEquals(en, m)) return true;
      }
      return false;
    }
    default:
      return static_cast<BigSet*>(obj::Ptr(e))->Contains(m);
  }
}

void Random(const KeyEntry* e, std::string* out) {
  uint64_t n = Size(e);
  if (n == 0) {
    out->clear();
    return;
  }
  switch (obj::Enc(e)) {
    case Encoding::kIntset: {
      listpack::Entry en;
      en.is_int = true;
      en.ival = intset::Get(static_cast<const char*>(obj::Ptr(e)),
                            static_cast<uint32_t>(FastRandom() % n));
      char buf[24];
      out->assign(en.AsString(buf));
      return;
    }
    case Encoding::kListpack: {
      std::string_view v = lp::View(static_cast<const char*>(obj::Ptr(e)));
      lp::Entry en;
      lp::EntryAt(v, lp::Seek(v, static_cast<int64_t>(FastRandom() % n)), &en);
      char buf[24];
      out->assign(en.AsString(buf));
      return;
    }
    default:
      out->assign(static_cast<BigSet*>(obj::Ptr(e))->Random());
  }
}

std::pair<Encoding, void*> NewFor(std::string_view first, uint64_t expected) {
  int64_t v;
  if (lp::StringToInt64Strict(first, &v) && expected <= kMaxIntsetEntries) {
    return {Encoding::kIntset, intset::NewEmpty()};
  }
  if (expected <= kMaxListpackEntries && first.size() <= kMaxListpackValue) {
    return {Encoding::kListpack, lp::NewEmpty()};
  }
  auto* s = new BigSet();
  s->Reserve(expected);
  return {Encoding::kHashtable, s};
}

void ConvertToHashtable(KeyEntry* e, uint64_t expected) {
  if (obj::Enc(e) == Encoding::kHashtable) return;
  auto* s = new BigSet();
  s->Reserve(std::max(expected, Size(e)));
  ForEach(e, [&](std::string_view m) { s->Add(m); });
  std::free(obj::Ptr(e));
  obj::SetPtr(e, Encoding::kHashtable, s);
}

namespace {

void IntsetToListpack(KeyEntry* e) {
  const char* is = static_cast<const char*>(obj::Ptr(e));
  char* p = lp::NewEmpty();
  std::string enc;
  uint32_t n = intset::Length(is);
  for (uint32_t i = 0; i < n; ++i) lp::AppendEncodedInt(&enc, intset::Get(is, i));
  p = lp::Splice(p, lp::kHeaderSize, 0, 0, enc, n);
  std::free(obj::Ptr(e));
  obj::SetPtr(e, Encoding::kListpack, p);
}

}  // namespace

bool Add(KeyEntry* e, std::string_view m) {
  switch (obj::Enc(e)) {
    case Encoding::kIntset: {
      char* is = static_cast<char*>(obj::Ptr(e));
      int64_t v;
      if (lp::StringToInt64Strict(m, &v)) {
        bool added;
        is = intset::Add(is, v, &added);
        obj::SetPtr(e, Encoding::kIntset, is);
        if (added && intset::Length(is) > kMaxIntsetEntries) ConvertToHashtable(e, 0);
        return added;
      }
      // A non-integer member: listpack if it stays small, else a hashtable.
      if (intset::Length(is) + 1 <= kMaxListpackEntries && m.size() <= kMaxListpackValue) {
        IntsetToListpack(e);
      } else {
        ConvertToHashtable(e, intset::Length(is) + 1);
      }
      return Add(e, m);
    }
    case Encoding::kListpack: {
      if (Contains(e, m)) return false;
      char* p = static_cast<char*>(obj::Ptr(e));
      if (lp::Length(lp::View(p)) + 1 > kMaxListpackEntries || m.size() > kMaxListpackValue) {
        ConvertToHashtable(e, lp::Length(lp::View(p)) + 1);
        return Add(e, m);
      }
      obj::SetPtr(e, Encoding::kListpack, lp::Append(p, m));
      return true;
    }
    default:
      return static_cast<BigSet*>(obj::Ptr(e))->Add(m);
  }
}

bool Remove(KeyEntry* e, std::string_view m) {
  switch (obj::Enc(e)) {
    case Encoding::kIntset: {
      int64_t v;
      if (!lp::StringToInt64Strict(m, &v)) return false;
      bool removed;
      obj::SetPtr(e, Encoding::kIntset,
                  intset::Remove(static_cast<char*>(obj::Ptr(e)), v, &removed));
      return removed;
    }
    case Encoding::kListpack: {
      char* p = static_cast<char*>(obj::Ptr(e));
      std::string_view v = lp::View(p);
      lp::Entry en;
      for (size_t off = lp::kHeaderSize; !lp::AtEnd(v, off);) {
        size_t next = lp::EntryAt(v, off, &en);
        if (lp::EntryEquals(en, m)) {
          obj::SetPtr(e, Encoding::kListpack, lp::DeleteAt(p, off, 1));
          return true;
        }
        off = next;
      }
      return false;
    }
    default:
      return static_cast<BigSet*>(obj::Ptr(e))->Remove(m);
  }
}

}  // namespace set
}  // namespace redlink::engine
