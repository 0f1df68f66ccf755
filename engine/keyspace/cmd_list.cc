// List commands: LRANGE LLEN LINDEX LPOS.
#include <optional>

#include "engine/keyspace/cmd_common.h"
#include "engine/keyspace/list.h"

namespace redlink::engine::cmd {
namespace {

void ReplyEntry(ReplyWriter& w, const listpack::Entry& e) {
  char buf[24];
  w.Bulk(e.AsString(buf));
}

}  // namespace

void LrangeCmd(Ctx& c) {
  int64_t start, end;
  if (!GetLL(c, c[2], &start) || !GetLL(c, c[3], &end)) return;
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.ArrayHeader(0);
    return;
  }
  if (!CheckType(c, e, ObjType::kList)) return;
  int64_t len = static_cast<int64_t>(list::Length(e));
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) {
    c.w.ArrayHeader(0);
    return;
  }
  if (end >= len) end = len - 1;
  uint64_t n = static_cast<uint64_t>(end - start + 1);
  c.w.ArrayHeader(n);
  list::Walk(e, static_cast<uint64_t>(start), n, false, [&](const listpack::Entry& en) {
    ReplyEntry(c.w, en);
    return true;
  });
}

void LlenCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Integer(0);
    return;
  }
  if (!CheckType(c, e, ObjType::kList)) return;
  c.w.Integer(static_cast<int64_t>(list::Length(e)));
}

void LindexCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Null();
    return;
  }
  if (!CheckType(c, e, ObjType::kList)) return;
  int64_t index;
  if (!GetLL(c, c[2], &index)) return;
  int64_t len = static_cast<int64_t>(list::Length(e));
  if (index < 0) index = len + index;
  if (index < 0 || index >= len) {
    c.w.Null();
    return;
  }
  list::Walk(e, static_cast<uint64_t>(index), 1, false, [&](const listpack::Entry& en) {
    ReplyEntry(c.w, en);
    return false;
  });
}

void LposCmd(Ctx& c) {
  std::string_view ele = c[2];
  bool from_tail = false;
  int64_t rank = 1, count = -1, maxlen = 0;
  for (size_t j = 3; j < c.argc(); ++j) {
    std::string_view opt = c[j];
    size_t more = c.argc() - 1 - j;
    if (EqCase(opt, "RANK") && more > 0) {
      ++j;
      if (!GetLL(c, c[j], &rank)) return;
      if (rank == 0) {
        c.Error(
            "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
            "or use negative to start from the end of the list");
        return;
      }
    } else if (EqCase(opt, "COUNT") && more > 0) {
      ++j;
      if (!GetPositiveLong(c, c[j], &count, "COUNT can't be negative")) return;
    } else if (EqCase(opt, "MAXLEN") && more > 0) {
      ++j;
      if (!GetPositiveLong(c, c[j], &maxlen, "MAXLEN can't be negative")) return;
    } else {
      c.Syntax();
      return;
    }
  }
  if (rank < 0) {
    rank = static_cast<int64_t>(0 - static_cast<uint64_t>(rank));  // wraps for INT64_MIN
    from_tail = true;
  }
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    if (count != -1) {
      c.w.ArrayHeader(0);
    } else {
      c.w.Null();
    }
    return;
  }
  if (!CheckType(c, e, ObjType::kList)) return;
  int64_t len = static_cast<int64_t>(list::Length(e));
  std::optional<Deferred> arr;
  if (count != -1) arr.emplace(c.w);
  int64_t index = 0, matches = 0, matchindex = -1, arraylen = 0;
  if (len > 0) {
    list::Walk(e, from_tail ? static_cast<uint64_t>(len - 1) : 0, static_cast<uint64_t>(len),
               from_tail, [&](const listpack::Entry& en) {
                 if (maxlen != 0 && index >= maxlen) return false;
                 if (listpack::EntryEquals(en, ele)) {
                   ++matches;
                   matchindex = from_tail ? len - index - 1 : index;
                   if (matches >= rank) {
                     if (arr) {
                       ++arraylen;
                       c.w.Integer(matchindex);
                       if (count != 0 && matches - rank + 1 >= count) return false;
                     } else {
                       return false;
                     }
                   }
                 }
                 ++index;
                 matchindex = -1;
                 return true;
               });
  }
  if (arr) {
    arr->SetArray(static_cast<size_t>(arraylen));
  } else if (matchindex != -1) {
    c.w.Integer(matchindex);
  } else {
    c.w.Null();
  }
}

}  // namespace redlink::engine::cmd
