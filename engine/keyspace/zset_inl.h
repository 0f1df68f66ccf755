#pragma once
// ZTree node layouts and templates (included by zset.h only).

namespace redlink::engine {

struct ZTree::Leaf {
  uint16_t n = 0;
  Leaf* prev = nullptr;
  Leaf* next = nullptr;
  ZNode* e[kLeafCap];
};

struct ZTree::Inner {
  uint16_t n = 0;
  void* c[kInnerCap];
  ZNode* maxk[kInnerCap];   // the largest node of each child's subtree
  uint64_t cnt[kInnerCap];  // nodes in each child's subtree
};

template <typename Pred>
uint64_t ZTree::LowerBound(Pred&& ge) const {
  uint64_t rank = 0;
  void* node = root_;
  for (int level = height_; level > 0; --level) {
    auto* in = static_cast<Inner*>(node);
    int i = 0;
    while (i < in->n && !ge(in->maxk[i])) {
      rank += in->cnt[i];
      ++i;
    }
    if (i == in->n) return size_;
    node = in->c[i];
  }
  auto* leaf = static_cast<Leaf*>(node);
  // Binary search in the leaf.
  int lo = 0, hi = leaf->n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (ge(leaf->e[mid])) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return rank + static_cast<uint64_t>(lo);
}

}  // namespace redlink::engine
