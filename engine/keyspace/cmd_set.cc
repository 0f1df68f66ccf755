// Set commands: SMEMBERS SISMEMBER SMISMEMBER SCARD SSCAN SRANDMEMBER SINTER SUNION SDIFF
// SINTERCARD.
#include <algorithm>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "engine/common/glob.h"
#include "engine/common/strings.h"
#include "engine/keyspace/cmd_common.h"
#include "engine/keyspace/set.h"

namespace redlink::engine::cmd {

bool ParseScanCursor(Ctx& c, std::string_view s, uint64_t* cursor);
bool ParseScanOptions(Ctx& c, size_t first, int64_t* count, std::string_view* pattern,
                      bool* use_pattern);

namespace {

// Looks up the sets named by keys; false if one has the wrong type (replied). Missing: nullptr.
bool LookupSets(Ctx& c, std::span<const std::string_view> keys, std::vector<KeyEntry*>* sets) {
  sets->clear();
  for (std::string_view k : keys) {
    KeyEntry* e = c.Lookup(k);
    if (e != nullptr && !CheckType(c, e, ObjType::kSet)) return false;
    sets->push_back(e);
  }
  return true;
}

// Intersection (SINTER / SMEMBERS / SINTERCARD), iterating the smallest set.
void Inter(Ctx& c, std::span<const std::string_view> keys, bool card_only, uint64_t limit) {
  std::vector<KeyEntry*> sets;
  if (!LookupSets(c, keys, &sets)) return;
  for (KeyEntry* s : sets) {
    if (s == nullptr) {
      if (card_only) {
        c.w.Integer(0);
      } else {
        c.w.SetHeader(0);
      }
      return;
    }
  }
  std::stable_sort(sets.begin(), sets.end(),
                   [](KeyEntry* a, KeyEntry* b) { return set::Size(a) < set::Size(b); });
  std::optional<Deferred> d;
  if (!card_only) d.emplace(c.w);
  uint64_t card = 0;
  bool stop = false;
  set::ForEach(sets[0], [&](std::string_view m) {
    if (stop) return;
    for (size_t j = 1; j < sets.size(); ++j) {
      if (sets[j] == sets[0]) continue;
      if (!set::Contains(sets[j], m)) return;
    }
    ++card;
    if (card_only) {
      if (limit != 0 && card >= limit) stop = true;
    } else {
      c.w.Bulk(m);
    }
  });
  if (card_only) {
    c.w.Integer(static_cast<int64_t>(card));
  } else {
    d->SetSet(card);
  }
}

// The result set of SUNION/SDIFF as Redis builds it: an intset (sorted output) while every
// member is an integer and there are at most 512, else a hash table (unordered output).
class ResultSet {
 public:
  bool Add(std::string_view m) {
    if (!seen_.insert(std::string(m)).second) return false;
    int64_t v;
    if (!ParseLL(m, &v)) all_int_ = false;
    if (seen_.size() > set::kMaxIntsetEntries) all_int_ = false;
    order_.emplace_back(m);
    return true;
  }
  bool Remove(std::string_view m) {
    auto it = seen_.find(std::string(m));
    if (it == seen_.end()) return false;
    seen_.erase(it);
    removed_ = true;
    return true;
  }
  size_t size() const { return seen_.size(); }
  void Reply(ReplyWriter& w) {
    std::vector<std::string> out;
    out.reserve(seen_.size());
    for (std::string& m : order_) {
      if (removed_ && !seen_.contains(m)) continue;
      out.push_back(std::move(m));
    }
    if (all_int_) {
      std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
        int64_t x = 0, y = 0;
        ParseLL(a, &x);
        ParseLL(b, &y);
        return x < y;
      });
    }
    w.SetHeader(out.size());
    for (const std::string& m : out) w.Bulk(m);
  }

 private:
  absl::flat_hash_set<std::string> seen_;
  std::vector<std::string> order_;
  bool all_int_ = true;
  bool removed_ = false;
};

void UnionDiff(Ctx& c, std::span<const std::string_view> keys, bool diff) {
  std::vector<KeyEntry*> sets;
  if (!LookupSets(c, keys, &sets)) return;
  bool sameset = false;
  for (size_t j = 1; j < sets.size(); ++j) {
    if (sets[j] != nullptr && sets[j] == sets[0]) sameset = true;
  }
  ResultSet dst;
  if (!diff) {
    for (KeyEntry* s : sets) {
      if (s != nullptr) set::ForEach(s, [&](std::string_view m) { dst.Add(m); });
    }
  } else if (!sameset && sets[0] != nullptr) {
    uint64_t one = 0, two = 0;
    for (KeyEntry* s : sets) {
      if (s == nullptr) continue;
      one += set::Size(sets[0]);
      two += set::Size(s);
    }
    one /= 2;
    if (one <= two) {
      if (sets.size() > 1) {
        std::stable_sort(sets.begin() + 1, sets.end(), [](KeyEntry* a, KeyEntry* b) {
          uint64_t sa = a == nullptr ? 0 : set::Size(a);
          uint64_t sb = b == nullptr ? 0 : set::Size(b);
          return sa > sb;
        });
      }
      set::ForEach(sets[0], [&](std::string_view m) {
        for (size_t j = 1; j < sets.size(); ++j) {
          if (sets[j] == nullptr) continue;
          if (sets[j] == sets[0]) return;
          if (set::Contains(sets[j], m)) return;
        }
        dst.Add(m);
      });
    } else {
      for (size_t j = 0; j < sets.size(); ++j) {
        if (sets[j] == nullptr) continue;
        set::ForEach(sets[j], [&](std::string_view m) {
          if (j == 0) {
            dst.Add(m);
          } else {
            dst.Remove(m);
          }
        });
        if (dst.size() == 0) break;
      }
    }
  }
  dst.Reply(c.w);
}

}  // namespace

void SmembersCmd(Ctx& c) { Inter(c, c.argv.subspan(1, 1), false, 0); }
void SinterCmd(Ctx& c) { Inter(c, c.argv.subspan(1), false, 0); }
void SunionCmd(Ctx& c) { UnionDiff(c, c.argv.subspan(1), false); }
void SdiffCmd(Ctx& c) { UnionDiff(c, c.argv.subspan(1), true); }

void SintercardCmd(Ctx& c) {
  int64_t numkeys;
  if (!GetRangeLong(c, c[1], 1, INT64_MAX, &numkeys, "numkeys should be greater than 0")) return;
  if (numkeys > static_cast<int64_t>(c.argc()) - 2) {
    c.Error("ERR Number of keys can't be greater than number of args");
    return;
  }
  int64_t limit = 0;
  for (size_t j = 2 + static_cast<size_t>(numkeys); j < c.argc(); ++j) {
    size_t more = c.argc() - 1 - j;
    if (EqCase(c[j], "LIMIT") && more > 0) {
      ++j;
      if (!GetPositiveLong(c, c[j], &limit, "LIMIT can't be negative")) return;
    } else {
      c.Syntax();
      return;
    }
  }
  Inter(c, c.argv.subspan(2, static_cast<size_t>(numkeys)), true, static_cast<uint64_t>(limit));
}

void SismemberCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Integer(0);
    return;
  }
  if (!CheckType(c, e, ObjType::kSet)) return;
  c.w.Integer(set::Contains(e, c[2]) ? 1 : 0);
}

void SmismemberCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e != nullptr && !CheckType(c, e, ObjType::kSet)) return;
  c.w.ArrayHeader(c.argc() - 2);
  for (size_t j = 2; j < c.argc(); ++j) {
    c.w.Integer(e != nullptr && set::Contains(e, c[j]) ? 1 : 0);
  }
}

void ScardCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Integer(0);
    return;
  }
  if (!CheckType(c, e, ObjType::kSet)) return;
  c.w.Integer(static_cast<int64_t>(set::Size(e)));
}

void SscanCmd(Ctx& c) {
  uint64_t cursor;
  if (!ParseScanCursor(c, c[2], &cursor)) return;
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.ArrayHeader(2);
    c.w.Bulk("0");
    c.w.ArrayHeader(0);
    return;
  }
  if (!CheckType(c, e, ObjType::kSet)) return;
  int64_t count;
  std::string_view pattern;
  bool use_pattern;
  if (!ParseScanOptions(c, 3, &count, &pattern, &use_pattern)) return;
  std::vector<std::string> items;
  if (obj::Enc(e) == Encoding::kHashtable) {
    auto* s = static_cast<BigSet*>(obj::Ptr(e));
    int64_t max_iter = count > INT64_MAX / 10 ? INT64_MAX : count * 10;  // Redis wraps
    do {
      cursor = s->Scan(cursor, [&](std::string_view m) { items.emplace_back(m); });
    } while (cursor != 0 && max_iter-- > 0 && items.size() < static_cast<size_t>(count));
  } else {
    set::ForEach(e, [&](std::string_view m) { items.emplace_back(m); });
    cursor = 0;
  }
  size_t n = 0;
  for (const std::string& m : items) {
    if (!use_pattern || GlobMatch(pattern, m)) ++n;
  }
  c.w.ArrayHeader(2);
  c.w.Bulk(StrCat(cursor));
  c.w.ArrayHeader(n);
  for (const std::string& m : items) {
    if (!use_pattern || GlobMatch(pattern, m)) c.w.Bulk(m);
  }
}

void SrandmemberCmd(Ctx& c) {
  if (c.argc() > 3) {
    c.Syntax();
    return;
  }
  if (c.argc() == 2) {
    KeyEntry* e = c.Lookup(c[1]);
    if (e == nullptr) {
      c.w.Null();
      return;
    }
    if (!CheckType(c, e, ObjType::kSet)) return;
    std::string m;
    set::Random(e, &m);
    c.w.Bulk(m);
    return;
  }
  int64_t l;
  if (!GetRangeLong(c, c[2], -INT64_MAX, INT64_MAX, &l)) return;
  bool uniq = l >= 0;
  uint64_t count = uniq ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.ArrayHeader(0);
    return;
  }
  if (!CheckType(c, e, ObjType::kSet)) return;
  uint64_t size = set::Size(e);
  if (count == 0) {
    c.w.ArrayHeader(0);
    return;
  }
  if (!uniq && count > kMaxSampledReply) {
    c.Error(kSampleTooLarge);
    return;
  }
  if (!uniq || count == 1) {
    c.w.ArrayHeader(count);
    std::string m;
    while (count-- > 0) {
      set::Random(e, &m);
      c.w.Bulk(m);
    }
    return;
  }
  if (count >= size) {
    c.w.ArrayHeader(size);
    set::ForEach(e, [&](std::string_view m) { c.w.Bulk(m); });
    return;
  }
  std::vector<std::string> picked;
  if (count * 3 > size) {
    // Copy everything, then drop random members until `count` remain.
    set::ForEach(e, [&](std::string_view m) { picked.emplace_back(m); });
    while (picked.size() > count) {
      size_t k = FastRandom() % picked.size();
      std::swap(picked[k], picked.back());
      picked.pop_back();
    }
  } else {
    absl::flat_hash_set<std::string> chosen;
    std::string m;
    while (chosen.size() < count) {
      set::Random(e, &m);
      if (chosen.insert(m).second) picked.push_back(m);
    }
  }
  c.w.ArrayHeader(picked.size());
  for (const std::string& m : picked) c.w.Bulk(m);
}

}  // namespace redlink::engine::cmd
