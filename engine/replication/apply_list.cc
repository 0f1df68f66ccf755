// Lists: pushes, LINSERT, LSET, LREM, LTRIM, pops with counts, LMOVE/RPOPLPUSH, LMPOP, and the
// blocking forms applied as their non-blocking counterparts (Redis t_list.c). A master
// propagates a served blocking pop as LPOP/RPOP/LMOVE/RPOPLPUSH; the blocking spellings are
// accepted for streams that carry client commands verbatim.
#include <algorithm>
#include <string>
#include <vector>

#include "engine/common/strings.h"
#include "engine/replication/apply_internal.h"

namespace redlink::engine::apply {
namespace {

enum class End { kHead, kTail };

absl::Status Push(Call& c, End where, bool xx) {
  std::string_view key = c[1];
  KeyEntry* e = c.Find(key);
  if (absl::Status s = CheckType(e, ObjType::kList); !s.ok()) return s;
  if (e == nullptr) {
    if (xx) return absl::OkStatus();
    e = NewList(key);
    c.ks.Add(c.db(), e);
  }
  c.ks.Edit(e, [&] {
    for (size_t j = 2; j < c.argc(); ++j) {
      if (where == End::kHead) {
        list::PushFront(e, c[j]);
      } else {
        list::PushBack(e, c[j]);
      }
    }
  });
  return absl::OkStatus();
}

// getListPositionFromObjectOrReply.
absl::Status ParseEnd(std::string_view s, End* where) {
  if (EqCase(s, "left")) {
    *where = End::kHead;
  } else if (EqCase(s, "right")) {
    *where = End::kTail;
  } else {
    return Syntax();
  }
  return absl::OkStatus();
}

// getTimeoutFromObjectOrReply (seconds, as a float).
absl::Status ParseTimeout(std::string_view s) {
  long double t;
  if (!ParseLongDouble(s, &t)) return Err("ERR timeout is not a float or out of range");
  if (t < 0) return Err("ERR timeout is negative");
  if (t * 1000 > static_cast<long double>(INT64_MAX)) return Err("ERR timeout is out of range");
  return absl::OkStatus();
}

// Pops `n` elements from one end of a non-empty list and deletes the key if it empties.
void PopN(Call& c, KeyEntry* e, End where, uint64_t n) {
  uint64_t len = list::Length(e);
  n = std::min(n, len);
  c.ks.Edit(e, [&] { list::Remove(e, where == End::kHead ? 0 : len - n, n); });
  DeleteIfEmpty(c.ks, c.db(), e);
}

// lmoveGenericCommand: one element from src's `from` end to dst's `to` end.
absl::Status Move(Call& c, std::string_view src, std::string_view dst, End from, End to) {
  KeyEntry* s = c.Find(src);
  if (s == nullptr) return absl::OkStatus();
  if (absl::Status st = CheckType(s, ObjType::kList); !st.ok()) return st;
  if (list::Length(s) == 0) return absl::OkStatus();
  KeyEntry* d = c.Find(dst);
  if (absl::Status st = CheckType(d, ObjType::kList); !st.ok()) return st;
  std::string& value = Scratch(0);
  c.ks.Edit(s, [&] {
    if (from == End::kHead) {
      list::PopFront(s, &value);
    } else {
      list::PopBack(s, &value);
    }
  });
  if (d == nullptr) {
    d = NewList(dst);
    c.ks.Add(c.db(), d);
  }
  c.ks.Edit(d, [&] {
    if (to == End::kHead) {
      list::PushFront(d, value);
    } else {
      list::PushBack(d, value);
    }
  });
  // The source goes when empty (after the push: with src == dst it is not empty).
  DeleteIfEmpty(c.ks, c.db(), s);
  return absl::OkStatus();
}

// mpopGenericCommand over keys [first, first + numkeys): pops from the first non-empty list;
// type errors are reported up to that list only.
absl::Status MultiPop(Call& c, size_t first, size_t numkeys, End where, uint64_t count) {
  for (size_t j = first; j < first + numkeys; ++j) {
    KeyEntry* e = c.Find(c[j]);
    if (e == nullptr) continue;
    if (absl::Status s = CheckType(e, ObjType::kList); !s.ok()) return s;
    if (list::Length(e) == 0) continue;
    PopN(c, e, where, count);
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

// lmpopGenericCommand's parsing: numkeys at `numkeys_idx`, then the keys, LEFT|RIGHT and an
// optional COUNT.
absl::Status Lmpop(Call& c, size_t numkeys_idx) {
  int64_t numkeys;
  if (absl::Status s = GetRangeLong(c[numkeys_idx], 1, INT64_MAX, &numkeys,
                                    "ERR numkeys should be greater than 0");
      !s.ok()) {
    return s;
  }
  size_t where_idx = numkeys_idx + static_cast<size_t>(numkeys) + 1;
  if (numkeys > static_cast<int64_t>(c.argc()) || where_idx >= c.argc()) return Syntax();
  End where = End::kHead;
  if (absl::Status s = ParseEnd(c[where_idx], &where); !s.ok()) return s;
  int64_t count = -1;
  for (size_t j = where_idx + 1; j < c.argc(); ++j) {
    if (count == -1 && EqCase(c[j], "count") && j + 1 < c.argc()) {
      ++j;
      if (absl::Status s =
              GetRangeLong(c[j], 1, INT64_MAX, &count, "ERR count should be greater than 0");
          !s.ok()) {
        return s;
      }
    } else {
      return Syntax();
    }
  }
  if (count == -1) count = 1;
  return MultiPop(c, numkeys_idx + 1, static_cast<size_t>(numkeys), where,
                  static_cast<uint64_t>(count));
}

// LPOP/RPOP key [count].
absl::Status Pop(Call& c, End where) {
  if (c.argc() > 3) return ArityErr(c.name);
  bool has_count = c.argc() == 3;
  int64_t count = 1;
  if (has_count) {
    if (absl::Status s = GetPositiveLong(c[2], &count); !s.ok()) return s;
  }
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kList); !s.ok()) return s;
  if (count == 0) return absl::OkStatus();
  PopN(c, e, where, static_cast<uint64_t>(count));
  return absl::OkStatus();
}

// BLPOP/BRPOP key... timeout: the first non-empty list, as blockingPopGenericCommand does
// before it would block.
absl::Status BlockingPop(Call& c, End where) {
  if (absl::Status s = ParseTimeout(c[c.argc() - 1]); !s.ok()) return s;
  return MultiPop(c, 1, c.argc() - 2, where, 1);
}

}  // namespace

absl::Status LpushCmd(Call& c) { return Push(c, End::kHead, false); }
absl::Status RpushCmd(Call& c) { return Push(c, End::kTail, false); }
absl::Status LpushxCmd(Call& c) { return Push(c, End::kHead, true); }
absl::Status RpushxCmd(Call& c) { return Push(c, End::kTail, true); }

// LINSERT key BEFORE|AFTER pivot element: the first pivot from the head.
absl::Status LinsertCmd(Call& c) {
  bool after;
  if (EqCase(c[2], "after")) {
    after = true;
  } else if (EqCase(c[2], "before")) {
    after = false;
  } else {
    return Syntax();
  }
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kList); !s.ok()) return s;
  std::string_view pivot = c[3];
  int64_t found = -1;
  uint64_t i = 0;
  list::Walk(e, 0, list::Length(e), false, [&](const listpack::Entry& en) {
    if (listpack::EntryEquals(en, pivot)) {
      found = static_cast<int64_t>(i);
      return false;
    }
    ++i;
    return true;
  });
  if (found < 0) return absl::OkStatus();
  uint64_t at = static_cast<uint64_t>(found) + (after ? 1 : 0);
  c.ks.Edit(e, [&] { list::Insert(e, at, c[4]); });
  return absl::OkStatus();
}

absl::Status LsetCmd(Call& c) {
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return Err(kNoSuchKeyErr);
  if (absl::Status s = CheckType(e, ObjType::kList); !s.ok()) return s;
  int64_t index;
  if (absl::Status s = GetLong(c[2], &index); !s.ok()) return s;
  int64_t len = static_cast<int64_t>(list::Length(e));
  if (index < 0) index += len;
  if (index < 0 || index >= len) return Err(kOutOfRangeErr);
  c.ks.Edit(e, [&] { list::Set(e, static_cast<uint64_t>(index), c[3]); });
  return absl::OkStatus();
}

// LREM key count element: count > 0 from the head, < 0 from the tail, 0 all.
absl::Status LremCmd(Call& c) {
  int64_t toremove;
  if (absl::Status s = GetLong(c[2], &toremove); !s.ok()) return s;
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kList); !s.ok()) return s;
  std::string_view v = c[3];
  bool from_tail = toremove < 0;
  uint64_t limit =
      from_tail ? static_cast<uint64_t>(-(toremove + 1)) + 1 : static_cast<uint64_t>(toremove);
  uint64_t n = list::Length(e);
  if (n == 0) return absl::OkStatus();
  std::vector<uint64_t> hits;
  uint64_t i = 0;
  list::Walk(e, from_tail ? n - 1 : 0, n, from_tail, [&](const listpack::Entry& en) {
    if (listpack::EntryEquals(en, v)) {
      hits.push_back(from_tail ? n - 1 - i : i);
      if (limit != 0 && hits.size() == limit) return false;
    }
    ++i;
    return true;
  });
  if (hits.empty()) return absl::OkStatus();
  // Remove from the highest index down so the lower ones stay put.
  std::sort(hits.begin(), hits.end());
  c.ks.Edit(e, [&] {
    for (size_t k = hits.size(); k-- > 0;) list::Remove(e, hits[k], 1);
  });
  DeleteIfEmpty(c.ks, c.db(), e);
  return absl::OkStatus();
}

absl::Status LtrimCmd(Call& c) {
  int64_t start, end;
  if (absl::Status s = GetLong(c[2], &start); !s.ok()) return s;
  if (absl::Status s = GetLong(c[3], &end); !s.ok()) return s;
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kList); !s.ok()) return s;
  int64_t llen = static_cast<int64_t>(list::Length(e));
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  int64_t ltrim, rtrim;
  if (start > end || start >= llen) {
    ltrim = llen;
    rtrim = 0;
  } else {
    if (end >= llen) end = llen - 1;
    ltrim = start;
    rtrim = llen - end - 1;
  }
  c.ks.Edit(e, [&] {
    if (rtrim > 0)
      list::Remove(e, static_cast<uint64_t>(llen - rtrim), static_cast<uint64_t>(rtrim));
    if (ltrim > 0) list::Remove(e, 0, static_cast<uint64_t>(ltrim));
  });
  DeleteIfEmpty(c.ks, c.db(), e);
  return absl::OkStatus();
}

absl::Status LpopCmd(Call& c) { return Pop(c, End::kHead); }
absl::Status RpopCmd(Call& c) { return Pop(c, End::kTail); }

absl::Status RpoplpushCmd(Call& c) { return Move(c, c[1], c[2], End::kTail, End::kHead); }

absl::Status LmoveCmd(Call& c) {
  End from = End::kHead, to = End::kHead;
  if (absl::Status s = ParseEnd(c[3], &from); !s.ok()) return s;
  if (absl::Status s = ParseEnd(c[4], &to); !s.ok()) return s;
  return Move(c, c[1], c[2], from, to);
}

absl::Status LmpopCmd(Call& c) { return Lmpop(c, 1); }

absl::Status BlpopCmd(Call& c) { return BlockingPop(c, End::kHead); }
absl::Status BrpopCmd(Call& c) { return BlockingPop(c, End::kTail); }

absl::Status BrpoplpushCmd(Call& c) {
  if (absl::Status s = ParseTimeout(c[3]); !s.ok()) return s;
  return Move(c, c[1], c[2], End::kTail, End::kHead);
}

absl::Status BlmoveCmd(Call& c) {
  End from = End::kHead, to = End::kHead;
  if (absl::Status s = ParseEnd(c[3], &from); !s.ok()) return s;
  if (absl::Status s = ParseEnd(c[4], &to); !s.ok()) return s;
  if (absl::Status s = ParseTimeout(c[5]); !s.ok()) return s;
  return Move(c, c[1], c[2], from, to);
}

absl::Status BlmpopCmd(Call& c) {
  if (absl::Status s = ParseTimeout(c[1]); !s.ok()) return s;
  return Lmpop(c, 2);
}

}  // namespace redlink::engine::apply
