// PFCOUNT (HyperLogLog cardinality), FUNCTION LIST/HELP, SORT_RO.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include "engine/common/glob.h"
#include "engine/common/pqsort.h"
#include "engine/common/strings.h"
#include "engine/encoding/hyperloglog.h"
#include "engine/keyspace/cmd_common.h"
#include "engine/keyspace/hash.h"
#include "engine/keyspace/list.h"
#include "engine/keyspace/set.h"
#include "engine/keyspace/sort_pattern.h"
#include "engine/keyspace/zset.h"

namespace redlink::engine::cmd {

// ---- PFCOUNT -----------------------------------------------------------------------------------
namespace {

// isHLLObjectOrReply.
bool IsHll(Ctx& c, KeyEntry* e, std::string_view* out) {
  if (!CheckType(c, e, ObjType::kString)) return false;
  char buf[24];
  std::string_view v = obj::StringValue(e, buf);
  if (obj::Enc(e) == Encoding::kInt || !hll::HasHllHeader(v)) {
    c.Error(hll::kNotHllError);
    return false;
  }
  *out = v;
  return true;
}

}  // namespace

void PfcountCmd(Ctx& c) {
  if (c.argc() > 2) {
    std::vector<unsigned char> max(hll::kRegisters, 0);
    for (size_t j = 1; j < c.argc(); ++j) {
      KeyEntry* e = c.Lookup(c[j]);
      if (e == nullptr) continue;
      std::string_view value;
      if (!IsHll(c, e, &value)) return;
      if (!hll::MergeInto(value, max.data())) {
        c.Error(hll::kCorruptError);
        return;
      }
    }
    c.w.Integer(static_cast<int64_t>(hll::CountRegisters(max.data())));
    return;
  }
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Integer(0);
    return;
  }
  std::string_view value;
  if (!IsHll(c, e, &value)) return;
  auto* card = reinterpret_cast<unsigned char*>(const_cast<char*>(value.data())) + 8;
  if ((card[7] & 0x80) == 0) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | card[i];
    c.w.Integer(static_cast<int64_t>(v));
    return;
  }
  uint64_t v;
  if (!hll::Count(value, &v)) {
    c.Error(hll::kCorruptError);
    return;
  }
  // Like a Redis replica, store the computed cardinality in the value's cache bytes.
  for (int i = 0; i < 8; ++i) card[i] = static_cast<unsigned char>(v >> (8 * i));
  c.w.Integer(static_cast<int64_t>(v));
}

// ---- FUNCTION ----------------------------------------------------------------------------------

void FunctionHelpCmd(Ctx& c) {
  static const char* const kHelp[] = {
      "LOAD [REPLACE] <FUNCTION CODE>",
      "    Create a new library with the given library name and code.",
      "DELETE <LIBRARY NAME>",
      "    Delete the given library.",
      "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
      "    Return general information on all the libraries:",
      "    * Library name",
      "    * The engine used to run the Library",
      "    * Library description",
      "    * Functions list",
      "    * Library code (if WITHCODE is given)",
      "    It also possible to get only function that matches a pattern using LIBRARYNAME "
      "argument.",
      "STATS",
      "    Return information about the current function running:",
      "    * Function name",
      "    * Command used to run the function",
      "    * Duration in MS that the function is running",
      "    If no function is running, return nil",
      "    In addition, returns a list of available engines.",
      "KILL",
      "    Kill the current running function.",
      "FLUSH [ASYNC|SYNC]",
      "    Delete all the libraries.",
      "    When called without the optional mode argument, the behavior is determined by the",
      "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
      "    * ASYNC: Asynchronously flush the libraries.",
      "    * SYNC: Synchronously flush the libraries.",
      "DUMP",
      "    Return a serialized payload representing the current libraries, can be restored "
      "using FUNCTION RESTORE command",
      "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
      "    Restore the libraries represented by the given payload, it is possible to give a "
      "restore policy to",
      "    control how to handle existing libraries (default APPEND):",
      "    * FLUSH: delete all existing libraries.",
      "    * APPEND: appends the restored libraries to the existing libraries. On collision, "
      "abort.",
      "    * REPLACE: appends the restored libraries to the existing libraries, On collision, "
      "replace the old",
      "      libraries with the new libraries (notice that even on this option there is a "
      "chance of failure",
      "      in case of functions name collision with another library).",
  };
  ReplyHelp(c, kHelp);
}

void FunctionDumpCmd(Ctx& c) { c.w.Bulk(FunctionDumpPayload(c.ks.functions(), c.cc.rdb_version)); }

// No script ever runs here.
void FunctionKillCmd(Ctx& c) { c.Error("NOTBUSY No scripts in execution right now."); }

void FunctionStatsCmd(Ctx& c) {
  size_t functions = 0;
  for (const FunctionLibrary& lib : c.ks.functions()) functions += lib.functions.size();
  c.w.MapHeader(2);
  c.w.Bulk("running_script");
  c.w.Null();
  c.w.Bulk("engines");
  c.w.MapHeader(1);
  c.w.Bulk("LUA");
  c.w.MapHeader(2);
  c.w.Bulk("libraries_count");
  c.w.Integer(static_cast<int64_t>(c.ks.functions().size()));
  c.w.Bulk("functions_count");
  c.w.Integer(static_cast<int64_t>(functions));
}

void FunctionListCmd(Ctx& c) {
  bool with_code = false;
  bool have_pattern = false;
  std::string_view pattern;
  for (size_t i = 2; i < c.argc(); ++i) {
    if (!with_code && EqCase(c[i], "withcode")) {
      with_code = true;
      continue;
    }
    if (!have_pattern && EqCase(c[i], "libraryname")) {
      if (i >= c.argc() - 1) {
        c.Error("ERR library name argument was not given");
        return;
      }
      pattern = c[++i];
      have_pattern = true;
      continue;
    }
    std::string_view arg = c[i];
    c.Error(StrCat("ERR Unknown argument ", arg.substr(0, arg.find('\0'))));
    return;
  }
  const auto& libs = c.ks.functions();
  std::optional<Deferred> d;
  if (have_pattern) {
    d.emplace(c.w);
  } else {
    c.w.ArrayHeader(libs.size());
  }
  size_t n = 0;
  for (const FunctionLibrary& lib : libs) {
    if (have_pattern && !GlobMatch(pattern, lib.name, /*nocase=*/true)) continue;
    ++n;
    c.w.MapHeader(with_code ? 4 : 3);
    c.w.Bulk("library_name");
    c.w.Bulk(lib.name);
    c.w.Bulk("engine");
    c.w.Bulk(lib.engine);
    c.w.Bulk("functions");
    c.w.ArrayHeader(lib.functions.size());
    for (const FunctionLibrary::Function& f : lib.functions) {
      c.w.MapHeader(3);
      c.w.Bulk("name");
      c.w.Bulk(f.name);
      c.w.Bulk("description");
      if (f.has_description) {
        c.w.Bulk(f.description);
      } else {
        c.w.Null();
      }
      c.w.Bulk("flags");
      c.w.SetHeader(f.flags.size());
      for (const std::string& fl : f.flags) c.w.Simple(fl);
    }
    if (with_code) {
      c.w.Bulk("library_code");
      c.w.Bulk(lib.code);
    }
  }
  if (d) d->SetArray(n);
}

// ---- SORT_RO -----------------------------------------------------------------------------------

namespace {

// Redis's lookupKeyByPattern (expired keys and fields hidden, as reads do). Returns false if
// there is no such value.
bool LookupByPattern(Ctx& c, std::string_view pattern, std::string_view subst, std::string* out) {
  std::string key;
  std::string_view field;
  SortPatternKind kind = ResolveSortPattern(pattern, subst, &key, &field);
  if (kind == SortPatternKind::kSelf) {
    out->assign(subst);
    return true;
  }
  if (kind == SortPatternKind::kNone) return false;
  KeyEntry* e = c.Lookup(key);
  if (e == nullptr) return false;
  if (kind == SortPatternKind::kHashField) {
    if (obj::Type(e) != ObjType::kHash) return false;
    return hash::Get(e, field, c.now(), out, nullptr) == hash::Lookup::kFound;
  }
  if (obj::Type(e) != ObjType::kString) return false;
  char buf[24];
  out->assign(obj::StringValue(e, buf));
  return true;
}

int CStrCmp(const std::string& a, const std::string& b) {
  return std::strcmp(a.c_str(), b.c_str());
}

int BinCmp(const std::string& a, const std::string& b) {
  int r = a.compare(b);
  return r < 0 ? -1 : (r > 0 ? 1 : 0);
}

}  // namespace

void SortRoCmd(Ctx& c) {
  bool desc = false, alpha = false, dontsort = false;
  int64_t limit_start = 0, limit_count = -1;
  std::optional<std::string_view> sortby;
  std::vector<std::string_view> gets;
  for (size_t j = 2; j < c.argc(); ++j) {
    size_t left = c.argc() - j - 1;
    if (EqCase(c[j], "asc")) {
      desc = false;
    } else if (EqCase(c[j], "desc")) {
      desc = true;
    } else if (EqCase(c[j], "alpha")) {
      alpha = true;
    } else if (EqCase(c[j], "limit") && left >= 2) {
      if (!GetLL(c, c[j + 1], &limit_start) || !GetLL(c, c[j + 2], &limit_count)) return;
      j += 2;
    } else if (EqCase(c[j], "by") && left >= 1) {
      sortby = c[j + 1];
      std::string_view cp = sortby->substr(0, sortby->find('\0'));
      if (cp.find('*') == std::string_view::npos) dontsort = true;
      ++j;
    } else if (EqCase(c[j], "get") && left >= 1) {
      gets.push_back(c[j + 1]);
      ++j;
    } else {
      c.Syntax();
      return;
    }
  }
  KeyEntry* e = c.Lookup(c[1]);
  if (e != nullptr && obj::Type(e) != ObjType::kSet && obj::Type(e) != ObjType::kList &&
      obj::Type(e) != ObjType::kZset) {
    c.WrongType();
    return;
  }
  // Collect the elements in the order Redis reads them.
  std::vector<std::string> elems;
  ObjType type = e == nullptr ? ObjType::kList : obj::Type(e);
  int64_t vectorlen = 0;
  if (e != nullptr) {
    vectorlen = static_cast<int64_t>(type == ObjType::kList  ? list::Length(e)
                                     : type == ObjType::kSet ? set::Size(e)
                                                             : zset::Size(e));
  }
  int64_t start = std::min(std::max<int64_t>(limit_start, 0), vectorlen);
  limit_count = std::min(std::max<int64_t>(limit_count, -1), vectorlen);
  int64_t end = limit_count < 0 ? vectorlen - 1 : start + limit_count - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;
  auto push_entry = [&](const listpack::Entry& en) {
    char buf[24];
    elems.emplace_back(en.AsString(buf));
    return true;
  };
  if (e != nullptr) {
    if (dontsort && type != ObjType::kSet && (start != 0 || end != vectorlen - 1)) {
      // Only the requested window, in order (descending reads from the tail).
      if (end >= start) {
        uint64_t n = static_cast<uint64_t>(end - start + 1);
        if (type == ObjType::kList) {
          uint64_t from =
              desc ? static_cast<uint64_t>(vectorlen - start - 1) : static_cast<uint64_t>(start);
          list::Walk(e, from, n, desc, push_entry);
        } else {
          std::vector<std::pair<std::string, double>> all;
          // Zset by rank.
          if (obj::Enc(e) == Encoding::kListpack) {
            listpack::Reader r(listpack::View(static_cast<const char*>(obj::Ptr(e))));
            listpack::Entry m, s;
            char buf[24];
            while (r.Next(&m) && r.Next(&s)) all.emplace_back(std::string(m.AsString(buf)), 0);
            for (uint64_t k = 0; k < n; ++k) {
              uint64_t rank = desc ? static_cast<uint64_t>(vectorlen - 1 - start) - k
                                   : static_cast<uint64_t>(start) + k;
              elems.push_back(all[rank].first);
            }
          } else {
            const ZTree& t = static_cast<BigZset*>(obj::Ptr(e))->tree();
            ZTree::Cursor cur = t.At(desc ? static_cast<uint64_t>(vectorlen - 1 - start)
                                          : static_cast<uint64_t>(start));
            for (uint64_t k = 0; k < n && cur.valid(); ++k) {
              elems.emplace_back(ZMember(cur.node()));
              if (desc) {
                cur.Prev();
              } else {
                cur.Next();
              }
            }
          }
        }
        end -= start;
        start = 0;
      }
    } else if (type == ObjType::kList) {
      list::Walk(e, 0, list::Length(e), false, push_entry);
    } else if (type == ObjType::kSet) {
      set::ForEach(e, [&](std::string_view m) { elems.emplace_back(m); });
    } else if (dontsort) {
      // The whole zset in rank order (descending if DESC).
      std::vector<std::string> all;
      if (obj::Enc(e) == Encoding::kListpack) {
        listpack::Reader r(listpack::View(static_cast<const char*>(obj::Ptr(e))));
        listpack::Entry m, s;
        char buf[24];
        while (r.Next(&m) && r.Next(&s)) all.emplace_back(m.AsString(buf));
      } else {
        const ZTree& t = static_cast<BigZset*>(obj::Ptr(e))->tree();
        for (ZTree::Cursor cur = t.At(0); cur.valid(); cur.Next()) {
          all.emplace_back(ZMember(cur.node()));
        }
      }
      if (desc) std::reverse(all.begin(), all.end());
      elems = std::move(all);
    } else {
      // Sorted below: read in any order.
      if (obj::Enc(e) == Encoding::kListpack) {
        listpack::Reader r(listpack::View(static_cast<const char*>(obj::Ptr(e))));
        listpack::Entry m, s;
        char buf[24];
        while (r.Next(&m) && r.Next(&s)) elems.emplace_back(m.AsString(buf));
      } else {
        const ZTree& t = static_cast<BigZset*>(obj::Ptr(e))->tree();
        for (ZTree::Cursor cur = t.At(0); cur.valid(); cur.Next()) {
          elems.emplace_back(ZMember(cur.node()));
        }
      }
    }
  }
  if (!dontsort) {
    struct Item {
      std::string* obj = nullptr;
      double score = 0;
      std::optional<std::string> cmpobj;
    };
    std::vector<Item> items;
    items.reserve(elems.size());
    bool conversion_error = false;
    for (std::string& el : elems) {
      Item it;
      it.obj = &el;
      std::string byval;
      bool have = true;
      if (sortby) {
        have = LookupByPattern(c, *sortby, el, &byval);
      } else {
        byval = el;
      }
      if (have) {
        if (alpha) {
          if (sortby) it.cmpobj = byval;
        } else {
          errno = 0;
          char* eptr = nullptr;
          it.score = std::strtod(byval.c_str(), &eptr);
          if (*eptr != '\0' || errno == ERANGE || std::isnan(it.score)) conversion_error = true;
        }
      }
      items.push_back(std::move(it));
    }
    bool bypattern = sortby.has_value();
    auto cmp = [&](const Item& a, const Item& b) {
      int r;
      if (!alpha) {
        if (a.score > b.score) {
          r = 1;
        } else if (a.score < b.score) {
          r = -1;
        } else {
          r = BinCmp(*a.obj, *b.obj);
        }
      } else if (bypattern) {
        if (!a.cmpobj || !b.cmpobj) {
          r = (!a.cmpobj && !b.cmpobj) ? 0 : (!a.cmpobj ? -1 : 1);
        } else {
          r = CStrCmp(*a.cmpobj, *b.cmpobj);
        }
      } else {
        r = CStrCmp(*a.obj, *b.obj);
      }
      return desc ? -r : r;
    };
    // BY with a LIMIT window: pqsort, anything else qsort (as sortCommandGeneric).
    RedisSort(items, bypattern && (start != 0 || end != vectorlen - 1), start, end, cmp);
    std::vector<std::string> sorted;
    sorted.reserve(items.size());
    for (Item& it : items) sorted.push_back(std::move(*it.obj));
    elems = std::move(sorted);
    if (conversion_error) {
      c.Error("ERR One or more scores can't be converted into double");
      return;
    }
  }
  int64_t count = end - start + 1;
  if (count < 0) count = 0;
  c.w.ArrayHeader(static_cast<size_t>(gets.empty() ? count : count * gets.size()));
  for (int64_t j = start; j <= end; ++j) {
    const std::string& el = elems[static_cast<size_t>(j)];
    if (gets.empty()) c.w.Bulk(el);
    for (std::string_view g : gets) {
      std::string v;
      if (LookupByPattern(c, g, el, &v)) {
        c.w.Bulk(v);
      } else {
        c.w.Null();
      }
    }
  }
}

}  // namespace redlink::engine::cmd
