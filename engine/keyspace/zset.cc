#include "engine/keyspace/zset.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "engine/encoding/listpack.h"
#include "engine/keyspace/set.h"

namespace redlink::engine {

std::string_view ZMember(const ZNode* n) {
  uint64_t len;
  size_t h = GetVarint(n->data, &len);
  return std::string_view(n->data + h, len);
}

namespace {

bool NodeLess(const ZNode* a, const ZNode* b) {
  return ZLess(a->score, ZMember(a), b->score, ZMember(b));
}

ZNode* NewZNode(std::string_view m, double score) {
  size_t h = VarintSize(m.size());
  auto* n = static_cast<ZNode*>(std::malloc(sizeof(ZNode) + h + m.size()));
  if (n == nullptr) std::abort();
  n->next = nullptr;
  n->score = score;
  PutVarint(n->data, m.size());
  if (!m.empty()) std::memcpy(n->data + h, m.data(), m.size());
  return n;
}

}  // namespace

// ---- ZTree -----------------------------------------------------------------------------------

struct ZTree::Split {
  void* right;
  ZNode* left_max;
  ZNode* right_max;
  uint64_t right_cnt;
};

ZTree::ZTree() : root_(new Leaf()) {}

ZTree::~ZTree() { FreeRec(root_, height_); }

void ZTree::FreeRec(void* node, int level) {
  if (level == 0) {
    delete static_cast<Leaf*>(node);
    return;
  }
  auto* in = static_cast<Inner*>(node);
  for (int i = 0; i < in->n; ++i) FreeRec(in->c[i], level - 1);
  delete in;
}

size_t ZTree::Bytes() const { return leaves_ * sizeof(Leaf) + inners_ * sizeof(Inner); }

ZNode* ZTree::Cursor::node() const {
  return leaf == nullptr ? nullptr : static_cast<Leaf*>(leaf)->e[idx];
}

void ZTree::Cursor::Next() {
  auto* l = static_cast<Leaf*>(leaf);
  if (++idx >= l->n) {
    leaf = l->next;
    idx = 0;
  }
}

void ZTree::Cursor::Prev() {
  auto* l = static_cast<Leaf*>(leaf);
  if (--idx < 0) {
    l = l->prev;
    leaf = l;
    idx = l == nullptr ? 0 : l->n - 1;
  }
}

bool ZTree::InsertRec(void* node, int level, ZNode* x, Split* split) {
  if (level == 0) {
    auto* l = static_cast<Leaf*>(node);
    int lo = 0, hi = l->n;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (NodeLess(x, l->e[mid])) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    int pos = lo;
    if (l->n < kLeafCap) {
      std::memmove(&l->e[pos + 1], &l->e[pos], sizeof(ZNode*) * (l->n - pos));
      l->e[pos] = x;
      ++l->n;
      return false;
    }
    auto* r = new Leaf();
    ++leaves_;
    r->next = l->next;
    if (l->next != nullptr) l->next->prev = r;
    l->next = r;
    r->prev = l;
    if (pos == l->n) {
      // Appending at the end (ascending loads): keep `l` full, start `r` with x.
      r->e[0] = x;
      r->n = 1;
    } else if (pos == 0) {
      // Inserting at the front (descending loads): move everything right, x alone in `l`.
      std::memcpy(r->e, l->e, sizeof(ZNode*) * l->n);
      r->n = l->n;
      l->e[0] = x;
      l->n = 1;
    } else {
      int half = kLeafCap / 2;
      std::memcpy(r->e, &l->e[half], sizeof(ZNode*) * (l->n - half));
      r->n = static_cast<uint16_t>(l->n - half);
      l->n = static_cast<uint16_t>(half);
      Leaf* t = pos <= half ? l : r;
      int p = pos <= half ? pos : pos - half;
      std::memmove(&t->e[p + 1], &t->e[p], sizeof(ZNode*) * (t->n - p));
      t->e[p] = x;
      ++t->n;
    }
    split->right = r;
    split->left_max = l->e[l->n - 1];
    split->right_max = r->e[r->n - 1];
    split->right_cnt = r->n;
    return true;
  }
  auto* in = static_cast<Inner*>(node);
  int i = 0;
  while (i < in->n - 1 && NodeLess(in->maxk[i], x)) ++i;
  ++in->cnt[i];
  if (NodeLess(in->maxk[i], x)) in->maxk[i] = x;
  Split cs;
  if (!InsertRec(in->c[i], level - 1, x, &cs)) return false;
  in->maxk[i] = cs.left_max;
  in->cnt[i] -= cs.right_cnt;
  int at = i + 1;
  auto put = [](Inner* t, int p, void* c, ZNode* mk, uint64_t cnt) {
    std::memmove(&t->c[p + 1], &t->c[p], sizeof(void*) * (t->n - p));
    std::memmove(&t->maxk[p + 1], &t->maxk[p], sizeof(ZNode*) * (t->n - p));
    std::memmove(&t->cnt[p + 1], &t->cnt[p], sizeof(uint64_t) * (t->n - p));
    t->c[p] = c;
    t->maxk[p] = mk;
    t->cnt[p] = cnt;
    ++t->n;
  };
  if (in->n < kInnerCap) {
    put(in, at, cs.right, cs.right_max, cs.right_cnt);
    return false;
  }
  auto* r = new Inner();
  ++inners_;
  if (at == in->n) {
    put(r, 0, cs.right, cs.right_max, cs.right_cnt);
  } else {
    int half = kInnerCap / 2;
    int moved = in->n - half;
    std::memcpy(r->c, &in->c[half], sizeof(void*) * moved);
    std::memcpy(r->maxk, &in->maxk[half], sizeof(ZNode*) * moved);
    std::memcpy(r->cnt, &in->cnt[half], sizeof(uint64_t) * moved);
    r->n = static_cast<uint16_t>(moved);
    in->n = static_cast<uint16_t>(half);
    if (at <= half) {
      put(in, at, cs.right, cs.right_max, cs.right_cnt);
    } else {
      put(r, at - half, cs.right, cs.right_max, cs.right_cnt);
    }
  }
  uint64_t rc = 0;
  for (int k = 0; k < r->n; ++k) rc += r->cnt[k];
  split->right = r;
  split->left_max = in->maxk[in->n - 1];
  split->right_max = r->maxk[r->n - 1];
  split->right_cnt = rc;
  return true;
}

void ZTree::Insert(ZNode* x) {
  Split s;
  if (InsertRec(root_, height_, x, &s)) {
    auto* nr = new Inner();
    ++inners_;
    nr->n = 2;
    nr->c[0] = root_;
    nr->c[1] = s.right;
    nr->maxk[0] = s.left_max;
    nr->maxk[1] = s.right_max;
    nr->cnt[1] = s.right_cnt;
    nr->cnt[0] = size_ + 1 - s.right_cnt;
    root_ = nr;
    ++height_;
  }
  ++size_;
}

void ZTree::MaybeMerge(Inner* parent, int i, int child_level) {
  if (parent->n < 2) return;
  int left = i, right = i + 1;
  if (right >= parent->n) {
    left = i - 1;
    right = i;
  }
  if (child_level == 0) {
    auto* a = static_cast<Leaf*>(parent->c[left]);
    auto* b = static_cast<Leaf*>(parent->c[right]);
    auto* small = static_cast<Leaf*>(parent->c[i]);
    if (small->n >= kLeafCap / 4 || a->n + b->n > kLeafCap) return;
    std::memcpy(&a->e[a->n], b->e, sizeof(ZNode*) * b->n);
    a->n = static_cast<uint16_t>(a->n + b->n);
    a->next = b->next;
    if (b->next != nullptr) b->next->prev = a;
    delete b;
    --leaves_;
  } else {
    auto* a = static_cast<Inner*>(parent->c[left]);
    auto* b = static_cast<Inner*>(parent->c[right]);
    auto* small = static_cast<Inner*>(parent->c[i]);
    if (small->n >= kInnerCap / 4 || a->n + b->n > kInnerCap) return;
    std::memcpy(&a->c[a->n], b->c, sizeof(void*) * b->n);
    std::memcpy(&a->maxk[a->n], b->maxk, sizeof(ZNode*) * b->n);
    std::memcpy(&a->cnt[a->n], b->cnt, sizeof(uint64_t) * b->n);
    a->n = static_cast<uint16_t>(a->n + b->n);
    delete b;
    --inners_;
  }
  parent->maxk[left] = parent->maxk[right];
  parent->cnt[left] += parent->cnt[right];
  int tail = parent->n - right - 1;
  std::memmove(&parent->c[right], &parent->c[right + 1], sizeof(void*) * tail);
  std::memmove(&parent->maxk[right], &parent->maxk[right + 1], sizeof(ZNode*) * tail);
  std::memmove(&parent->cnt[right], &parent->cnt[right + 1], sizeof(uint64_t) * tail);
  --parent->n;
}

bool ZTree::EraseRec(void* node, int level, const ZNode* x) {
  if (level == 0) {
    auto* l = static_cast<Leaf*>(node);
    int lo = 0, hi = l->n;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (NodeLess(l->e[mid], x)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    if (lo >= l->n || l->e[lo] != x) return false;
    std::memmove(&l->e[lo], &l->e[lo + 1], sizeof(ZNode*) * (l->n - lo - 1));
    --l->n;
    return true;
  }
  auto* in = static_cast<Inner*>(node);
  int i = 0;
  while (i < in->n && NodeLess(in->maxk[i], x)) ++i;
  if (i == in->n) return false;
  if (!EraseRec(in->c[i], level - 1, x)) return false;
  --in->cnt[i];
  if (in->cnt[i] == 0) {
    if (level - 1 == 0) {
      auto* l = static_cast<Leaf*>(in->c[i]);
      if (l->prev != nullptr) l->prev->next = l->next;
      if (l->next != nullptr) l->next->prev = l->prev;
      delete l;
      --leaves_;
    } else {
      // An inner child whose subtree is empty has no children left.
      auto* child = static_cast<Inner*>(in->c[i]);
      FreeRec(child, level - 1);
      --inners_;
    }
    int tail = in->n - i - 1;
    std::memmove(&in->c[i], &in->c[i + 1], sizeof(void*) * tail);
    std::memmove(&in->maxk[i], &in->maxk[i + 1], sizeof(ZNode*) * tail);
    std::memmove(&in->cnt[i], &in->cnt[i + 1], sizeof(uint64_t) * tail);
    --in->n;
    return true;
  }
  if (level - 1 == 0) {
    auto* l = static_cast<Leaf*>(in->c[i]);
    in->maxk[i] = l->e[l->n - 1];
  } else {
    auto* c = static_cast<Inner*>(in->c[i]);
    in->maxk[i] = c->maxk[c->n - 1];
  }
  MaybeMerge(in, i, level - 1);
  return true;
}

bool ZTree::Erase(const ZNode* x) {
  if (!EraseRec(root_, height_, x)) return false;
  --size_;
  while (height_ > 0) {
    auto* in = static_cast<Inner*>(root_);
    if (in->n == 1) {
      root_ = in->c[0];
      delete in;
      --inners_;
      --height_;
    } else if (in->n == 0) {
      delete in;
      --inners_;
      root_ = new Leaf();
      ++leaves_;
      height_ = 0;
    } else {
      break;
    }
  }
  return true;
}

uint64_t ZTree::Rank(const ZNode* x) const {
  uint64_t rank = 0;
  void* node = root_;
  for (int level = height_; level > 0; --level) {
    auto* in = static_cast<Inner*>(node);
    int i = 0;
    while (i < in->n - 1 && NodeLess(in->maxk[i], x)) {
      rank += in->cnt[i];
      ++i;
    }
    node = in->c[i];
  }
  auto* l = static_cast<Leaf*>(node);
  int lo = 0, hi = l->n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (NodeLess(l->e[mid], x)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return rank + static_cast<uint64_t>(lo);
}

ZTree::Cursor ZTree::At(uint64_t rank) const {
  Cursor c;
  if (rank >= size_) return c;
  void* node = root_;
  for (int level = height_; level > 0; --level) {
    auto* in = static_cast<Inner*>(node);
    int i = 0;
    while (i < in->n - 1 && rank >= in->cnt[i]) {
      rank -= in->cnt[i];
      ++i;
    }
    node = in->c[i];
  }
  c.leaf = node;
  c.idx = static_cast<int>(rank);
  return c;
}

// ---- BigZset --------------------------------------------------------------------------------

BigZset::~BigZset() {
  dict_.Clear([](ZNode* n) { std::free(n); });
}

BigZset* BigZset::Clone() const {
  auto* z = new BigZset();
  z->Reserve(size());
  for (ZTree::Cursor c = tree_.At(0); c.valid(); c.Next()) {
    z->Set(ZMember(c.node()), c.node()->score);
  }
  return z;
}

bool BigZset::Set(std::string_view member, double score) {
  ZNode* n = dict_.Find(member);
  if (n != nullptr) {
    if (n->score == score && !(score == 0 && std::signbit(score) != std::signbit(n->score))) {
      return false;
    }
    tree_.Erase(n);
    n->score = score;
    tree_.Insert(n);
    return false;
  }
  n = NewZNode(member, score);
  node_bytes_ += AllocSize(n);
  dict_.Insert(n);
  tree_.Insert(n);
  return true;
}

bool BigZset::Remove(std::string_view member) {
  ZNode* n = dict_.Unlink(member);
  if (n == nullptr) return false;
  tree_.Erase(n);
  node_bytes_ -= AllocSize(n);
  std::free(n);
  return true;
}

// ---- zset:: ---------------------------------------------------------------------------------

namespace zset {
namespace lp = listpack;

uint64_t Size(const KeyEntry* e) {
  if (obj::Enc(e) == Encoding::kListpack) {
    return lp::Length(lp::View(static_cast<const char*>(obj::Ptr(e)))) / 2;
  }
  return static_cast<const BigZset*>(obj::Ptr(e))->size();
}

double LpScore(const char* data, size_t len, bool is_int, int64_t ival) {
  if (is_int) return static_cast<double>(ival);
  char buf[128];
  if (len >= sizeof(buf)) len = sizeof(buf) - 1;
  std::memcpy(buf, data, len);
  buf[len] = '\0';
  return std::strtod(buf, nullptr);
}

namespace {

double EntryScore(const lp::Entry& en) {
  return LpScore(en.sval.data(), en.sval.size(), en.is_int, en.ival);
}

// Finds `member` in a zset listpack: offsets of the member entry; 0 if absent.
size_t LpFind(std::string_view v, std::string_view member, double* score) {
  lp::Entry m, s;
  for (size_t off = lp::kHeaderSize; !lp::AtEnd(v, off);) {
    size_t soff = lp::EntryAt(v, off, &m);
    size_t next = lp::EntryAt(v, soff, &s);
    if (lp::EntryEquals(m, member)) {
      if (score != nullptr) *score = EntryScore(s);
      return off;
    }
    off = next;
  }
  return 0;
}

}  // namespace

bool Score(const KeyEntry* e, std::string_view member, double* score) {
  if (obj::Enc(e) == Encoding::kListpack) {
    return LpFind(lp::View(static_cast<const char*>(obj::Ptr(e))), member, score) != 0;
  }
  ZNode* n = static_cast<BigZset*>(obj::Ptr(e))->Find(member);
  if (n == nullptr) return false;
  *score = n->score;
  return true;
}

std::string ScoreToListpackString(double value) {
  char buf[128];
  int len;
  if (std::isnan(value)) {
    len = snprintf(buf, sizeof(buf), "nan");
  } else if (std::isinf(value)) {
    len = snprintf(buf, sizeof(buf), value < 0 ? "-inf" : "inf");
  } else if (value >= static_cast<double>(-INT64_MAX / 2) &&
             value <= static_cast<double>(INT64_MAX / 2) &&
             static_cast<double>(static_cast<int64_t>(value)) == value) {
    len = snprintf(buf, sizeof(buf), "%lld", static_cast<long long>(value));
  } else {
    len = snprintf(buf, sizeof(buf), "%.17g", value);
  }
  return std::string(buf, static_cast<size_t>(len));
}

std::pair<Encoding, void*> NewFor(uint64_t expected, size_t max_len) {
  if (expected <= kMaxListpackEntries && max_len <= kMaxListpackValue) {
    return {Encoding::kListpack, lp::NewEmpty()};
  }
  auto* z = new BigZset();
  z->Reserve(expected);
  return {Encoding::kSkiplist, z};
}

void ConvertToSkiplist(KeyEntry* e) {
  if (obj::Enc(e) != Encoding::kListpack) return;
  char* p = static_cast<char*>(obj::Ptr(e));
  std::string_view v = lp::View(p);
  auto* z = new BigZset();
  z->Reserve(lp::Length(v) / 2);
  lp::Entry m, s;
  char buf[24];
  for (size_t off = lp::kHeaderSize; !lp::AtEnd(v, off);) {
    size_t soff = lp::EntryAt(v, off, &m);
    off = lp::EntryAt(v, soff, &s);
    z->Set(m.AsString(buf), EntryScore(s));
  }
  std::free(p);
  obj::SetPtr(e, Encoding::kSkiplist, z);
}

bool Set(KeyEntry* e, std::string_view member, double score) {
  if (obj::Enc(e) != Encoding::kListpack) {
    return static_cast<BigZset*>(obj::Ptr(e))->Set(member, score);
  }
  char* p = static_cast<char*>(obj::Ptr(e));
  double old;
  size_t at = LpFind(lp::View(p), member, &old);
  bool is_new = at == 0;
  if (!is_new) {
    if (old == score) return false;
    p = lp::DeleteAt(p, at, 2);
    obj::SetPtr(e, Encoding::kListpack, p);
  }
  std::string_view v = lp::View(p);
  if (is_new &&
      (lp::Length(v) / 2 + 1 > kMaxListpackEntries || member.size() > kMaxListpackValue)) {
    ConvertToSkiplist(e);
    return static_cast<BigZset*>(obj::Ptr(e))->Set(member, score);
  }
  // Insert before the first pair that sorts after (score, member).
  size_t pos = v.size() - 1;
  lp::Entry me, se;
  char buf[24];
  for (size_t off = lp::kHeaderSize; !lp::AtEnd(v, off);) {
    size_t soff = lp::EntryAt(v, off, &me);
    size_t next = lp::EntryAt(v, soff, &se);
    if (ZLess(score, member, EntryScore(se), me.AsString(buf))) {
      pos = off;
      break;
    }
    off = next;
  }
  std::string enc;
  lp::AppendEncoded(&enc, member);
  lp::AppendEncoded(&enc, ScoreToListpackString(score));
  obj::SetPtr(e, Encoding::kListpack, lp::Splice(p, pos, 0, 0, enc, 2));
  return is_new;
}

bool Remove(KeyEntry* e, std::string_view member) {
  if (obj::Enc(e) != Encoding::kListpack) {
    return static_cast<BigZset*>(obj::Ptr(e))->Remove(member);
  }
  char* p = static_cast<char*>(obj::Ptr(e));
  size_t at = LpFind(lp::View(p), member, nullptr);
  if (at == 0) return false;
  obj::SetPtr(e, Encoding::kListpack, lp::DeleteAt(p, at, 2));
  return true;
}

}  // namespace zset
}  // namespace redlink::engine
