// Sorted-set commands: ZRANGE (all forms) ZRANGEBYSCORE ZREVRANGEBYSCORE ZRANGEBYLEX
// ZREVRANGEBYLEX ZREVRANGE ZSCORE ZMSCORE ZRANK ZREVRANK ZCARD ZCOUNT ZLEXCOUNT ZSCAN
// ZRANDMEMBER ZUNION ZINTER ZDIFF ZINTERCARD.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "engine/common/glob.h"
#include "engine/common/strings.h"
#include "engine/keyspace/cmd_common.h"
#include "engine/keyspace/set.h"
#include "engine/keyspace/zset.h"

namespace redlink::engine::cmd {

bool ParseScanCursor(Ctx& c, std::string_view s, uint64_t* cursor);
bool ParseScanOptions(Ctx& c, size_t first, int64_t* count, std::string_view* pattern,
                      bool* use_pattern);

namespace {

namespace lp = listpack;

// A read view of a sorted set in rank order, over either encoding. Listpack sets (at most 128
// members) are decoded once into a vector; big ones are read through the order-statistic tree.
class ZView {
 public:
  explicit ZView(KeyEntry* e) {
    if (obj::Enc(e) == Encoding::kListpack) {
      std::string_view v = lp::View(static_cast<const char*>(obj::Ptr(e)));
      lp::Reader r(v);
      lp::Entry m, s;
      while (r.Next(&m) && r.Next(&s)) {
        Item it;
        if (m.is_int) {
          char buf[24];
          it.storage = std::string(m.AsString(buf));
          it.owned = true;
        } else {
          it.member = m.sval;
        }
        it.score = zset::LpScore(s.sval.data(), s.sval.size(), s.is_int, s.ival);
        items_.push_back(std::move(it));
      }
      for (Item& it : items_) {
        if (it.owned) it.member = it.storage;
      }
    } else {
      big_ = static_cast<BigZset*>(obj::Ptr(e));
    }
  }
  bool is_listpack() const { return big_ == nullptr; }
  uint64_t size() const { return big_ != nullptr ? big_->size() : items_.size(); }

  // fn(std::string_view member, double score) -> bool (false stops).
  template <typename F>
  void Walk(uint64_t start, uint64_t n, bool reverse, F&& fn) const {
    if (n == 0 || start >= size()) return;
    if (big_ == nullptr) {
      for (uint64_t k = 0; k < n; ++k) {
        if (!reverse && start + k >= items_.size()) return;
        if (reverse && k > start) return;
        const Item& it = items_[reverse ? start - k : start + k];
        if (!fn(it.member, it.score)) return;
      }
      return;
    }
    ZTree::Cursor c = big_->tree().At(start);
    for (uint64_t k = 0; k < n && c.valid(); ++k) {
      const ZNode* z = c.node();
      if (!fn(ZMember(z), z->score)) return;
      if (reverse) {
        c.Prev();
      } else {
        c.Next();
      }
    }
  }
  std::string_view MemberAt(uint64_t rank) const {
    if (big_ == nullptr) return items_[rank].member;
    return ZMember(big_->tree().NodeAt(rank));
  }
  double ScoreAt(uint64_t rank) const {
    if (big_ == nullptr) return items_[rank].score;
    return big_->tree().NodeAt(rank)->score;
  }
  // First rank whose element satisfies the monotone predicate (size() if none). Listpacks are
  // scanned linearly, as Redis's zzl* helpers do.
  template <typename Pred>
  uint64_t FirstWhere(Pred&& p) const {
    if (big_ == nullptr) {
      for (uint64_t i = 0; i < items_.size(); ++i) {
        if (p(items_[i].member, items_[i].score)) return i;
      }
      return items_.size();
    }
    return big_->tree().LowerBound([&](const ZNode* z) { return p(ZMember(z), z->score); });
  }
  // Last rank satisfying a predicate that holds on a prefix (-1 if none); listpacks scan from
  // the tail as Redis does.
  template <typename Pred>
  int64_t LastWhere(Pred&& p) const {
    if (big_ == nullptr) {
      for (size_t i = items_.size(); i-- > 0;) {
        if (p(items_[i].member, items_[i].score)) return static_cast<int64_t>(i);
      }
      return -1;
    }
    uint64_t first_fail =
        big_->tree().LowerBound([&](const ZNode* z) { return !p(ZMember(z), z->score); });
    return static_cast<int64_t>(first_fail) - 1;
  }
  // 0-based rank of `member`, -1 if absent.
  int64_t Rank(std::string_view member) const {
    if (big_ == nullptr) {
      for (size_t i = 0; i < items_.size(); ++i) {
        if (items_[i].member == member) return static_cast<int64_t>(i);
      }
      return -1;
    }
    ZNode* z = big_->Find(member);
    if (z == nullptr) return -1;
    return static_cast<int64_t>(big_->tree().Rank(z));
  }

 private:
  struct Item {
    std::string_view member;
    std::string storage;
    bool owned = false;
    double score = 0;
  };
  std::vector<Item> items_;
  BigZset* big_ = nullptr;
};

// ---- Ranges ------------------------------------------------------------------------------------

struct ScoreRange {
  double min = 0, max = 0;
  bool minex = false, maxex = false;
  bool GteMin(double v) const { return minex ? v > min : v >= min; }
  bool LteMax(double v) const { return maxex ? v < max : v <= max; }
  bool Empty() const { return min > max || (min == max && (minex || maxex)); }
};

// Redis's zslParseRange: strtod on the C string (so leading spaces and a NUL end it).
bool ParseScoreBound(std::string_view s, double* v, bool* ex) {
  std::string buf(s);
  const char* p = buf.c_str();
  *ex = false;
  if (p[0] == '(') {
    *ex = true;
    ++p;
  }
  char* end = nullptr;
  *v = std::strtod(p, &end);
  return *end == '\0' && !std::isnan(*v);
}

bool ParseScoreRange(std::string_view min, std::string_view max, ScoreRange* r) {
  return ParseScoreBound(min, &r->min, &r->minex) && ParseScoreBound(max, &r->max, &r->maxex);
}

struct LexBound {
  enum Kind { kMin, kMax, kValue } kind = kValue;
  std::string value;
};

struct LexRange {
  LexBound min, max;
  bool minex = false, maxex = false;
  static int Cmp(const LexBound& a, std::string_view b_value) {  // a vs a plain value
    if (a.kind == LexBound::kMin) return -1;
    if (a.kind == LexBound::kMax) return 1;
    int c = std::string_view(a.value).compare(b_value);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  bool GteMin(std::string_view v) const {
    int c = -Cmp(min, v);  // v vs min
    return minex ? c > 0 : c >= 0;
  }
  bool LteMax(std::string_view v) const {
    int c = -Cmp(max, v);
    return maxex ? c < 0 : c <= 0;
  }
  bool Empty() const {
    int cmp;
    if (min.kind == max.kind && min.kind != LexBound::kValue) {
      cmp = 0;
    } else if (min.kind == LexBound::kMin || max.kind == LexBound::kMax) {
      cmp = -1;
    } else if (min.kind == LexBound::kMax || max.kind == LexBound::kMin) {
      cmp = 1;
    } else {
      int c = min.value.compare(max.value);
      cmp = c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    return cmp > 0 || (cmp == 0 && (minex || maxex));
  }
};

bool ParseLexItem(std::string_view s, LexBound* b, bool* ex) {
  char c0 = s.empty() ? '\0' : s[0];
  char c1 = s.size() > 1 ? s[1] : '\0';
  switch (c0) {
    case '+':
      if (c1 != '\0') return false;
      *ex = true;
      b->kind = LexBound::kMax;
      return true;
    case '-':
      if (c1 != '\0') return false;
      *ex = true;
      b->kind = LexBound::kMin;
      return true;
    case '(':
      *ex = true;
      b->kind = LexBound::kValue;
      b->value = std::string(s.substr(1));
      return true;
    case '[':
      *ex = false;
      b->kind = LexBound::kValue;
      b->value = std::string(s.substr(1));
      return true;
    default:
      return false;
  }
}

bool ParseLexRange(std::string_view min, std::string_view max, LexRange* r) {
  return ParseLexItem(min, &r->min, &r->minex) && ParseLexItem(max, &r->max, &r->maxex);
}

// [first, last] ranks of a score range ({1, 0} if empty), with Redis's zslIsInRange checks.
std::pair<int64_t, int64_t> ScoreRanks(const ZView& z, const ScoreRange& r) {
  if (r.Empty() || z.size() == 0) return {1, 0};
  if (!r.GteMin(z.ScoreAt(z.size() - 1)) || !r.LteMax(z.ScoreAt(0))) return {1, 0};
  int64_t first =
      static_cast<int64_t>(z.FirstWhere([&](std::string_view, double s) { return r.GteMin(s); }));
  int64_t last = z.LastWhere([&](std::string_view, double s) { return r.LteMax(s); });
  return {first, last};
}

std::pair<int64_t, int64_t> LexRanks(const ZView& z, const LexRange& r) {
  if (r.Empty() || z.size() == 0) return {1, 0};
  if (!r.GteMin(z.MemberAt(z.size() - 1)) || !r.LteMax(z.MemberAt(0))) return {1, 0};
  int64_t first =
      static_cast<int64_t>(z.FirstWhere([&](std::string_view m, double) { return r.GteMin(m); }));
  int64_t last = z.LastWhere([&](std::string_view m, double) { return r.LteMax(m); });
  return {first, last};
}

// ---- Result emission ----------------------------------------------------------------------------

class RangeReply {
 public:
  RangeReply(Ctx& c, bool withscores) : c_(c), withscores_(withscores) {}
  // Known length (> 0) or deferred (-1).
  void Begin(int64_t n) {
    if (n > 0) {
      c_.w.ArrayHeader(static_cast<size_t>(withscores_ && c_.resp() == 2 ? n * 2 : n));
    } else {
      deferred_.emplace(c_.w);
    }
  }
  void Emit(std::string_view m, double score) {
    if (withscores_ && c_.resp() > 2) c_.w.ArrayHeader(2);
    c_.w.Bulk(m);
    if (withscores_) ReplyDouble(c_.w, score);
  }
  void Finish(size_t n) {
    if (!deferred_) return;
    deferred_->SetArray(withscores_ && c_.resp() == 2 ? n * 2 : n);
  }

 private:
  Ctx& c_;
  bool withscores_;
  std::optional<Deferred> deferred_;
};

enum class RangeType { kAuto, kRank, kScore, kLex };
enum class Direction { kAuto, kForward, kReverse };

void RangeByRank(Ctx& c, const ZView& z, int64_t start, int64_t end, bool withscores,
                 bool reverse) {
  RangeReply out(c, withscores);
  int64_t len = static_cast<int64_t>(z.size());
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) {
    out.Begin(0);
    out.Finish(0);
    return;
  }
  if (end >= len) end = len - 1;
  int64_t n = end - start + 1;
  out.Begin(n);
  uint64_t from = reverse ? static_cast<uint64_t>(len - 1 - start) : static_cast<uint64_t>(start);
  z.Walk(from, static_cast<uint64_t>(n), reverse, [&](std::string_view m, double s) {
    out.Emit(m, s);
    return true;
  });
  out.Finish(static_cast<size_t>(n));
}

// Emits ranks [first, last] forward (or [last..first] reverse) after skipping `offset`, at most
// `limit` (negative: all).
void EmitRankSpan(const ZView& z, RangeReply& out, int64_t first, int64_t last, bool reverse,
                  int64_t offset, int64_t limit, size_t* emitted) {
  *emitted = 0;
  if (first > last || offset < 0) return;
  int64_t span = last - first + 1;
  if (offset >= span) return;
  int64_t n = span - offset;
  if (limit >= 0 && limit < n) n = limit;
  uint64_t from =
      reverse ? static_cast<uint64_t>(last - offset) : static_cast<uint64_t>(first + offset);
  z.Walk(from, static_cast<uint64_t>(n), reverse, [&](std::string_view m, double s) {
    out.Emit(m, s);
    ++*emitted;
    return true;
  });
}

void ZrangeGeneric(Ctx& c, RangeType type, Direction dir) {
  std::string_view key = c[1];
  size_t minidx = 2, maxidx = 3;
  int64_t opt_offset = 0, opt_limit = -1;
  bool withscores = false;
  for (size_t j = 4; j < c.argc(); ++j) {
    size_t left = c.argc() - j - 1;
    if (EqCase(c[j], "withscores")) {
      withscores = true;
    } else if (EqCase(c[j], "limit") && left >= 2) {
      if (!GetLL(c, c[j + 1], &opt_offset) || !GetLL(c, c[j + 2], &opt_limit)) return;
      j += 2;
    } else if (dir == Direction::kAuto && EqCase(c[j], "rev")) {
      dir = Direction::kReverse;
    } else if (type == RangeType::kAuto && EqCase(c[j], "bylex")) {
      type = RangeType::kLex;
    } else if (type == RangeType::kAuto && EqCase(c[j], "byscore")) {
      type = RangeType::kScore;
    } else {
      c.Syntax();
      return;
    }
  }
  if (dir == Direction::kAuto) dir = Direction::kForward;
  if (type == RangeType::kAuto) type = RangeType::kRank;
  if (opt_limit != -1 && type == RangeType::kRank) {
    c.Error(
        "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX");
    return;
  }
  if (withscores && type == RangeType::kLex) {
    c.Error("ERR syntax error, WITHSCORES not supported in combination with BYLEX");
    return;
  }
  bool reverse = dir == Direction::kReverse;
  if (reverse && (type == RangeType::kScore || type == RangeType::kLex)) std::swap(minidx, maxidx);
  int64_t start = 0, end = 0;
  ScoreRange sr;
  LexRange lr;
  switch (type) {
    case RangeType::kAuto:
    case RangeType::kRank:
      if (!GetLL(c, c[minidx], &start) || !GetLL(c, c[maxidx], &end)) return;
      break;
    case RangeType::kScore:
      if (!ParseScoreRange(c[minidx], c[maxidx], &sr)) {
        c.Error("ERR min or max is not a float");
        return;
      }
      break;
    case RangeType::kLex:
      if (!ParseLexRange(c[minidx], c[maxidx], &lr)) {
        c.Error("ERR min or max not valid string range item");
        return;
      }
      break;
  }
  KeyEntry* e = c.Lookup(key);
  if (e == nullptr) {
    c.w.ArrayHeader(0);
    return;
  }
  if (!CheckType(c, e, ObjType::kZset)) return;
  ZView z(e);
  if (type == RangeType::kRank) {
    RangeByRank(c, z, start, end, withscores, reverse);
    return;
  }
  RangeReply out(c, withscores);
  out.Begin(-1);
  if (opt_offset > 0 && opt_offset >= static_cast<int64_t>(z.size())) {
    out.Finish(0);
    return;
  }
  auto [first, last] = type == RangeType::kScore ? ScoreRanks(z, sr) : LexRanks(z, lr);
  size_t emitted = 0;
  if (first <= last) {
    if (!z.is_listpack() || type == RangeType::kScore) {
      EmitRankSpan(z, out, first, last, reverse, opt_offset, opt_limit, &emitted);
    } else {
      // Listpack lex ranges walk from the first (last) match while the other bound holds, as
      // Redis's zzl helpers do, even on sets whose scores differ.
      int64_t pos = reverse ? last : first;
      int64_t off = opt_offset;
      if (off < 0) pos = -1;
      while (pos >= 0 && pos < static_cast<int64_t>(z.size()) && off-- > 0) pos += reverse ? -1 : 1;
      int64_t lim = opt_limit;
      // (A negative LIMIT count means no limit.)
      while (pos >= 0 && pos < static_cast<int64_t>(z.size()) && (lim < 0 || lim-- > 0)) {
        std::string_view m = z.MemberAt(static_cast<uint64_t>(pos));
        if (reverse ? !lr.GteMin(m) : !lr.LteMax(m)) break;
        out.Emit(m, z.ScoreAt(static_cast<uint64_t>(pos)));
        ++emitted;
        pos += reverse ? -1 : 1;
      }
    }
  }
  out.Finish(emitted);
}

}  // namespace

void ZrangeCmd(Ctx& c) { ZrangeGeneric(c, RangeType::kAuto, Direction::kAuto); }
void ZrevrangeCmd(Ctx& c) { ZrangeGeneric(c, RangeType::kRank, Direction::kReverse); }
void ZrangebyscoreCmd(Ctx& c) { ZrangeGeneric(c, RangeType::kScore, Direction::kForward); }
void ZrevrangebyscoreCmd(Ctx& c) { ZrangeGeneric(c, RangeType::kScore, Direction::kReverse); }
void ZrangebylexCmd(Ctx& c) { ZrangeGeneric(c, RangeType::kLex, Direction::kForward); }
void ZrevrangebylexCmd(Ctx& c) { ZrangeGeneric(c, RangeType::kLex, Direction::kReverse); }

void ZcardCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Integer(0);
    return;
  }
  if (!CheckType(c, e, ObjType::kZset)) return;
  c.w.Integer(static_cast<int64_t>(zset::Size(e)));
}

void ZscoreCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Null();
    return;
  }
  if (!CheckType(c, e, ObjType::kZset)) return;
  double s;
  if (zset::Score(e, c[2], &s)) {
    ReplyDouble(c.w, s);
  } else {
    c.w.Null();
  }
}

void ZmscoreCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e != nullptr && !CheckType(c, e, ObjType::kZset)) return;
  c.w.ArrayHeader(c.argc() - 2);
  for (size_t j = 2; j < c.argc(); ++j) {
    double s;
    if (e != nullptr && zset::Score(e, c[j], &s)) {
      ReplyDouble(c.w, s);
    } else {
      c.w.Null();
    }
  }
}

namespace {
void RankGeneric(Ctx& c, bool reverse) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Null();
    return;
  }
  if (!CheckType(c, e, ObjType::kZset)) return;
  ZView z(e);
  int64_t r = z.Rank(c[2]);
  if (r < 0) {
    c.w.Null();
    return;
  }
  c.w.Integer(reverse ? static_cast<int64_t>(z.size()) - 1 - r : r);
}
}  // namespace

void ZrankCmd(Ctx& c) { RankGeneric(c, false); }
void ZrevrankCmd(Ctx& c) { RankGeneric(c, true); }

void ZcountCmd(Ctx& c) {
  ScoreRange r;
  if (!ParseScoreRange(c[2], c[3], &r)) {
    c.Error("ERR min or max is not a float");
    return;
  }
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Integer(0);
    return;
  }
  if (!CheckType(c, e, ObjType::kZset)) return;
  ZView z(e);
  auto [first, last] = ScoreRanks(z, r);
  c.w.Integer(first <= last ? last - first + 1 : 0);
}

void ZlexcountCmd(Ctx& c) {
  LexRange r;
  if (!ParseLexRange(c[2], c[3], &r)) {
    c.Error("ERR min or max not valid string range item");
    return;
  }
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Integer(0);
    return;
  }
  if (!CheckType(c, e, ObjType::kZset)) return;
  ZView z(e);
  auto [first, last] = LexRanks(z, r);
  if (first > last) {
    c.w.Integer(0);
    return;
  }
  if (z.is_listpack()) {
    // Count forward from the first match while <= max (Redis's listpack walk).
    int64_t n = 0;
    for (uint64_t i = static_cast<uint64_t>(first); i < z.size(); ++i) {
      if (!r.LteMax(z.MemberAt(i))) break;
      ++n;
    }
    c.w.Integer(n);
    return;
  }
  c.w.Integer(last - first + 1);
}

void ZscanCmd(Ctx& c) {
  uint64_t cursor;
  if (!ParseScanCursor(c, c[2], &cursor)) return;
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.ArrayHeader(2);
    c.w.Bulk("0");
    c.w.ArrayHeader(0);
    return;
  }
  if (!CheckType(c, e, ObjType::kZset)) return;
  int64_t count;
  std::string_view pattern;
  bool use_pattern;
  if (!ParseScanOptions(c, 3, &count, &pattern, &use_pattern)) return;
  std::vector<std::pair<std::string, std::string>> items;  // member, score text
  if (obj::Enc(e) == Encoding::kSkiplist) {
    auto* z = static_cast<BigZset*>(obj::Ptr(e));
    int64_t target = count > INT64_MAX / 2 ? INT64_MAX : count * 2;
    int64_t max_iter = target > INT64_MAX / 10 ? INT64_MAX : target * 10;  // Redis wraps
    do {
      cursor = z->Scan(cursor, [&](const ZNode* n) {
        // Redis renders the score with createStringObjectFromLongDouble(score, 0) ("%.17Lg").
        char buf[64];
        int len = snprintf(buf, sizeof(buf), "%.17Lg", static_cast<long double>(n->score));
        items.emplace_back(std::string(ZMember(n)), std::string(buf, static_cast<size_t>(len)));
      });
    } while (cursor != 0 && max_iter-- > 0 && static_cast<int64_t>(items.size() * 2) < target);
  } else {
    // Listpack: every member and its score as stored.
    std::string_view v = lp::View(static_cast<const char*>(obj::Ptr(e)));
    lp::Reader r(v);
    lp::Entry m, s;
    char b1[24], b2[24];
    while (r.Next(&m) && r.Next(&s)) {
      items.emplace_back(std::string(m.AsString(b1)), std::string(s.AsString(b2)));
    }
    cursor = 0;
  }
  size_t n = 0;
  for (const auto& [m, s] : items) {
    if (!use_pattern || GlobMatch(pattern, m)) n += 2;
  }
  c.w.ArrayHeader(2);
  c.w.Bulk(StrCat(cursor));
  c.w.ArrayHeader(n);
  for (const auto& [m, s] : items) {
    if (use_pattern && !GlobMatch(pattern, m)) continue;
    c.w.Bulk(m);
    c.w.Bulk(s);
  }
}

void ZrandmemberCmd(Ctx& c) {
  if (c.argc() >= 3) {
    int64_t l;
    if (!GetRangeLong(c, c[2], -INT64_MAX, INT64_MAX, &l)) return;
    bool withscores = false;
    if (c.argc() > 4 || (c.argc() == 4 && !EqCase(c[3], "withscores"))) {
      c.Syntax();
      return;
    }
    if (c.argc() == 4) {
      withscores = true;
      if (l < -INT64_MAX / 2 || l > INT64_MAX / 2) {
        c.Error(kOutOfRange);
        return;
      }
    }
    KeyEntry* e = c.Lookup(c[1]);
    if (e == nullptr) {
      c.w.ArrayHeader(0);
      return;
    }
    if (!CheckType(c, e, ObjType::kZset)) return;
    ZView z(e);
    uint64_t size = z.size();
    bool uniq = l >= 0;
    uint64_t count = uniq ? static_cast<uint64_t>(l) : static_cast<uint64_t>(-l);
    if (count == 0) {
      c.w.ArrayHeader(0);
      return;
    }
    auto emit = [&](std::string_view m, double s) {
      if (withscores && c.resp() > 2) c.w.ArrayHeader(2);
      c.w.Bulk(m);
      if (withscores) ReplyDouble(c.w, s);
    };
    if (!uniq && count > kMaxSampledReply) {
      c.Error(kSampleTooLarge);
      return;
    }
    if (!uniq || count == 1) {
      c.w.ArrayHeader(withscores && c.resp() == 2 ? count * 2 : count);
      while (count-- > 0) {
        uint64_t r = FastRandom() % size;
        emit(z.MemberAt(r), z.ScoreAt(r));
      }
      return;
    }
    uint64_t reply = std::min(count, size);
    c.w.ArrayHeader(withscores && c.resp() == 2 ? reply * 2 : reply);
    if (count >= size) {
      // Redis iterates from the highest score down.
      z.Walk(size - 1, size, true, [&](std::string_view m, double s) {
        emit(m, s);
        return true;
      });
      return;
    }
    std::vector<uint64_t> ranks;
    if (count * 3 > size) {
      for (uint64_t i = 0; i < size; ++i) ranks.push_back(i);
      while (ranks.size() > count) {
        size_t k = FastRandom() % ranks.size();
        std::swap(ranks[k], ranks.back());
        ranks.pop_back();
      }
    } else {
      absl::flat_hash_set<uint64_t> seen;
      while (ranks.size() < count) {
        uint64_t r = FastRandom() % size;
        if (seen.insert(r).second) ranks.push_back(r);
      }
    }
    for (uint64_t r : ranks) emit(z.MemberAt(r), z.ScoreAt(r));
    return;
  }
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Null();
    return;
  }
  if (!CheckType(c, e, ObjType::kZset)) return;
  ZView z(e);
  c.w.Bulk(z.MemberAt(FastRandom() % z.size()));
}

// ---- ZUNION / ZINTER / ZDIFF / ZINTERCARD ---------------------------------------------------

namespace {

enum class SetOp { kUnion, kInter, kDiff };

struct Src {
  KeyEntry* e = nullptr;
  double weight = 1.0;
  uint64_t Size() const {
    if (e == nullptr) return 0;
    return obj::Type(e) == ObjType::kSet ? set::Size(e) : zset::Size(e);
  }
  // Calls fn(member, score) for every element (sets: score 1), highest rank first.
  template <typename F>
  void ForEach(F&& fn) const {
    if (e == nullptr) return;
    if (obj::Type(e) == ObjType::kSet) {
      set::ForEach(e, [&](std::string_view m) { fn(m, 1.0); });
      return;
    }
    ZView z(e);
    if (z.size() == 0) return;
    z.Walk(z.size() - 1, z.size(), true, [&](std::string_view m, double s) {
      fn(m, s);
      return true;
    });
  }
  bool Find(std::string_view m, double* s) const {
    if (e == nullptr) return false;
    if (obj::Type(e) == ObjType::kSet) {
      *s = 1.0;
      return set::Contains(e, m);
    }
    return zset::Score(e, m, s);
  }
};

enum class Aggr { kSum, kMin, kMax };

void Aggregate(double* target, double v, Aggr a) {
  switch (a) {
    case Aggr::kSum:
      *target = *target + v;
      if (std::isnan(*target)) *target = 0.0;
      break;
    case Aggr::kMin:
      *target = v < *target ? v : *target;
      break;
    case Aggr::kMax:
      *target = v > *target ? v : *target;
      break;
  }
}

void ZsetOp(Ctx& c, SetOp op, bool card_only) {
  const size_t numkeys_idx = 1;
  int64_t setnum;
  if (!GetLL(c, c[numkeys_idx], &setnum)) return;
  if (setnum < 1) {
    std::string name(c[0]);
    for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    c.Error(StrCat("ERR at least 1 input key is needed for '", name, "' command"));
    return;
  }
  if (setnum > static_cast<int64_t>(c.argc() - (numkeys_idx + 1))) {
    c.Syntax();
    return;
  }
  std::vector<Src> src(static_cast<size_t>(setnum));
  size_t j = numkeys_idx + 1;
  for (size_t i = 0; i < src.size(); ++i, ++j) {
    KeyEntry* e = c.Lookup(c[j]);
    if (e != nullptr && obj::Type(e) != ObjType::kZset && obj::Type(e) != ObjType::kSet) {
      c.WrongType();
      return;
    }
    src[i].e = e;
  }
  Aggr aggr = Aggr::kSum;
  bool withscores = false;
  int64_t limit = 0;
  while (j < c.argc()) {
    size_t remaining = c.argc() - j;
    if (op != SetOp::kDiff && !card_only && remaining >= src.size() + 1 &&
        EqCase(c[j], "weights")) {
      ++j;
      for (size_t i = 0; i < src.size(); ++i, ++j) {
        if (!GetDouble(c, c[j], &src[i].weight, "weight value is not a float")) return;
      }
    } else if (op != SetOp::kDiff && !card_only && remaining >= 2 && EqCase(c[j], "aggregate")) {
      ++j;
      if (EqCase(c[j], "sum")) {
        aggr = Aggr::kSum;
      } else if (EqCase(c[j], "min")) {
        aggr = Aggr::kMin;
      } else if (EqCase(c[j], "max")) {
        aggr = Aggr::kMax;
      } else {
        c.Syntax();
        return;
      }
      ++j;
    } else if (remaining >= 1 && !card_only && EqCase(c[j], "withscores")) {
      ++j;
      withscores = true;
    } else if (card_only && remaining >= 2 && EqCase(c[j], "limit")) {
      ++j;
      if (!GetPositiveLong(c, c[j], &limit, "LIMIT can't be negative")) return;
      ++j;
    } else {
      c.Syntax();
      return;
    }
  }
  if (op != SetOp::kDiff) {
    std::stable_sort(src.begin(), src.end(),
                     [](const Src& a, const Src& b) { return a.Size() < b.Size(); });
  }
  // Result: member -> score, then sorted by (score, member).
  std::vector<std::pair<std::string, double>> result;
  uint64_t card = 0;
  if (op == SetOp::kInter) {
    if (src[0].Size() > 0) {
      bool stop = false;
      src[0].ForEach([&](std::string_view m, double s0) {
        if (stop) return;
        double score = src[0].weight * s0;
        if (std::isnan(score)) score = 0;
        size_t k = 1;
        for (; k < src.size(); ++k) {
          double v;
          if (src[k].e == src[0].e) {
            v = s0 * src[k].weight;
          } else if (src[k].Find(m, &v)) {
            v *= src[k].weight;
          } else {
            break;
          }
          Aggregate(&score, v, aggr);
        }
        if (k != src.size()) return;
        if (card_only) {
          ++card;
          if (limit != 0 && card >= static_cast<uint64_t>(limit)) stop = true;
        } else {
          result.emplace_back(std::string(m), score);
        }
      });
    }
  } else if (op == SetOp::kUnion) {
    absl::flat_hash_map<std::string, size_t> index;
    for (const Src& s : src) {
      if (s.Size() == 0) continue;
      s.ForEach([&](std::string_view m, double sc) {
        double score = s.weight * sc;
        if (std::isnan(score)) score = 0;
        auto [it, inserted] = index.try_emplace(std::string(m), result.size());
        if (inserted) {
          result.emplace_back(std::string(m), score);
        } else {
          Aggregate(&result[it->second].second, score, aggr);
        }
      });
    }
  } else {
    if (src[0].e != nullptr) {
      src[0].ForEach([&](std::string_view m, double s0) {
        for (size_t k = 1; k < src.size(); ++k) {
          double v;
          if (src[k].e == src[0].e || src[k].Find(m, &v)) return;
        }
        result.emplace_back(std::string(m), s0);
      });
    }
  }
  if (card_only) {
    c.w.Integer(static_cast<int64_t>(card));
    return;
  }
  std::sort(result.begin(), result.end(), [](const auto& a, const auto& b) {
    return ZLess(a.second, a.first, b.second, b.first);
  });
  c.w.ArrayHeader(withscores && c.resp() == 2 ? result.size() * 2 : result.size());
  for (const auto& [m, s] : result) {
    if (withscores && c.resp() > 2) c.w.ArrayHeader(2);
    c.w.Bulk(m);
    if (withscores) ReplyDouble(c.w, s);
  }
}

}  // namespace

void ZunionCmd(Ctx& c) { ZsetOp(c, SetOp::kUnion, false); }
void ZinterCmd(Ctx& c) { ZsetOp(c, SetOp::kInter, false); }
void ZdiffCmd(Ctx& c) { ZsetOp(c, SetOp::kDiff, false); }
void ZintercardCmd(Ctx& c) { ZsetOp(c, SetOp::kInter, true); }

}  // namespace redlink::engine::cmd
