// Hash commands: HGET HMGET HGETALL HKEYS HVALS HLEN HEXISTS HSTRLEN HSCAN HRANDFIELD, and the
// Redis 7.4 field-TTL reads HTTL HPTTL HEXPIRETIME HPEXPIRETIME. Fields whose TTL has passed
// are hidden as a Redis 7.4 replica hides them (they stay until the master's HDEL).
#include <algorithm>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "engine/common/glob.h"
#include "engine/common/strings.h"
#include "engine/keyspace/cmd_common.h"
#include "engine/keyspace/hash.h"

namespace redlink::engine::cmd {

bool ParseScanCursor(Ctx& c, std::string_view s, uint64_t* cursor);
bool ParseScanOptions(Ctx& c, size_t first, int64_t* count, std::string_view* pattern,
                      bool* use_pattern);

namespace {

KeyEntry* LookupHash(Ctx& c, bool* wrong) {
  *wrong = false;
  KeyEntry* e = c.Lookup(c[1]);
  if (e != nullptr && !CheckType(c, e, ObjType::kHash)) *wrong = true;
  return e;
}

// Live fields (TTL not passed) in storage order.
struct Field {
  std::string field, value;
};
std::vector<Field> LiveFields(const KeyEntry* e, int64_t now) {
  std::vector<Field> out;
  out.reserve(hash::Length(e));
  hash::ForEach(e, [&](std::string_view f, std::string_view v, int64_t exp) {
    if (!hash::FieldExpired(exp, now)) out.push_back(Field{std::string(f), std::string(v)});
  });
  return out;
}

}  // namespace

void HgetCmd(Ctx& c) {
  bool wrong;
  KeyEntry* e = LookupHash(c, &wrong);
  if (wrong) return;
  std::string v;
  if (e == nullptr || hash::Get(e, c[2], c.now(), &v, nullptr) != hash::Lookup::kFound) {
    c.w.Null();
    return;
  }
  c.w.Bulk(v);
}

void HmgetCmd(Ctx& c) {
  bool wrong;
  KeyEntry* e = LookupHash(c, &wrong);
  if (wrong) return;
  c.w.ArrayHeader(c.argc() - 2);
  std::string v;
  for (size_t j = 2; j < c.argc(); ++j) {
    if (e != nullptr && hash::Get(e, c[j], c.now(), &v, nullptr) == hash::Lookup::kFound) {
      c.w.Bulk(v);
    } else {
      c.w.Null();
    }
  }
}

namespace {
void GetAllGeneric(Ctx& c, bool keys, bool values) {
  bool wrong;
  KeyEntry* e = LookupHash(c, &wrong);
  if (wrong) return;
  bool map = keys && values;
  if (e == nullptr) {
    if (map) {
      c.w.MapHeader(0);
    } else {
      c.w.ArrayHeader(0);
    }
    return;
  }
  int64_t now = c.now();
  bool ttls = hash::HasFieldTtls(e);
  uint64_t n = ttls ? hash::LiveLength(e, now) : hash::Length(e);
  if (map) {
    c.w.MapHeader(n);
  } else {
    c.w.ArrayHeader(n);
  }
  hash::ForEach(e, [&](std::string_view f, std::string_view v, int64_t exp) {
    if (ttls && hash::FieldExpired(exp, now)) return;
    if (keys) c.w.Bulk(f);
    if (values) c.w.Bulk(v);
  });
}
}  // namespace

void HgetallCmd(Ctx& c) { GetAllGeneric(c, true, true); }
void HkeysCmd(Ctx& c) { GetAllGeneric(c, true, false); }
void HvalsCmd(Ctx& c) { GetAllGeneric(c, false, true); }

void HlenCmd(Ctx& c) {
  bool wrong;
  KeyEntry* e = LookupHash(c, &wrong);
  if (wrong) return;
  c.w.Integer(e == nullptr ? 0 : static_cast<int64_t>(hash::Length(e)));
}

void HexistsCmd(Ctx& c) {
  bool wrong;
  KeyEntry* e = LookupHash(c, &wrong);
  if (wrong) return;
  c.w.Integer(e != nullptr && hash::Get(e, c[2], c.now(), nullptr, nullptr) == hash::Lookup::kFound
                  ? 1
                  : 0);
}

void HstrlenCmd(Ctx& c) {
  bool wrong;
  KeyEntry* e = LookupHash(c, &wrong);
  if (wrong) return;
  std::string v;
  if (e == nullptr || hash::Get(e, c[2], c.now(), &v, nullptr) != hash::Lookup::kFound) {
    c.w.Integer(0);
    return;
  }
  c.w.Integer(static_cast<int64_t>(v.size()));
}

void HscanCmd(Ctx& c) {
  uint64_t cursor;
  if (!ParseScanCursor(c, c[2], &cursor)) return;
  bool wrong;
  KeyEntry* e = LookupHash(c, &wrong);
  if (wrong) return;
  if (e == nullptr) {
    c.w.ArrayHeader(2);
    c.w.Bulk("0");
    c.w.ArrayHeader(0);
    return;
  }
  int64_t count;
  std::string_view pattern;
  bool use_pattern;
  if (!ParseScanOptions(c, 3, &count, &pattern, &use_pattern)) return;
  int64_t now = c.now();
  std::vector<Field> items;
  if (obj::Enc(e) == Encoding::kHashtable) {
    auto* h = static_cast<BigHash*>(obj::Ptr(e));
    int64_t target = count > INT64_MAX / 2 ? INT64_MAX : count * 2;
    int64_t max_iter = target > INT64_MAX / 10 ? INT64_MAX : target * 10;  // Redis wraps
    do {
      cursor = h->Scan(cursor, [&](const HashNode* n) {
        if (hash::FieldExpired(HashNodeExpire(n), now)) return;
        items.push_back(Field{std::string(HashNodeTraits::Key(n)), std::string(HashNodeValue(n))});
      });
    } while (cursor != 0 && max_iter-- > 0 && static_cast<int64_t>(items.size() * 2) < target);
  } else {
    items = LiveFields(e, now);
    cursor = 0;
  }
  size_t n = 0;
  for (const Field& f : items) {
    if (!use_pattern || GlobMatch(pattern, f.field)) n += 2;
  }
  c.w.ArrayHeader(2);
  c.w.Bulk(StrCat(cursor));
  c.w.ArrayHeader(n);
  for (const Field& f : items) {
    if (use_pattern && !GlobMatch(pattern, f.field)) continue;
    c.w.Bulk(f.field);
    c.w.Bulk(f.value);
  }
}

void HrandfieldCmd(Ctx& c) {
  if (c.argc() >= 3) {
    int64_t l;
    if (!GetRangeLong(c, c[2], -INT64_MAX, INT64_MAX, &l)) return;
    bool withvalues = false;
    if (c.argc() > 4 || (c.argc() == 4 && !EqCase(c[3], "withvalues"))) {
      c.Syntax();
      return;
    }
    if (c.argc() == 4) {
      withvalues = true;
      if (l < -INT64_MAX / 2 || l > INT64_MAX / 2) {
        c.Error(kOutOfRange);
        return;
      }
    }
    bool wrong;
    KeyEntry* e = LookupHash(c, &wrong);
    if (wrong) return;
    if (e == nullptr) {
      c.w.ArrayHeader(0);
      return;
    }
    std::vector<Field> fields = LiveFields(e, c.now());
    uint64_t size = fields.size();
    bool uniq = l >= 0;
    uint64_t count = uniq ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
    if (count == 0 || size == 0) {
      c.w.ArrayHeader(0);
      return;
    }
    auto emit = [&](const Field& f) {
      if (withvalues && c.resp() > 2) c.w.ArrayHeader(2);
      c.w.Bulk(f.field);
      if (withvalues) c.w.Bulk(f.value);
    };
    if (!uniq && count > kMaxSampledReply) {
      c.Error(kSampleTooLarge);
      return;
    }
    if (!uniq || count == 1) {
      c.w.ArrayHeader(withvalues && c.resp() == 2 ? count * 2 : count);
      while (count-- > 0) emit(fields[FastRandom() % size]);
      return;
    }
    uint64_t reply = std::min(count, size);
    c.w.ArrayHeader(withvalues && c.resp() == 2 ? reply * 2 : reply);
    if (count >= size) {
      for (const Field& f : fields) emit(f);
      return;
    }
    std::vector<size_t> idx(size);
    for (size_t i = 0; i < size; ++i) idx[i] = i;
    for (size_t i = 0; i < count; ++i) {
      size_t k = i + FastRandom() % (size - i);
      std::swap(idx[i], idx[k]);
    }
    for (size_t i = 0; i < count; ++i) emit(fields[idx[i]]);
    return;
  }
  bool wrong;
  KeyEntry* e = LookupHash(c, &wrong);
  if (wrong) return;
  if (e == nullptr) {
    c.w.Null();
    return;
  }
  std::vector<Field> fields = LiveFields(e, c.now());
  if (fields.empty()) {
    c.w.Null();
    return;
  }
  c.w.Bulk(fields[FastRandom() % fields.size()].field);
}

// ---- Field TTLs (Redis 7.4) -------------------------------------------------------------------

namespace {

enum class TtlUnit { kSeconds, kMillis };

void HttlGeneric(Ctx& c, bool relative, TtlUnit unit) {
  bool wrong;
  KeyEntry* e = LookupHash(c, &wrong);
  if (wrong) return;
  if (!EqCase(c[2], "FIELDS")) {
    c.Error("ERR Mandatory argument FIELDS is missing or not at the right position");
    return;
  }
  int64_t numfields;
  if (!GetRangeLong(c, c[3], 1, INT64_MAX, &numfields,
                    "Number of fields must be a positive integer")) {
    return;
  }
  if (numfields != static_cast<int64_t>(c.argc()) - 4) {
    c.Error("ERR The `numfields` parameter must match the number of arguments");
    return;
  }
  c.w.ArrayHeader(static_cast<size_t>(numfields));
  int64_t now = c.now();
  int64_t base = relative ? now : 0;
  for (size_t j = 4; j < c.argc(); ++j) {
    if (e == nullptr) {
      c.w.Integer(-2);
      continue;
    }
    int64_t exp = obj::kNoExpire;
    if (hash::Get(e, c[j], now, nullptr, &exp) == hash::Lookup::kMissing) {
      c.w.Integer(-2);
      continue;
    }
    if (exp == obj::kNoExpire) {
      c.w.Integer(-1);
      continue;
    }
    // Redis 7.4 compares with <= for listpack hashes and < for hash tables.
    bool gone = obj::Enc(e) == Encoding::kListpackEx ? exp <= now : exp < now;
    if (gone) {
      c.w.Integer(-2);
      continue;
    }
    c.w.Integer(unit == TtlUnit::kSeconds ? (exp + 999 - base) / 1000 : exp - base);
  }
}

}  // namespace

void HttlCmd(Ctx& c) { HttlGeneric(c, true, TtlUnit::kSeconds); }
void HpttlCmd(Ctx& c) { HttlGeneric(c, true, TtlUnit::kMillis); }
void HexpiretimeCmd(Ctx& c) { HttlGeneric(c, false, TtlUnit::kSeconds); }
void HpexpiretimeCmd(Ctx& c) { HttlGeneric(c, false, TtlUnit::kMillis); }

}  // namespace redlink::engine::cmd
