// Sorted sets: ZADD (NX|XX|GT|LT|CH|INCR), ZINCRBY, ZREM, ZREMRANGEBY{SCORE,RANK,LEX},
// Z{UNION,INTER,DIFF}STORE (WEIGHTS, AGGREGATE), ZRANGESTORE, ZPOPMIN/ZPOPMAX [count], ZMPOP and
// the blocking forms, and the GEO writes (GEOADD; GEORADIUS[BYMEMBER] STORE/STOREDIST and
// GEOSEARCHSTORE). Redis t_zset.c and geo.c.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "engine/common/string_map.h"
#include "engine/common/strings.h"
#include "engine/keyspace/cmd_geo.h"
#include "engine/replication/apply_internal.h"

namespace redlink::engine::apply {
namespace {

namespace lp = listpack;

// Calls fn(member, score) for every member in (score, member) order; fn returns false to stop.
template <typename F>
void ForEachInOrder(const KeyEntry* e, F&& fn) {
  if (obj::Enc(e) == Encoding::kListpack) {
    std::string_view v = lp::View(static_cast<const char*>(obj::Ptr(e)));
    lp::Entry m, s;
    char buf[24];
    for (size_t off = lp::kHeaderSize; !lp::AtEnd(v, off);) {
      size_t soff = lp::EntryAt(v, off, &m);
      off = lp::EntryAt(v, soff, &s);
      double score = zset::LpScore(s.sval.data(), s.sval.size(), s.is_int, s.ival);
      if (!fn(m.AsString(buf), score)) return;
    }
    return;
  }
  const ZTree& tree = static_cast<const BigZset*>(obj::Ptr(e))->tree();
  for (ZTree::Cursor cur = tree.At(0); cur.valid(); cur.Next()) {
    const ZNode* n = cur.node();
    if (!fn(ZMember(n), n->score)) return;
  }
}

// The same from the highest (score, member) down.
template <typename F>
void ForEachReverse(const KeyEntry* e, F&& fn) {
  if (obj::Enc(e) == Encoding::kListpack) {
    std::string_view v = lp::View(static_cast<const char*>(obj::Ptr(e)));
    size_t off = lp::LastOffset(v);
    lp::Entry m, s;
    char buf[24];
    while (off != 0) {
      size_t moff = lp::PrevOffset(v, off);  // the member before its score
      lp::EntryAt(v, moff, &m);
      lp::EntryAt(v, off, &s);
      double score = zset::LpScore(s.sval.data(), s.sval.size(), s.is_int, s.ival);
      if (!fn(m.AsString(buf), score)) return;
      off = lp::PrevOffset(v, moff);
    }
    return;
  }
  const ZTree& tree = static_cast<const BigZset*>(obj::Ptr(e))->tree();
  if (tree.size() == 0) return;
  for (ZTree::Cursor cur = tree.At(tree.size() - 1); cur.valid(); cur.Prev()) {
    const ZNode* n = cur.node();
    if (!fn(ZMember(n), n->score)) return;
  }
}

// Removes `members` from the zset and deletes the key if it empties.
void RemoveAll(Call& c, KeyEntry* e, const std::vector<std::string>& members) {
  if (members.empty()) return;
  c.ks.Edit(e, [&] {
    for (const std::string& m : members) zset::Remove(e, m);
  });
  DeleteIfEmpty(c.ks, c.db(), e);
}

// ---- ZADD ----------------------------------------------------------------------------------

constexpr int kZaddNx = 1, kZaddXx = 2, kZaddIncr = 4, kZaddGt = 8, kZaddLt = 16;

// zsetAdd for one element; false for a NaN result (nothing changed).
bool ZsetAdd(KeyEntry* e, double score, std::string_view member, int flags) {
  if (std::isnan(score)) return false;
  double cur;
  if (zset::Score(e, member, &cur)) {
    if (flags & kZaddNx) return true;
    if (flags & kZaddIncr) {
      score += cur;
      if (std::isnan(score)) return false;
    }
    if (((flags & kZaddLt) && score >= cur) || ((flags & kZaddGt) && score <= cur)) return true;
    if (score != cur) zset::Set(e, member, score);
    return true;
  }
  if (flags & kZaddXx) return true;
  zset::Set(e, member, score);
  return true;
}

// zaddGenericCommand from the first option at argv[2].
absl::Status ZaddGeneric(Call& c, int flags) {
  size_t scoreidx = 2;
  for (; scoreidx < c.argc(); ++scoreidx) {
    std::string_view opt = c[scoreidx];
    if (EqCase(opt, "nx")) {
      flags |= kZaddNx;
    } else if (EqCase(opt, "xx")) {
      flags |= kZaddXx;
    } else if (EqCase(opt, "ch")) {
      // only changes the reply
    } else if (EqCase(opt, "incr")) {
      flags |= kZaddIncr;
    } else if (EqCase(opt, "gt")) {
      flags |= kZaddGt;
    } else if (EqCase(opt, "lt")) {
      flags |= kZaddLt;
    } else {
      break;
    }
  }
  size_t elements = c.argc() - scoreidx;
  if (elements % 2 != 0 || elements == 0) return Syntax();
  elements /= 2;
  bool nx = flags & kZaddNx, xx = flags & kZaddXx, gt = flags & kZaddGt, lt = flags & kZaddLt;
  if (nx && xx) return Err("ERR XX and NX options at the same time are not compatible");
  if ((gt && nx) || (lt && nx) || (gt && lt)) {
    return Err("ERR GT, LT, and/or NX options at the same time are not compatible");
  }
  if ((flags & kZaddIncr) && elements > 1) {
    return Err("ERR INCR option supports a single increment-element pair");
  }
  // Every score is parsed before anything changes.
  double small[16];
  std::vector<double> big;
  double* scores = small;
  if (elements > 16) {
    big.resize(elements);
    scores = big.data();
  }
  for (size_t j = 0; j < elements; ++j) {
    if (absl::Status s = GetDouble(c[scoreidx + j * 2], &scores[j]); !s.ok()) return s;
  }
  std::string_view key = c[1];
  KeyEntry* e = c.Find(key);
  if (absl::Status s = CheckType(e, ObjType::kZset); !s.ok()) return s;
  if (flags & kZaddIncr) {
    // The only way to fail after this point: an increment that makes NaN. Check it first.
    double cur;
    bool found = false;
    if (e != nullptr) c.ks.Edit(e, [&] { found = zset::Score(e, c[scoreidx + 1], &cur); });
    if (found && std::isnan(cur + scores[0]) && !nx) {
      return Err("ERR resulting score is not a number (NaN)");
    }
  }
  if (e == nullptr) {
    if (xx) return absl::OkStatus();
    e = NewZset(key, elements, c[scoreidx + 1].size());
    c.ks.Add(c.db(), e);
  }
  c.ks.Edit(e, [&] {
    for (size_t j = 0; j < elements; ++j) ZsetAdd(e, scores[j], c[scoreidx + 1 + j * 2], flags);
  });
  return absl::OkStatus();
}

// ---- ranges --------------------------------------------------------------------------------

struct ScoreRange {
  double min, max;
  bool minex = false, maxex = false;
};

// zslParseRange: "(" makes a bound exclusive; strtod must consume everything; NaN rejected.
bool ParseScoreBound(std::string_view s, double* v, bool* ex) {
  std::string buf(s);
  const char* p = buf.c_str();
  *ex = false;
  if (!buf.empty() && buf[0] == '(') {
    *ex = true;
    ++p;
  }
  char* end;
  *v = std::strtod(p, &end);
  return *end == '\0' && static_cast<size_t>(end - buf.c_str()) == buf.size() && !std::isnan(*v);
}

bool InScoreRange(double s, const ScoreRange& r) {
  bool ge = r.minex ? s > r.min : s >= r.min;
  bool le = r.maxex ? s < r.max : s <= r.max;
  return ge && le;
}

// zslParseLexRangeItem: "-" / "+" (infinite), "(x" exclusive, "[x" inclusive.
struct LexBound {
  enum Kind { kMin, kMax, kValue } kind = kValue;
  std::string_view value;
  bool ex = false;
};

bool ParseLexBound(std::string_view s, LexBound* b) {
  if (s.empty()) return false;
  switch (s[0]) {
    case '+':
      if (s.size() != 1) return false;
      b->kind = LexBound::kMax;
      b->ex = true;
      return true;
    case '-':
      if (s.size() != 1) return false;
      b->kind = LexBound::kMin;
      b->ex = true;
      return true;
    case '(':
      b->ex = true;
      b->value = s.substr(1);
      return true;
    case '[':
      b->ex = false;
      b->value = s.substr(1);
      return true;
    default:
      return false;
  }
}

// sdscmplex: the min/max sentinels sort below/above every string.
int LexCmp(std::string_view a, const LexBound& b) {
  if (b.kind == LexBound::kMin) return 1;
  if (b.kind == LexBound::kMax) return -1;
  int r = a.compare(b.value);
  return r < 0 ? -1 : (r > 0 ? 1 : 0);
}

bool LexGteMin(std::string_view v, const LexBound& min) {
  return min.ex ? LexCmp(v, min) > 0 : LexCmp(v, min) >= 0;
}
bool LexLteMax(std::string_view v, const LexBound& max) {
  return max.ex ? LexCmp(v, max) < 0 : LexCmp(v, max) <= 0;
}

// ---- pops ----------------------------------------------------------------------------------

enum class Where { kMin, kMax };

// genericZpopCommand on one zset: pops `count` members from the chosen end.
void PopFrom(Call& c, KeyEntry* e, Where where, uint64_t count) {
  std::vector<std::string> victims;
  auto take = [&](std::string_view m, double) {
    victims.emplace_back(m);
    return victims.size() < count;
  };
  if (where == Where::kMin) {
    ForEachInOrder(e, take);
  } else {
    ForEachReverse(e, take);
  }
  RemoveAll(c, e, victims);
}

// genericZpopCommand over several keys: the first existing key is the candidate (type errors
// up to it).
absl::Status PopFirst(Call& c, size_t first, size_t n, Where where, uint64_t count) {
  for (size_t j = first; j < first + n; ++j) {
    KeyEntry* e = c.Find(c[j]);
    if (e == nullptr) continue;
    if (absl::Status s = CheckType(e, ObjType::kZset); !s.ok()) return s;
    if (count > 0) PopFrom(c, e, where, count);
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

// blockingGenericZpopCommand: the first non-empty zset (type errors up to it).
absl::Status BlockingPopFirst(Call& c, size_t first, size_t n, Where where, uint64_t count) {
  for (size_t j = first; j < first + n; ++j) {
    KeyEntry* e = c.Find(c[j]);
    if (e == nullptr) continue;
    if (absl::Status s = CheckType(e, ObjType::kZset); !s.ok()) return s;
    if (zset::Size(e) == 0) continue;
    PopFrom(c, e, where, count);
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status ParseTimeout(std::string_view s) {
  long double t;
  if (!ParseLongDouble(s, &t)) return Err("ERR timeout is not a float or out of range");
  if (t < 0) return Err("ERR timeout is negative");
  if (t * 1000 > static_cast<long double>(INT64_MAX)) return Err("ERR timeout is out of range");
  return absl::OkStatus();
}

// zmpopGenericCommand's parsing; `blocking` pops from the first non-empty zset.
absl::Status Zmpop(Call& c, size_t numkeys_idx, bool blocking) {
  int64_t numkeys;
  if (absl::Status s = GetRangeLong(c[numkeys_idx], 1, INT64_MAX, &numkeys,
                                    "ERR numkeys should be greater than 0");
      !s.ok()) {
    return s;
  }
  if (numkeys > static_cast<int64_t>(c.argc())) return Syntax();
  size_t where_idx = numkeys_idx + static_cast<size_t>(numkeys) + 1;
  if (where_idx >= c.argc()) return Syntax();
  Where where;
  if (EqCase(c[where_idx], "min")) {
    where = Where::kMin;
  } else if (EqCase(c[where_idx], "max")) {
    where = Where::kMax;
  } else {
    return Syntax();
  }
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
  size_t first = numkeys_idx + 1;
  if (blocking) return BlockingPopFirst(c, first, static_cast<size_t>(numkeys), where, count);
  return PopFirst(c, first, static_cast<size_t>(numkeys), where, static_cast<uint64_t>(count));
}

// ZPOPMIN/ZPOPMAX key [count].
absl::Status Zpop(Call& c, Where where) {
  if (c.argc() > 3) return Syntax();
  int64_t count = 1;
  if (c.argc() == 3) {
    if (absl::Status s = GetPositiveLong(c[2], &count); !s.ok()) return s;
  }
  return PopFirst(c, 1, 1, where, static_cast<uint64_t>(count));
}

// ---- stores --------------------------------------------------------------------------------

struct Scored {
  std::string member;
  double score;
};

// Stores the result as zset `dst` (replacing it and its TTL), or deletes dst when empty.
void StoreZset(Call& c, std::string_view dst, const std::vector<Scored>& items) {
  if (items.empty()) {
    c.ks.Delete(c.db(), dst);
    return;
  }
  size_t maxlen = 0;
  for (const Scored& s : items) maxlen = std::max(maxlen, s.member.size());
  KeyEntry* e = NewZset(dst, items.size(), maxlen);
  for (const Scored& s : items) zset::Set(e, s.member, s.score);
  c.ks.Put(c.db(), e);
}

// One input of Z*STORE: a zset, a set (every score 1), or missing (empty).
struct ZSource {
  KeyEntry* e = nullptr;
  double weight = 1.0;
  uint64_t size() const {
    if (e == nullptr) return 0;
    return obj::Type(e) == ObjType::kSet ? set::Size(e) : zset::Size(e);
  }
  template <typename F>
  void ForEach(F&& fn) const {  // fn(member, score)
    if (e == nullptr) return;
    if (obj::Type(e) == ObjType::kSet) {
      set::ForEach(e, [&](std::string_view m) { fn(m, 1.0); });
    } else {
      ForEachInOrder(e, [&](std::string_view m, double s) {
        fn(m, s);
        return true;
      });
    }
  }
  bool Find(std::string_view m, double* score) const {
    if (e == nullptr) return false;
    if (obj::Type(e) == ObjType::kSet) {
      *score = 1.0;
      return set::Contains(e, m);
    }
    return zset::Score(e, m, score);
  }
};

enum class SetOp { kUnion, kInter, kDiff };
enum class Aggregate { kSum, kMin, kMax };

// zunionInterAggregate.
void Aggr(double* target, double val, Aggregate a) {
  switch (a) {
    case Aggregate::kSum:
      *target = *target + val;
      if (std::isnan(*target)) *target = 0.0;  // inf + -inf
      break;
    case Aggregate::kMin:
      *target = val < *target ? val : *target;
      break;
    case Aggregate::kMax:
      *target = val > *target ? val : *target;
      break;
  }
}

// zunionInterDiffGenericCommand with a destination.
absl::Status ZsetOpStore(Call& c, SetOp op) {
  constexpr size_t kNumkeysIdx = 2;
  int64_t setnum;
  if (absl::Status s = GetLong(c[kNumkeysIdx], &setnum); !s.ok()) return s;
  if (setnum < 1) {
    return Err(StrCat("ERR at least 1 input key is needed for '", c.name, "' command"));
  }
  if (setnum > static_cast<int64_t>(c.argc() - (kNumkeysIdx + 1))) return Syntax();
  std::vector<ZSource> src(static_cast<size_t>(setnum));
  size_t j = kNumkeysIdx + 1;
  for (size_t i = 0; i < src.size(); ++i, ++j) {
    KeyEntry* e = c.Find(c[j]);
    if (e != nullptr && obj::Type(e) != ObjType::kZset && obj::Type(e) != ObjType::kSet) {
      return WrongType();
    }
    src[i].e = e;
  }
  Aggregate aggregate = Aggregate::kSum;
  size_t remaining = c.argc() - j;
  while (remaining > 0) {
    if (op != SetOp::kDiff && remaining >= src.size() + 1 && EqCase(c[j], "weights")) {
      ++j;
      --remaining;
      for (size_t i = 0; i < src.size(); ++i, ++j, --remaining) {
        if (absl::Status s = GetDouble(c[j], &src[i].weight, "ERR weight value is not a float");
            !s.ok()) {
          return s;
        }
      }
    } else if (op != SetOp::kDiff && remaining >= 2 && EqCase(c[j], "aggregate")) {
      std::string_view a = c[j + 1];
      if (EqCase(a, "sum")) {
        aggregate = Aggregate::kSum;
      } else if (EqCase(a, "min")) {
        aggregate = Aggregate::kMin;
      } else if (EqCase(a, "max")) {
        aggregate = Aggregate::kMax;
      } else {
        return Syntax();
      }
      j += 2;
      remaining -= 2;
    } else {
      return Syntax();
    }
  }
  AccountingScope scope(c.ks);
  for (const ZSource& z : src) scope.Add(z.e);
  // Redis qsorts the inputs by cardinality (glibc's qsort is a stable merge sort here), which
  // fixes the order SUM adds the scores of a member found in several inputs.
  if (op != SetOp::kDiff) {
    std::stable_sort(src.begin(), src.end(),
                     [](const ZSource& a, const ZSource& b) { return a.size() < b.size(); });
  }
  std::vector<Scored> out;
  if (op == SetOp::kInter) {
    if (src[0].size() > 0) {
      src[0].ForEach([&](std::string_view m, double s0) {
        double score = src[0].weight * s0;
        if (std::isnan(score)) score = 0;
        for (size_t k = 1; k < src.size(); ++k) {
          double value;
          if (src[k].e == src[0].e) {
            value = s0 * src[k].weight;
          } else if (src[k].Find(m, &value)) {
            value *= src[k].weight;
          } else {
            return;
          }
          Aggr(&score, value, aggregate);
        }
        out.push_back(Scored{std::string(m), score});
      });
    }
  } else if (op == SetOp::kUnion) {
    StringMap<size_t> index;
    for (const ZSource& s : src) {
      s.ForEach([&](std::string_view m, double v) {
        double score = s.weight * v;
        if (std::isnan(score)) score = 0;
        auto it = index.find(m);
        if (it == index.end()) {
          index.emplace(std::string(m), out.size());
          out.push_back(Scored{std::string(m), score});
        } else {
          Aggr(&out[it->second].score, score, aggregate);
        }
      });
    }
  } else {
    // zdiff: members of the first input found in no other, with their own score.
    src[0].ForEach([&](std::string_view m, double s0) {
      for (size_t k = 1; k < src.size(); ++k) {
        double ignored;
        if (src[k].e != nullptr && src[k].Find(m, &ignored)) return;
      }
      out.push_back(Scored{std::string(m), s0});
    });
  }
  scope.Finish();
  StoreZset(c, c[1], out);
  return absl::OkStatus();
}

// geo.c extractUnitOrReply: meters per unit.
absl::Status ParseUnit(std::string_view u, double* to_meters) {
  if (EqCase(u, "m")) {
    *to_meters = 1;
  } else if (EqCase(u, "km")) {
    *to_meters = 1000;
  } else if (EqCase(u, "ft")) {
    *to_meters = 0.3048;
  } else if (EqCase(u, "mi")) {
    *to_meters = 1609.34;
  } else {
    return Err("ERR unsupported unit provided. please use M, KM, FT, MI");
  }
  return absl::OkStatus();
}

// The GEO search stores: `args` is the equivalent read search (with WITHHASH appended); the
// stored score is the member's geohash score (STORE) or its distance from the center in the
// query's unit (STOREDIST), computed as geoWithinShape does from the decoded positions.
absl::Status GeoStore(Call& c, std::vector<std::string_view>& args, std::string_view dst,
                      bool storedist, double center_lon, double center_lat, double to_meters) {
  args.push_back("WITHHASH");
  AccountingScope scope(c.ks);
  scope.Add(c.Find(args[1]));  // the searched zset (FROMMEMBER looks a member up)
  RespValue v;
  if (absl::Status s = RunRead(c, args, &v); !s.ok()) return s;
  std::vector<Scored> out;
  out.reserve(v.elements.size());
  for (const RespValue& item : v.elements) {
    if (item.elements.size() < 2) return absl::InternalError("unexpected GEO search reply");
    double score = static_cast<double>(item.elements[1].integer);
    if (storedist) {
      double lon, lat;
      cmd::geo::DecodeScore(score, &lon, &lat);
      score = cmd::geo::Distance(center_lon, center_lat, lon, lat) / to_meters;
    }
    out.push_back(Scored{std::string(item.elements[0].str), score});
  }
  scope.Finish();
  StoreZset(c, dst, out);
  return absl::OkStatus();
}

// extractLongLatOrReply.
absl::Status ParseLonLat(std::string_view lon_s, std::string_view lat_s, double* lon, double* lat) {
  if (absl::Status s = GetDouble(lon_s, lon); !s.ok()) return s;
  if (absl::Status s = GetDouble(lat_s, lat); !s.ok()) return s;
  if (*lon < -180 || *lon > 180 || *lat < cmd::geo::kLatMin || *lat > cmd::geo::kLatMax) {
    char buf[128];
    std::snprintf(buf, sizeof(buf), "ERR invalid longitude,latitude pair %f,%f", *lon, *lat);
    return Err(buf);
  }
  return absl::OkStatus();
}

// longLatFromMember.
bool MemberPosition(Call& c, std::string_view key, std::string_view member, double* lon,
                    double* lat) {
  KeyEntry* e = c.Find(key);
  double score;
  if (e == nullptr || obj::Type(e) != ObjType::kZset) return false;
  bool found;
  c.ks.Edit(e, [&] { found = zset::Score(e, member, &score); });
  if (!found) return false;
  return cmd::geo::DecodeScore(score, lon, lat);
}

// GEORADIUS / GEORADIUSBYMEMBER with STORE or STOREDIST. `base` is the index of the first
// option; the read variant named `ro` does the search.
absl::Status GeoradiusStore(Call& c, std::string_view ro, size_t base, bool by_member) {
  std::string_view store;
  bool has_store = false, storedist = false, with = false;
  std::vector<std::string_view> args;
  args.push_back(ro);
  for (size_t j = 1; j < base; ++j) args.push_back(c[j]);
  for (size_t j = base; j < c.argc(); ++j) {
    std::string_view a = c[j];
    if ((EqCase(a, "store") || EqCase(a, "storedist")) && j + 1 < c.argc()) {
      storedist = EqCase(a, "storedist");
      store = c[++j];
      has_store = true;
      continue;
    }
    if (EqCase(a, "withdist") || EqCase(a, "withhash") || EqCase(a, "withcoord")) with = true;
    if (EqCase(a, "count") && j + 1 < c.argc()) {
      args.push_back(a);
      args.push_back(c[++j]);
      continue;
    }
    args.push_back(a);
  }
  if (!has_store) {
    RespValue ignored;  // a plain search: nothing to store
    return RunRead(c, args, &ignored);
  }
  if (with) {
    return Err(
        "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD "
        "options");
  }
  double lon = 0, lat = 0, to_meters = 1;
  if (by_member) {
    MemberPosition(c, c[1], c[2], &lon, &lat);
  } else {
    if (absl::Status s = ParseLonLat(c[2], c[3], &lon, &lat); !s.ok()) return s;
  }
  if (absl::Status s = ParseUnit(c[base - 1], &to_meters); !s.ok()) return s;
  return GeoStore(c, args, store, storedist, lon, lat, to_meters);
}

}  // namespace

absl::Status ZaddCmd(Call& c) { return ZaddGeneric(c, 0); }

// ZINCRBY key increment member = ZADD key INCR increment member.
absl::Status ZincrbyCmd(Call& c) {
  std::string_view args[5] = {"zadd", c[1], "incr", c[2], c[3]};
  Call z{c.ks, c.ctx, Argv(args, 5), "zincrby"};
  return ZaddGeneric(z, 0);
}

absl::Status ZremCmd(Call& c) {
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kZset); !s.ok()) return s;
  c.ks.Edit(e, [&] {
    for (size_t j = 2; j < c.argc() && zset::Size(e) > 0; ++j) zset::Remove(e, c[j]);
  });
  DeleteIfEmpty(c.ks, c.db(), e);
  return absl::OkStatus();
}

absl::Status ZremrangebyscoreCmd(Call& c) {
  ScoreRange r;
  if (!ParseScoreBound(c[2], &r.min, &r.minex) || !ParseScoreBound(c[3], &r.max, &r.maxex)) {
    return Err("ERR min or max is not a float");
  }
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kZset); !s.ok()) return s;
  std::vector<std::string> victims;
  ForEachInOrder(e, [&](std::string_view m, double s) {
    bool above_max = r.maxex ? s >= r.max : s > r.max;
    if (above_max) return false;
    if (InScoreRange(s, r)) victims.emplace_back(m);
    return true;
  });
  RemoveAll(c, e, victims);
  return absl::OkStatus();
}

absl::Status ZremrangebyrankCmd(Call& c) {
  int64_t start, end;
  if (absl::Status s = GetLong(c[2], &start); !s.ok()) return s;
  if (absl::Status s = GetLong(c[3], &end); !s.ok()) return s;
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kZset); !s.ok()) return s;
  int64_t llen = static_cast<int64_t>(zset::Size(e));
  if (start < 0) start += llen;
  if (end < 0) end += llen;
  if (start < 0) start = 0;
  if (start > end || start >= llen) return absl::OkStatus();
  if (end >= llen) end = llen - 1;
  std::vector<std::string> victims;
  int64_t rank = 0;
  ForEachInOrder(e, [&](std::string_view m, double) {
    if (rank >= start) victims.emplace_back(m);
    return ++rank <= end;
  });
  RemoveAll(c, e, victims);
  return absl::OkStatus();
}

// ZREMRANGEBYLEX: from the first member >= min, the following members while <= max (the walk
// zzlDeleteRangeByLex does; meaningful when all scores are equal, as documented).
absl::Status ZremrangebylexCmd(Call& c) {
  LexBound min, max;
  if (!ParseLexBound(c[2], &min) || !ParseLexBound(c[3], &max)) {
    return Err("ERR min or max not valid string range item");
  }
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  if (absl::Status s = CheckType(e, ObjType::kZset); !s.ok()) return s;
  std::vector<std::string> victims;
  bool started = false;
  ForEachInOrder(e, [&](std::string_view m, double) {
    if (!started) {
      if (!LexGteMin(m, min)) return true;
      started = true;
    }
    if (!LexLteMax(m, max)) return false;
    victims.emplace_back(m);
    return true;
  });
  RemoveAll(c, e, victims);
  return absl::OkStatus();
}

absl::Status ZunionstoreCmd(Call& c) { return ZsetOpStore(c, SetOp::kUnion); }
absl::Status ZinterstoreCmd(Call& c) { return ZsetOpStore(c, SetOp::kInter); }
absl::Status ZdiffstoreCmd(Call& c) { return ZsetOpStore(c, SetOp::kDiff); }

// ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]: the selection is
// ZRANGE's (with WITHSCORES; BYLEX members get their scores looked up).
absl::Status ZrangestoreCmd(Call& c) {
  std::vector<std::string_view> args;
  args.reserve(c.argc() + 1);
  args.push_back("ZRANGE");
  bool bylex = false;
  for (size_t j = 2; j < c.argc(); ++j) {
    if (EqCase(c[j], "bylex")) bylex = true;
    if (EqCase(c[j], "withscores")) return Syntax();  // not an option of ZRANGESTORE
    args.push_back(c[j]);
  }
  if (!bylex) args.push_back("WITHSCORES");
  KeyEntry* src = c.Find(c[2]);
  AccountingScope scope(c.ks);
  scope.Add(src);
  RespValue v;
  if (absl::Status s = RunRead(c, args, &v); !s.ok()) return s;
  std::vector<Scored> out;
  if (bylex) {
    for (const RespValue& m : v.elements) {
      double score = 0;
      if (src != nullptr) zset::Score(src, m.str, &score);
      out.push_back(Scored{std::string(m.str), score});
    }
  } else {
    for (size_t i = 0; i + 1 < v.elements.size(); i += 2) {
      double score;
      if (!ParseDouble(v.elements[i + 1].str, &score)) {
        return absl::InternalError("unexpected ZRANGE score");
      }
      out.push_back(Scored{std::string(v.elements[i].str), score});
    }
  }
  scope.Finish();
  StoreZset(c, c[1], out);
  return absl::OkStatus();
}

absl::Status ZpopminCmd(Call& c) { return Zpop(c, Where::kMin); }
absl::Status ZpopmaxCmd(Call& c) { return Zpop(c, Where::kMax); }
absl::Status ZmpopCmd(Call& c) { return Zmpop(c, 1, false); }

absl::Status BzpopminCmd(Call& c) {
  if (absl::Status s = ParseTimeout(c[c.argc() - 1]); !s.ok()) return s;
  return BlockingPopFirst(c, 1, c.argc() - 2, Where::kMin, 1);
}

absl::Status BzpopmaxCmd(Call& c) {
  if (absl::Status s = ParseTimeout(c[c.argc() - 1]); !s.ok()) return s;
  return BlockingPopFirst(c, 1, c.argc() - 2, Where::kMax, 1);
}

absl::Status BzmpopCmd(Call& c) {
  if (absl::Status s = ParseTimeout(c[1]); !s.ok()) return s;
  return Zmpop(c, 2, true);
}

// GEOADD key [NX|XX] [CH] lon lat member ...: ZADD with the 52-bit geohash scores (a master
// propagates exactly that, as lower-case "zadd").
absl::Status GeoaddCmd(Call& c) {
  size_t longidx = 2;
  bool nx = false, xx = false;
  for (; longidx < c.argc(); ++longidx) {
    std::string_view opt = c[longidx];
    if (EqCase(opt, "nx")) {
      nx = true;
    } else if (EqCase(opt, "xx")) {
      xx = true;
    } else if (!EqCase(opt, "ch")) {
      break;
    }
  }
  if ((c.argc() - longidx) % 3 != 0 || (nx && xx)) return Syntax();
  size_t elements = (c.argc() - longidx) / 3;
  std::vector<std::string_view> zargs(c.argv.begin(), c.argv.begin() + longidx);
  std::vector<std::string> scores(elements);
  for (size_t i = 0; i < elements; ++i) {
    double lon, lat;
    size_t at = longidx + i * 3;
    if (absl::Status s = ParseLonLat(c[at], c[at + 1], &lon, &lat); !s.ok()) return s;
    uint64_t bits = 0;
    cmd::geo::Encode(cmd::geo::Range{-180, 180},
                     cmd::geo::Range{cmd::geo::kLatMin, cmd::geo::kLatMax}, lon, lat,
                     cmd::geo::kStepMax, &bits);
    scores[i] = StrCat(bits);
  }
  for (size_t i = 0; i < elements; ++i) {
    zargs.push_back(scores[i]);
    zargs.push_back(c[longidx + i * 3 + 2]);
  }
  Call z{c.ks, c.ctx, Argv(zargs), "zadd"};
  return ZaddGeneric(z, 0);
}

// GEOSEARCHSTORE dst src FROMMEMBER m|FROMLONLAT lon lat BYRADIUS r u|BYBOX w h u [ASC|DESC]
// [COUNT n [ANY]] [STOREDIST].
absl::Status GeosearchstoreCmd(Call& c) {
  std::vector<std::string_view> args;
  args.push_back("GEOSEARCH");
  args.push_back(c[2]);
  bool storedist = false;
  double lon = 0, lat = 0, to_meters = 1;
  for (size_t j = 3; j < c.argc(); ++j) {
    std::string_view a = c[j];
    size_t more = c.argc() - j - 1;
    if (EqCase(a, "storedist")) {
      storedist = true;
      continue;
    }
    if (EqCase(a, "withdist") || EqCase(a, "withhash") || EqCase(a, "withcoord")) {
      return Err(
          "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
    }
    if (EqCase(a, "fromlonlat") && more >= 2) {
      if (absl::Status s = ParseLonLat(c[j + 1], c[j + 2], &lon, &lat); !s.ok()) return s;
    } else if (EqCase(a, "frommember") && more >= 1) {
      MemberPosition(c, c[2], c[j + 1], &lon, &lat);
    } else if (EqCase(a, "byradius") && more >= 2) {
      if (absl::Status s = ParseUnit(c[j + 2], &to_meters); !s.ok()) return s;
    } else if (EqCase(a, "bybox") && more >= 3) {
      if (absl::Status s = ParseUnit(c[j + 3], &to_meters); !s.ok()) return s;
    }
    args.push_back(a);
  }
  return GeoStore(c, args, c[1], storedist, lon, lat, to_meters);
}

absl::Status GeoradiusCmd(Call& c) { return GeoradiusStore(c, "GEORADIUS_RO", 6, false); }
absl::Status GeoradiusbymemberCmd(Call& c) {
  return GeoradiusStore(c, "GEORADIUSBYMEMBER_RO", 5, true);
}

}  // namespace redlink::engine::apply
