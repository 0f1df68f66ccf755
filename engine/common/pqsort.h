#pragma once
// Redis's partial quicksort (pqsort.c, a BSD quicksort: Bentley-McIlroy three-way partitioning,
// median-of-three or ninther pivot, insertion sort below 7 elements) that only sorts the
// partitions overlapping the window [lrange, rrange]. SORT with BY and LIMIT and a GEO search
// with COUNT below the number of matches use it, and it is not stable: to leave elements that
// compare equal exactly where Redis leaves them, this is the same algorithm step for step, on
// indices. `cmp(a, b)` returns <0, 0 or >0 like a qsort comparator.

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace redlink {

namespace pqsort_internal {

template <typename T, typename Cmp>
ptrdiff_t Med3(const std::vector<T>& v, ptrdiff_t a, ptrdiff_t b, ptrdiff_t c, const Cmp& cmp) {
  return cmp(v[a], v[b]) < 0 ? (cmp(v[b], v[c]) < 0 ? b : (cmp(v[a], v[c]) < 0 ? c : a))
                             : (cmp(v[b], v[c]) > 0 ? b : (cmp(v[a], v[c]) < 0 ? a : c));
}

template <typename T>
void VecSwap(std::vector<T>& v, ptrdiff_t a, ptrdiff_t b, ptrdiff_t n) {
  for (ptrdiff_t i = 0; i < n; ++i) std::swap(v[a + i], v[b + i]);
}

// True if the partition [start, start + n) holds part of the window (pqsort's range test).
inline bool Overlaps(ptrdiff_t start, ptrdiff_t n, ptrdiff_t lrange, ptrdiff_t rrange) {
  return !((lrange < start && rrange < start) || (lrange >= start + n && rrange >= start + n));
}

template <typename T, typename Cmp>
void Sort(std::vector<T>& v, ptrdiff_t a, ptrdiff_t n, const Cmp& cmp, ptrdiff_t lrange,
          ptrdiff_t rrange) {
  for (;;) {
    if (n < 7) {
      for (ptrdiff_t pm = a + 1; pm < a + n; ++pm) {
        for (ptrdiff_t pl = pm; pl > a && cmp(v[pl - 1], v[pl]) > 0; --pl) {
          std::swap(v[pl], v[pl - 1]);
        }
      }
      return;
    }
    ptrdiff_t pm = a + n / 2;
    if (n > 7) {
      ptrdiff_t pl = a;
      ptrdiff_t pn = a + n - 1;
      if (n > 40) {
        ptrdiff_t d = n / 8;
        pl = Med3(v, pl, pl + d, pl + 2 * d, cmp);
        pm = Med3(v, pm - d, pm, pm + d, cmp);
        pn = Med3(v, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = Med3(v, pl, pm, pn, cmp);
    }
    std::swap(v[a], v[pm]);
    ptrdiff_t pa = a + 1;
    ptrdiff_t pb = pa;
    ptrdiff_t pc = a + n - 1;
    ptrdiff_t pd = pc;
    for (;;) {
      int r;
      while (pb <= pc && (r = cmp(v[pb], v[a])) <= 0) {
        if (r == 0) std::swap(v[pa++], v[pb]);
        ++pb;
      }
      while (pb <= pc && (r = cmp(v[pc], v[a])) >= 0) {
        if (r == 0) std::swap(v[pc], v[pd--]);
        --pc;
      }
      if (pb > pc) break;
      std::swap(v[pb++], v[pc--]);
    }
    ptrdiff_t pn = a + n;
    ptrdiff_t r = std::min(pa - a, pb - pa);
    VecSwap(v, a, pb - r, r);
    r = std::min(pd - pc, pn - pd - 1);
    VecSwap(v, pb, pn - r, r);
    if ((r = pb - pa) > 1 && Overlaps(a, r, lrange, rrange)) Sort(v, a, r, cmp, lrange, rrange);
    if ((r = pd - pc) > 1 && Overlaps(pn - r, r, lrange, rrange)) {
      a = pn - r;  // iterate rather than recurse
      n = r;
      continue;
    }
    return;
  }
}

}  // namespace pqsort_internal

// Sorts `v` enough that positions lrange..rrange hold what a full sort would put there, leaving
// every element where Redis's pqsort(v, n, es, cmp, lrange, rrange) leaves it.
template <typename T, typename Cmp>
void PartialQuicksort(std::vector<T>& v, ptrdiff_t lrange, ptrdiff_t rrange, const Cmp& cmp) {
  pqsort_internal::Sort(v, 0, static_cast<ptrdiff_t>(v.size()), cmp, lrange, rrange);
}

// Sorts as Redis does where it picks between qsort and pqsort: the whole of `v` stably (glibc's
// qsort is a merge sort), or, if `partial`, only the window [lrange, rrange] with pqsort.
template <typename T, typename Cmp>
void RedisSort(std::vector<T>& v, bool partial, ptrdiff_t lrange, ptrdiff_t rrange,
               const Cmp& cmp) {
  if (partial) {
    PartialQuicksort(v, lrange, rrange, cmp);
  } else {
    std::stable_sort(v.begin(), v.end(), [&](const T& a, const T& b) { return cmp(a, b) < 0; });
  }
}

}  // namespace redlink
