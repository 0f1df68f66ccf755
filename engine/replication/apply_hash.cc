// Hashes: HSET/HMSET, HSETNX, HDEL, HINCRBY, HINCRBYFLOAT and Redis 7.4's field TTLs (HEXPIRE,
// HPEXPIRE, HEXPIREAT, HPEXPIREAT ... FIELDS n f..., HPERSIST). Redis t_hash.c (7.4).
//
// Commands from the master see fields whose TTL has passed as present (7.4 hashTypeGetValue
// returns GETF_OK for the master client); the master sends HDEL when a field expires.
#include <algorithm>
#include <string>

#include "engine/common/strings.h"
#include "engine/replication/apply_internal.h"

namespace redlink::engine::apply {
namespace {

// "Now" for hash lookups on behalf of the master: no field counts as expired.
constexpr int64_t kMasterNow = INT64_MIN;

// hashTypeLookupWriteOrCreate: the hash at `key`, created (sized for `expected` fields of at
// most `max_len` bytes) when absent.
absl::Status HashForWrite(Call& c, std::string_view key, uint64_t expected, size_t max_len,
                          KeyEntry** out) {
  KeyEntry* e = c.Find(key);
  if (absl::Status s = CheckType(e, ObjType::kHash); !s.ok()) return s;
  if (e == nullptr) {
    e = NewHash(key, expected, max_len);
    c.ks.Add(c.db(), e);
  }
  *out = e;
  return absl::OkStatus();
}

// Sets a field keeping its TTL (7.4 HASH_SET_KEEP_TTL: HINCRBY, HINCRBYFLOAT).
void SetKeepTtl(KeyEntry* e, std::string_view field, std::string_view value) {
  int64_t expire = obj::kNoExpire;
  hash::Lookup found = hash::Get(e, field, kMasterNow, nullptr, &expire);
  hash::Set(e, field, value);
  if (found != hash::Lookup::kMissing && expire != obj::kNoExpire) {
    hash::SetFieldExpire(e, field, expire);
  }
}

// The 7.4 HFE conditions.
constexpr int kHfeNx = 1, kHfeXx = 2, kHfeGt = 4, kHfeLt = 8;
constexpr int64_t kHfeMaxAbsTimeMs = static_cast<int64_t>(0x0000FFFFFFFFFFFFULL >> 2);

// hexpireGenericCommand. A master sends HPEXPIREAT with only the fields it updated; a replica
// sets times that have already passed too (checkAlreadyExpired is false there).
absl::Status HexpireGeneric(Call& c, int64_t basetime, bool seconds) {
  std::string_view key = c[1];
  KeyEntry* e = c.Find(key);
  if (absl::Status s = CheckType(e, ObjType::kHash); !s.ok()) return s;
  int64_t expire;
  if (absl::Status s = GetLL(c[2], &expire); !s.ok()) return s;
  if (expire < 0) return Err("ERR invalid expire time, must be >= 0");
  absl::Status bad = Err(StrCat("ERR invalid expire time in '", c.name, "' command"));
  if (seconds) {
    if (expire > kHfeMaxAbsTimeMs / 1000) return bad;
    expire *= 1000;
  }
  if (expire > kHfeMaxAbsTimeMs - basetime) return bad;
  expire += basetime;
  size_t num_at = 4;
  int cond = 0;
  std::string_view opt = c[3];
  if (EqCase(opt, "nx")) {
    cond = kHfeNx;
  } else if (EqCase(opt, "xx")) {
    cond = kHfeXx;
  } else if (EqCase(opt, "gt")) {
    cond = kHfeGt;
  } else if (EqCase(opt, "lt")) {
    cond = kHfeLt;
  }
  if (cond != 0) ++num_at;
  if (num_at >= c.argc() || !EqCase(c[num_at - 1], "fields")) {
    return Err("ERR Mandatory argument FIELDS is missing or not at the right position");
  }
  int64_t num;
  if (absl::Status s = GetRangeLong(c[num_at], 1, INT64_MAX, &num,
                                    "ERR Parameter `numFields` should be greater than 0");
      !s.ok()) {
    return s;
  }
  if (num != static_cast<int64_t>(c.argc() - num_at - 1)) {
    return Err("ERR The `numfields` parameter must match the number of arguments");
  }
  if (e == nullptr) return absl::OkStatus();
  c.ks.Edit(e, [&] {
    for (size_t j = num_at + 1; j < c.argc(); ++j) {
      std::string_view field = c[j];
      int64_t prev = obj::kNoExpire;
      if (hash::Get(e, field, kMasterNow, nullptr, &prev) == hash::Lookup::kMissing) continue;
      if (prev == obj::kNoExpire) {
        // For fields without a TTL, LT counts as met.
        if (cond & (kHfeXx | kHfeGt)) continue;
      } else if ((cond == kHfeGt && prev >= expire) || (cond == kHfeLt && prev <= expire) ||
                 cond == kHfeNx) {
        continue;
      }
      hash::SetFieldExpire(e, field, expire);
    }
  });
  return absl::OkStatus();
}

}  // namespace

// HSET / HMSET key field value [field value ...].
absl::Status HsetCmd(Call& c) {
  if (c.argc() % 2 == 1) return ArityErr(c.name);
  size_t max_len = 0;
  for (size_t j = 2; j < c.argc(); ++j) max_len = std::max(max_len, c[j].size());
  KeyEntry* e;
  if (absl::Status s = HashForWrite(c, c[1], (c.argc() - 2) / 2, max_len, &e); !s.ok()) return s;
  c.ks.Edit(e, [&] {
    for (size_t j = 2; j < c.argc(); j += 2) hash::Set(e, c[j], c[j + 1]);
  });
  return absl::OkStatus();
}

absl::Status HsetnxCmd(Call& c) {
  KeyEntry* e;
  if (absl::Status s = HashForWrite(c, c[1], 1, std::max(c[2].size(), c[3].size()), &e); !s.ok()) {
    return s;
  }
  c.ks.Edit(e, [&] {
    if (hash::Get(e, c[2], kMasterNow, nullptr, nullptr) == hash::Lookup::kMissing) {
      hash::Set(e, c[2], c[3]);
    }
  });
  return absl::OkStatus();
}

absl::Status HdelCmd(Call& c) {
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kHash); !s.ok()) return s;
  c.ks.Edit(e, [&] {
    for (size_t j = 2; j < c.argc() && hash::Length(e) > 0; ++j) hash::Remove(e, c[j]);
  });
  DeleteIfEmpty(c.ks, c.db(), e);
  return absl::OkStatus();
}

absl::Status HincrbyCmd(Call& c) {
  int64_t incr;
  if (absl::Status s = GetLL(c[3], &incr); !s.ok()) return s;
  KeyEntry* e = c.Find(c[1]);
  if (absl::Status s = CheckType(e, ObjType::kHash); !s.ok()) return s;
  int64_t value = 0;
  std::string& cur = Scratch(0);
  bool found = false;
  if (e != nullptr) {
    c.ks.Edit(e, [&] {
      found = hash::Get(e, c[2], kMasterNow, &cur, nullptr) != hash::Lookup::kMissing;
    });
  }
  if (found && !ParseLL(cur, &value)) return Err("ERR hash value is not an integer");
  if ((incr < 0 && value < 0 && incr < (INT64_MIN - value)) ||
      (incr > 0 && value > 0 && incr > (INT64_MAX - value))) {
    return Err("ERR increment or decrement would overflow");
  }
  value += incr;
  char buf[24];
  std::string_view text = IntToText(value, buf);
  if (e == nullptr) {
    if (absl::Status s = HashForWrite(c, c[1], 1, std::max(c[2].size(), text.size()), &e);
        !s.ok()) {
      return s;
    }
  }
  c.ks.Edit(e, [&] { SetKeepTtl(e, c[2], text); });
  return absl::OkStatus();
}

// HINCRBYFLOAT (a master propagates "HSET key field <result>").
absl::Status HincrbyfloatCmd(Call& c) {
  long double incr;
  if (absl::Status s = GetLongDouble(c[3], &incr); !s.ok()) return s;
  KeyEntry* e = c.Find(c[1]);
  if (absl::Status s = CheckType(e, ObjType::kHash); !s.ok()) return s;
  long double value = 0;
  std::string& cur = Scratch(0);
  bool found = false;
  if (e != nullptr) {
    c.ks.Edit(e, [&] {
      found = hash::Get(e, c[2], kMasterNow, &cur, nullptr) != hash::Lookup::kMissing;
    });
  }
  if (found && !ParseLongDouble(cur, &value)) return Err("ERR hash value is not a float");
  value += incr;
  char text[5 * 1024];
  size_t len;
  if (!LongDoubleToHuman(value, text, sizeof(text), &len)) {
    return Err("ERR increment would produce NaN or Infinity");
  }
  std::string_view v(text, len);
  if (e == nullptr) {
    if (absl::Status s = HashForWrite(c, c[1], 1, std::max(c[2].size(), v.size()), &e); !s.ok()) {
      return s;
    }
  }
  c.ks.Edit(e, [&] { SetKeepTtl(e, c[2], v); });
  return absl::OkStatus();
}

absl::Status HexpireCmd(Call& c) { return HexpireGeneric(c, c.ctx.now_ms, true); }
absl::Status HpexpireCmd(Call& c) { return HexpireGeneric(c, c.ctx.now_ms, false); }
absl::Status HexpireatCmd(Call& c) { return HexpireGeneric(c, 0, true); }
absl::Status HpexpireatCmd(Call& c) { return HexpireGeneric(c, 0, false); }

// HPERSIST key FIELDS n field...: the master sends it when it removed a TTL, so the TTL goes
// here even if this replica's clock says the field has expired.
absl::Status HpersistCmd(Call& c) {
  KeyEntry* e = c.Find(c[1]);
  if (absl::Status s = CheckType(e, ObjType::kHash); !s.ok()) return s;
  constexpr size_t kNumAt = 3;
  if (!EqCase(c[kNumAt - 1], "fields")) {
    return Err("ERR Mandatory argument FIELDS is missing or not at the right position");
  }
  int64_t num;
  if (absl::Status s = GetRangeLong(c[kNumAt], 1, INT64_MAX, &num,
                                    "ERR Number of fields must be a positive integer");
      !s.ok()) {
    return s;
  }
  if (num != static_cast<int64_t>(c.argc() - kNumAt - 1)) {
    return Err("ERR The `numfields` parameter must match the number of arguments");
  }
  if (e == nullptr || !hash::HasFieldTtls(e)) return absl::OkStatus();
  c.ks.Edit(e, [&] {
    for (size_t j = kNumAt + 1; j < c.argc(); ++j) {
      int64_t prev = obj::kNoExpire;
      if (hash::Get(e, c[j], kMasterNow, nullptr, &prev) == hash::Lookup::kMissing) continue;
      if (prev != obj::kNoExpire) hash::SetFieldExpire(e, c[j], obj::kNoExpire);
    }
  });
  return absl::OkStatus();
}

}  // namespace redlink::engine::apply
