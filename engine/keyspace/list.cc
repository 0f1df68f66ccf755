#include "engine/keyspace/list.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace redlink::engine {
namespace {

namespace lp = listpack;

// A listpack from already-encoded entries.
char* MakeListpack(std::string_view entries, uint32_t count) {
  size_t total = lp::kHeaderSize + entries.size() + 1;
  char* p = static_cast<char*>(std::malloc(total));
  if (p == nullptr) std::abort();
  uint32_t t32 = static_cast<uint32_t>(total);
  uint16_t c16 = count >= lp::kUnknownCount ? lp::kUnknownCount : static_cast<uint16_t>(count);
  std::memcpy(p, &t32, 4);
  std::memcpy(p + 4, &c16, 2);
  if (!entries.empty()) std::memcpy(p + lp::kHeaderSize, entries.data(), entries.size());
  p[total - 1] = static_cast<char>(lp::kEnd);
  return p;
}

bool NodeFits(const char* node_lp, size_t element_size) {
  return lp::TotalBytes(std::string_view(node_lp, lp::kHeaderSize)) + element_size +
             Quicklist::kInsertOverhead <=
         Quicklist::kNodeMaxBytes;
}

size_t LpBytes(const char* p) { return lp::TotalBytes(std::string_view(p, lp::kHeaderSize)); }

}  // namespace

Quicklist::~Quicklist() {
  for (Node& n : nodes_) std::free(n.lp);
}

size_t Quicklist::Bytes() const {
  return node_bytes_ + nodes_.capacity() * sizeof(Node) + sizeof(Quicklist);
}

Quicklist* Quicklist::Clone() const {
  auto* q = new Quicklist();
  q->nodes_.reserve(nodes_.size());
  for (const Node& n : nodes_) {
    q->nodes_.push_back(Node{lp::CopyOf(lp::View(n.lp)), n.count});
    q->AddBytes(q->nodes_.back().lp);
  }
  q->count_ = count_;
  return q;
}

void Quicklist::AddBytes(const char* p) { node_bytes_ += AllocSize(p); }
void Quicklist::SubBytes(const char* p) { node_bytes_ -= AllocSize(p); }

void Quicklist::AppendNode(char* p) {
  uint32_t n = lp::Length(lp::View(p));
  if (n == 0) {
    std::free(p);
    return;
  }
  nodes_.push_back(Node{p, n});
  AddBytes(p);
  count_ += n;
}

void Quicklist::PushBack(std::string_view v) {
  if (nodes_.empty() || !NodeFits(nodes_.back().lp, v.size())) {
    nodes_.push_back(Node{lp::NewEmpty(), 0});
    AddBytes(nodes_.back().lp);
  }
  Node& n = nodes_.back();
  SubBytes(n.lp);
  n.lp = lp::Append(n.lp, v);
  AddBytes(n.lp);
  ++n.count;
  ++count_;
}

void Quicklist::PushFront(std::string_view v) {
  if (nodes_.empty() || !NodeFits(nodes_.front().lp, v.size())) {
    nodes_.insert(nodes_.begin(), Node{lp::NewEmpty(), 0});
    AddBytes(nodes_.front().lp);
  }
  Node& n = nodes_.front();
  SubBytes(n.lp);
  n.lp = lp::Prepend(n.lp, v);
  AddBytes(n.lp);
  ++n.count;
  ++count_;
}

bool Quicklist::PopFront(std::string* out) {
  if (count_ == 0) return false;
  lp::Entry e;
  char buf[24];
  lp::EntryAt(lp::View(nodes_.front().lp), lp::kHeaderSize, &e);
  out->assign(e.AsString(buf));
  Remove(0, 1);
  return true;
}

bool Quicklist::PopBack(std::string* out) {
  if (count_ == 0) return false;
  lp::Entry e;
  char buf[24];
  std::string_view v = lp::View(nodes_.back().lp);
  lp::EntryAt(v, lp::LastOffset(v), &e);
  out->assign(e.AsString(buf));
  Remove(count_ - 1, 1);
  return true;
}

Quicklist::Pos Quicklist::Locate(uint64_t index) const {
  uint64_t acc = 0;
  if (index < count_ / 2) {
    for (size_t i = 0; i < nodes_.size(); ++i) {
      if (index < acc + nodes_[i].count) {
        return Pos{i, lp::Seek(lp::View(nodes_[i].lp), static_cast<int64_t>(index - acc))};
      }
      acc += nodes_[i].count;
    }
  } else {
    // Walk from the tail: index counted from the end.
    uint64_t from_end = count_ - 1 - index;
    for (size_t i = nodes_.size(); i-- > 0;) {
      if (from_end < acc + nodes_[i].count) {
        int64_t neg = -static_cast<int64_t>(from_end - acc) - 1;
        return Pos{i, lp::Seek(lp::View(nodes_[i].lp), neg)};
      }
      acc += nodes_[i].count;
    }
  }
  return Pos{0, 0};
}

void Quicklist::Set(uint64_t index, std::string_view v) {
  Pos p = Locate(index);
  Node& n = nodes_[p.node];
  SubBytes(n.lp);
  n.lp = lp::ReplaceAt(n.lp, p.offset, v);
  AddBytes(n.lp);
  if (LpBytes(n.lp) > kNodeMaxBytes && n.count > 1) {
    // Split the oversized node in two halves (by entries).
    std::string_view whole = lp::View(n.lp);
    size_t mid = lp::Seek(whole, n.count / 2);
    uint32_t left_count = n.count / 2;
    char* left = MakeListpack(whole.substr(lp::kHeaderSize, mid - lp::kHeaderSize), left_count);
    char* right = MakeListpack(whole.substr(mid, whole.size() - 1 - mid), n.count - left_count);
    SubBytes(n.lp);
    std::free(n.lp);
    n.lp = left;
    n.count = left_count;
    AddBytes(left);
    uint32_t right_count = lp::Length(lp::View(right));
    nodes_.insert(nodes_.begin() + static_cast<std::ptrdiff_t>(p.node) + 1,
                  Node{right, right_count});
    AddBytes(right);
  }
}

void Quicklist::Insert(uint64_t index, std::string_view v) {
  if (index >= count_) {
    PushBack(v);
    return;
  }
  if (index == 0) {
    PushFront(v);
    return;
  }
  Pos p = Locate(index);
  InsertIntoNode(p.node, p.offset, v);
}

void Quicklist::InsertIntoNode(size_t node, size_t offset, std::string_view v) {
  Node& n = nodes_[node];
  if (NodeFits(n.lp, v.size())) {
    SubBytes(n.lp);
    n.lp = lp::InsertAt(n.lp, offset, v);
    AddBytes(n.lp);
    ++n.count;
    ++count_;
    return;
  }
  if (offset == lp::kHeaderSize && node > 0 && NodeFits(nodes_[node - 1].lp, v.size())) {
    Node& prev = nodes_[node - 1];
    SubBytes(prev.lp);
    prev.lp = lp::Append(prev.lp, v);
    AddBytes(prev.lp);
    ++prev.count;
    ++count_;
    return;
  }
  // Split the node at `offset`: [left][v][right], merging v into a side that has room.
  std::string_view whole = lp::View(n.lp);
  uint32_t left_count = 0;
  for (size_t off = lp::kHeaderSize; off < offset;) {
    lp::Entry e;
    off = lp::EntryAt(whole, off, &e);
    ++left_count;
  }
  uint32_t right_count = n.count - left_count;
  char* left = MakeListpack(whole.substr(lp::kHeaderSize, offset - lp::kHeaderSize), left_count);
  char* right = MakeListpack(whole.substr(offset, whole.size() - 1 - offset), right_count);
  SubBytes(n.lp);
  std::free(n.lp);
  std::vector<Node> repl;
  if (left_count > 0)
    repl.push_back(Node{left, left_count});
  else
    std::free(left);
  if (!repl.empty() && NodeFits(repl.back().lp, v.size())) {
    repl.back().lp = lp::Append(repl.back().lp, v);
    ++repl.back().count;
    repl.push_back(Node{right, right_count});
  } else if (NodeFits(right, v.size())) {
    right = lp::Prepend(right, v);
    repl.push_back(Node{right, right_count + 1});
  } else {
    repl.push_back(Node{lp::Append(lp::NewEmpty(), v), 1});
    repl.push_back(Node{right, right_count});
  }
  for (const Node& r : repl) AddBytes(r.lp);
  nodes_.erase(nodes_.begin() + static_cast<std::ptrdiff_t>(node));
  nodes_.insert(nodes_.begin() + static_cast<std::ptrdiff_t>(node), repl.begin(), repl.end());
  ++count_;
}

void Quicklist::RemoveNode(size_t node) {
  SubBytes(nodes_[node].lp);
  std::free(nodes_[node].lp);
  nodes_.erase(nodes_.begin() + static_cast<std::ptrdiff_t>(node));
}

void Quicklist::Remove(uint64_t start, uint64_t count) {
  if (start >= count_ || count == 0) return;
  if (count > count_ - start) count = count_ - start;
  Pos p = Locate(start);
  size_t node = p.node;
  size_t off = p.offset;
  while (count > 0 && node < nodes_.size()) {
    Node& n = nodes_[node];
    // Index of `off` within the node.
    uint32_t idx = 0;
    if (off != lp::kHeaderSize) {
      std::string_view v = lp::View(n.lp);
      for (size_t o = lp::kHeaderSize; o < off; ++idx) {
        lp::Entry e;
        o = lp::EntryAt(v, o, &e);
      }
    }
    uint32_t take = static_cast<uint32_t>(std::min<uint64_t>(count, n.count - idx));
    if (take == n.count) {
      RemoveNode(node);
    } else {
      SubBytes(n.lp);
      n.lp = lp::DeleteAt(n.lp, off, take);
      AddBytes(n.lp);
      n.count -= take;
      ++node;
    }
    count -= take;
    count_ -= take;
    off = lp::kHeaderSize;
  }
}

namespace list {

uint64_t Length(const KeyEntry* e) {
  if (obj::Enc(e) == Encoding::kQuicklist) {
    return static_cast<const Quicklist*>(obj::Ptr(e))->size();
  }
  return lp::Length(lp::View(static_cast<const char*>(obj::Ptr(e))));
}

char* NewListpack() { return lp::NewEmpty(); }

namespace {

// Converts a listpack list to a quicklist when adding `add_bytes` would pass the node limit.
void MaybeGrow(KeyEntry* e, size_t add_bytes) {
  if (obj::Enc(e) != Encoding::kListpack) return;
  char* p = static_cast<char*>(obj::Ptr(e));
  if (LpBytes(p) + add_bytes + Quicklist::kInsertOverhead <= Quicklist::kNodeMaxBytes) return;
  auto* q = new Quicklist();
  q->AppendNode(p);
  obj::SetPtr(e, Encoding::kQuicklist, q);
}

}  // namespace

void Normalize(KeyEntry* e) {
  if (obj::Enc(e) != Encoding::kQuicklist) return;
  auto* q = static_cast<Quicklist*>(obj::Ptr(e));
  if (q->nodes().size() > 1) return;
  char* p;
  if (q->nodes().empty()) {
    p = lp::NewEmpty();
  } else {
    const Quicklist::Node& n = q->nodes()[0];
    if (LpBytes(n.lp) * 2 > Quicklist::kNodeMaxBytes) return;
    p = lp::CopyOf(lp::View(n.lp));
  }
  delete q;
  obj::SetPtr(e, Encoding::kListpack, p);
}

void PushBack(KeyEntry* e, std::string_view v) {
  MaybeGrow(e, v.size());
  if (obj::Enc(e) == Encoding::kQuicklist) {
    static_cast<Quicklist*>(obj::Ptr(e))->PushBack(v);
  } else {
    obj::SetPtr(e, Encoding::kListpack, lp::Append(static_cast<char*>(obj::Ptr(e)), v));
  }
}

void PushFront(KeyEntry* e, std::string_view v) {
  MaybeGrow(e, v.size());
  if (obj::Enc(e) == Encoding::kQuicklist) {
    static_cast<Quicklist*>(obj::Ptr(e))->PushFront(v);
  } else {
    obj::SetPtr(e, Encoding::kListpack, lp::Prepend(static_cast<char*>(obj::Ptr(e)), v));
  }
}

bool PopFront(KeyEntry* e, std::string* out) {
  if (Length(e) == 0) return false;
  Get(e, 0, out);
  Remove(e, 0, 1);
  return true;
}

bool PopBack(KeyEntry* e, std::string* out) {
  uint64_t n = Length(e);
  if (n == 0) return false;
  Get(e, n - 1, out);
  Remove(e, n - 1, 1);
  return true;
}

void Get(const KeyEntry* e, uint64_t index, std::string* out) {
  Walk(e, index, 1, false, [&](const lp::Entry& en) {
    char buf[24];
    out->assign(en.AsString(buf));
    return false;
  });
}

void Set(KeyEntry* e, uint64_t index, std::string_view v) {
  if (obj::Enc(e) == Encoding::kQuicklist) {
    static_cast<Quicklist*>(obj::Ptr(e))->Set(index, v);
    return;
  }
  MaybeGrow(e, v.size());
  if (obj::Enc(e) == Encoding::kQuicklist) {
    static_cast<Quicklist*>(obj::Ptr(e))->Set(index, v);
    return;
  }
  char* p = static_cast<char*>(obj::Ptr(e));
  size_t off = lp::Seek(lp::View(p), static_cast<int64_t>(index));
  obj::SetPtr(e, Encoding::kListpack, lp::ReplaceAt(p, off, v));
}

void Insert(KeyEntry* e, uint64_t index, std::string_view v) {
  MaybeGrow(e, v.size());
  if (obj::Enc(e) == Encoding::kQuicklist) {
    static_cast<Quicklist*>(obj::Ptr(e))->Insert(index, v);
    return;
  }
  char* p = static_cast<char*>(obj::Ptr(e));
  std::string_view view = lp::View(p);
  size_t off =
      index >= lp::Length(view) ? view.size() - 1 : lp::Seek(view, static_cast<int64_t>(index));
  obj::SetPtr(e, Encoding::kListpack, lp::InsertAt(p, off, v));
}

void Remove(KeyEntry* e, uint64_t start, uint64_t count) {
  if (obj::Enc(e) == Encoding::kQuicklist) {
    static_cast<Quicklist*>(obj::Ptr(e))->Remove(start, count);
    Normalize(e);
    return;
  }
  char* p = static_cast<char*>(obj::Ptr(e));
  size_t off = lp::Seek(lp::View(p), static_cast<int64_t>(start));
  if (off == 0) return;
  obj::SetPtr(e, Encoding::kListpack,
              lp::DeleteAt(p, off, static_cast<uint32_t>(std::min<uint64_t>(count, UINT32_MAX))));
}

int64_t Find(const KeyEntry* e, std::string_view v, bool from_tail) {
  uint64_t n = Length(e);
  if (n == 0) return -1;
  int64_t found = -1;
  uint64_t i = 0;
  Walk(e, from_tail ? n - 1 : 0, n, from_tail, [&](const lp::Entry& en) {
    if (lp::EntryEquals(en, v)) {
      found = static_cast<int64_t>(from_tail ? n - 1 - i : i);
      return false;
    }
    ++i;
    return true;
  });
  return found;
}

uint64_t RemoveValue(KeyEntry* e, std::string_view v, int64_t count) {
  uint64_t n = Length(e);
  bool from_tail = count < 0;
  uint64_t limit =
      count == 0 ? UINT64_MAX
                 : (from_tail ? 0 - static_cast<uint64_t>(count) : static_cast<uint64_t>(count));
  std::vector<uint64_t> hits;  // indexes to remove
  uint64_t i = 0;
  if (n > 0) {
    Walk(e, from_tail ? n - 1 : 0, n, from_tail, [&](const lp::Entry& en) {
      if (lp::EntryEquals(en, v)) {
        hits.push_back(from_tail ? n - 1 - i : i);
        if (hits.size() >= limit) return false;
      }
      ++i;
      return true;
    });
  }
  // Remove from the highest index down so earlier indexes stay valid.
  std::sort(hits.begin(), hits.end());
  for (size_t k = hits.size(); k-- > 0;) Remove(e, hits[k], 1);
  return hits.size();
}

}  // namespace list
}  // namespace redlink::engine
