// Sets: SADD, SREM, SMOVE, SPOP (deterministic forms only: a master sends SREM/DEL for it),
// SINTERSTORE, SUNIONSTORE, SDIFFSTORE (Redis t_set.c).
#include <algorithm>
#include <string>
#include <vector>

#include "engine/common/string_map.h"
#include "engine/common/strings.h"
#include "engine/replication/apply_internal.h"

namespace redlink::engine::apply {
namespace {

// Stores `members` (distinct) as set `dst`, replacing it (and its TTL); an empty result deletes
// it (the *STORE branch of sinterGenericCommand / sunionDiffGenericCommand).
void StoreSet(Call& c, std::string_view dst, const std::vector<std::string>& members) {
  if (members.empty()) {
    c.ks.Delete(c.db(), dst);
    return;
  }
  KeyEntry* e = NewSet(dst, members[0], members.size());
  for (const std::string& m : members) set::Add(e, m);
  c.ks.Put(c.db(), e);
}

// Looks up every source as a set (missing = nullptr); WRONGTYPE for the first non-set.
absl::Status Sources(const Call& c, size_t first, std::vector<KeyEntry*>* out) {
  out->clear();
  for (size_t j = first; j < c.argc(); ++j) {
    KeyEntry* e = c.Find(c[j]);
    if (absl::Status s = CheckType(e, ObjType::kSet); !s.ok()) return s;
    out->push_back(e);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SaddCmd(Call& c) {
  std::string_view key = c[1];
  KeyEntry* e = c.Find(key);
  if (absl::Status s = CheckType(e, ObjType::kSet); !s.ok()) return s;
  if (e == nullptr) {
    e = NewSet(key, c[2], c.argc() - 2);
    c.ks.Add(c.db(), e);
  }
  c.ks.Edit(e, [&] {
    for (size_t j = 2; j < c.argc(); ++j) set::Add(e, c[j]);
  });
  return absl::OkStatus();
}

absl::Status SremCmd(Call& c) {
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kSet); !s.ok()) return s;
  c.ks.Edit(e, [&] {
    for (size_t j = 2; j < c.argc() && set::Size(e) > 0; ++j) set::Remove(e, c[j]);
  });
  DeleteIfEmpty(c.ks, c.db(), e);
  return absl::OkStatus();
}

absl::Status SmoveCmd(Call& c) {
  std::string_view src = c[1], dst = c[2], member = c[3];
  KeyEntry* s = c.Find(src);
  KeyEntry* d = c.Find(dst);
  if (s == nullptr) return absl::OkStatus();
  if (absl::Status st = CheckType(s, ObjType::kSet); !st.ok()) return st;
  if (absl::Status st = CheckType(d, ObjType::kSet); !st.ok()) return st;
  if (s == d) return absl::OkStatus();
  bool found;
  c.ks.Edit(s, [&] { found = set::Contains(s, member); });
  if (!found) return absl::OkStatus();
  c.ks.Edit(s, [&] { set::Remove(s, member); });
  if (set::Size(s) == 0) c.ks.Delete(c.db(), src);
  if (d == nullptr) {
    d = NewSet(dst, member);
    c.ks.Add(c.db(), d);
  }
  c.ks.Edit(d, [&] { set::Add(d, member); });
  return absl::OkStatus();
}

// SPOP key [count]. A master never sends it (it propagates the members it popped as SREM, or
// DEL when the whole set goes); the forms whose effect does not depend on a random draw are
// applied, the others refused.
absl::Status SpopCmd(Call& c) {
  if (c.argc() > 3) return Syntax();
  int64_t count = 1;
  bool has_count = c.argc() == 3;
  if (has_count) {
    if (absl::Status s = GetPositiveLong(c[2], &count); !s.ok()) return s;
  }
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kSet); !s.ok()) return s;
  if (count == 0) return absl::OkStatus();
  if (static_cast<uint64_t>(count) >= set::Size(e)) {
    c.ks.Delete(c.db(), c[1]);
    return absl::OkStatus();
  }
  return Refuse("SPOP of a random subset cannot be replicated verbatim (masters send SREM)");
}

absl::Status SinterstoreCmd(Call& c) {
  std::vector<KeyEntry*> sets;
  if (absl::Status s = Sources(c, 2, &sets); !s.ok()) return s;
  AccountingScope scope(c.ks);
  for (KeyEntry* e : sets) scope.Add(e);
  std::vector<std::string> out;
  bool any_missing = std::find(sets.begin(), sets.end(), nullptr) != sets.end();
  if (!any_missing) {
    // Walk the smallest set, keep members every other set has.
    std::sort(sets.begin(), sets.end(),
              [](const KeyEntry* a, const KeyEntry* b) { return set::Size(a) < set::Size(b); });
    set::ForEach(sets[0], [&](std::string_view m) {
      for (size_t k = 1; k < sets.size(); ++k) {
        if (sets[k] != sets[0] && !set::Contains(sets[k], m)) return;
      }
      out.emplace_back(m);
    });
  }
  scope.Finish();
  StoreSet(c, c[1], out);
  return absl::OkStatus();
}

absl::Status SunionstoreCmd(Call& c) {
  std::vector<KeyEntry*> sets;
  if (absl::Status s = Sources(c, 2, &sets); !s.ok()) return s;
  StringSet seen;
  std::vector<std::string> out;
  for (KeyEntry* e : sets) {
    if (e == nullptr) continue;
    set::ForEach(e, [&](std::string_view m) {
      if (seen.insert(std::string(m)).second) out.emplace_back(m);
    });
  }
  StoreSet(c, c[1], out);
  return absl::OkStatus();
}

absl::Status SdiffstoreCmd(Call& c) {
  std::vector<KeyEntry*> sets;
  if (absl::Status s = Sources(c, 2, &sets); !s.ok()) return s;
  AccountingScope scope(c.ks);
  for (KeyEntry* e : sets) scope.Add(e);
  std::vector<std::string> out;
  if (sets[0] != nullptr) {
    set::ForEach(sets[0], [&](std::string_view m) {
      for (size_t k = 1; k < sets.size(); ++k) {
        if (sets[k] != nullptr && set::Contains(sets[k], m)) return;
      }
      out.emplace_back(m);
    });
  }
  scope.Finish();
  StoreSet(c, c[1], out);
  return absl::OkStatus();
}

}  // namespace redlink::engine::apply
