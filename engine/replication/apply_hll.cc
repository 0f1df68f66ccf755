// HyperLogLog writes: PFADD, PFMERGE, PFCOUNT (a master propagates it when it refreshed the
// cached cardinality), PFDEBUG GETREG/TODENSE (they convert sparse to dense). An HLL is a string
// in Redis's exact representation (engine/encoding/hyperloglog.h), and every operation here
// leaves the same bytes Redis leaves, so GET/DUMP of an HLL on the replica equals the master's.
// A sparse HLL is promoted to dense when a register needs a value above 32 or the string would
// pass hll-sparse-max-bytes (3000, the default every master here runs with);
// HLL_INVALIDATE_CACHE only sets the top bit of the cached cardinality.
#include <cmath>
#include <cstring>

#include "engine/common/strings.h"
#include "engine/encoding/hyperloglog.h"
#include "engine/replication/apply_internal.h"

namespace redlink::engine::apply {
namespace {

using hll::kDenseSize;
using hll::kP;
using hll::kQ;
using hll::kRegisters;
constexpr size_t kHdr = hll::kHeaderSize;
constexpr size_t kSparseMaxBytes = 3000;  // hll-sparse-max-bytes default
constexpr int kSparseValMax = 32;
constexpr int kSparseValMaxLen = 4;
constexpr int kSparseZeroMaxLen = 64;
using hll::Count;
using hll::DenseGet;
using hll::DenseSetRegister;
using hll::IsXzero;
using hll::IsZero;
using hll::MergeInto;
using hll::SparseValid;
using hll::ValLen;
using hll::ValValue;
using hll::XzeroLen;
using hll::ZeroLen;
constexpr std::string_view kNotHllErr = hll::kNotHllError;
constexpr std::string_view kInvalidErr = hll::kCorruptError;

bool IsVal(const unsigned char* p) { return (*p & 0x80) != 0; }
void ValSet(unsigned char* p, int val, long len) {
  *p = static_cast<unsigned char>(((val - 1) << 2 | (len - 1)) | 0x80);
}
void ZeroSet(unsigned char* p, long len) { *p = static_cast<unsigned char>(len - 1); }
void XzeroSet(unsigned char* p, long len) {
  long l = len - 1;
  p[0] = static_cast<unsigned char>((l >> 8) | 0x40);
  p[1] = static_cast<unsigned char>(l & 0xff);
}

void InvalidateCache(unsigned char* hll) { hll[15] |= 0x80; }

// hllDenseSet: raises register i to count; true if it changed.
bool DenseSet(unsigned char* regs, long i, int count) {
  if (count > DenseGet(regs, i)) {
    DenseSetRegister(regs, i, count);
    return true;
  }
  return false;
}

// MurmurHash2, 64-bit (MurmurHash64A), read little-endian as Redis's endian-neutral variant.
uint64_t Murmur64A(const unsigned char* data, size_t len, uint64_t seed) {
  const uint64_t m = 0xc6a4a7935bd1e995ULL;
  const int r = 47;
  uint64_t h = seed ^ (static_cast<uint64_t>(len) * m);
  size_t blocks = len / 8;
  for (size_t i = 0; i < blocks; ++i) {
    uint64_t k;
    std::memcpy(&k, data + i * 8, 8);  // little-endian host
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const unsigned char* tail = data + blocks * 8;
  switch (len & 7) {
    case 7:
      h ^= static_cast<uint64_t>(tail[6]) << 48;
      [[fallthrough]];
    case 6:
      h ^= static_cast<uint64_t>(tail[5]) << 40;
      [[fallthrough]];
    case 5:
      h ^= static_cast<uint64_t>(tail[4]) << 32;
      [[fallthrough]];
    case 4:
      h ^= static_cast<uint64_t>(tail[3]) << 24;
      [[fallthrough]];
    case 3:
      h ^= static_cast<uint64_t>(tail[2]) << 16;
      [[fallthrough]];
    case 2:
      h ^= static_cast<uint64_t>(tail[1]) << 8;
      [[fallthrough]];
    case 1:
      h ^= static_cast<uint64_t>(tail[0]);
      h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

// hllPatLen: register index and the length of the 00..1 pattern of the element's hash.
int PatLen(std::string_view ele, long* index) {
  uint64_t hash =
      Murmur64A(reinterpret_cast<const unsigned char*>(ele.data()), ele.size(), 0xadc83b19ULL);
  *index = static_cast<long>(hash & (kRegisters - 1));
  hash >>= kP;
  hash |= uint64_t{1} << kQ;  // the loop ends by bit Q at the latest
  int count = 1;
  uint64_t bit = 1;
  while ((hash & bit) == 0) {
    ++count;
    bit <<= 1;
  }
  return count;
}

enum SetResult { kUnchanged = 0, kUpdated = 1, kInvalid = -1, kPromote = 2 };

// hllSparseSet on a buffer with room for len + 3 bytes. kPromote means "convert to dense and set
// there" and leaves the buffer unchanged, as Redis's promote label does.
SetResult SparseSet(unsigned char* s, size_t* len, long index, int count) {
  if (count > kSparseValMax) return kPromote;
  unsigned char* sparse = s + kHdr;
  unsigned char* p = sparse;
  unsigned char* end = s + *len;
  long first = 0, span = 0;
  unsigned char* prev = nullptr;
  // Step 1: locate the opcode covering `index`.
  while (p < end) {
    long oplen = 1;
    if (IsZero(p)) {
      span = ZeroLen(p);
    } else if (IsVal(p)) {
      span = ValLen(p);
    } else {
      span = XzeroLen(p);
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span == 0 || p >= end) return kInvalid;
  unsigned char* next = IsXzero(p) ? p + 2 : p + 1;
  if (next >= end) next = nullptr;
  bool is_zero = false, is_xzero = false, is_val = false;
  long runlen;
  if (IsZero(p)) {
    is_zero = true;
    runlen = ZeroLen(p);
  } else if (IsXzero(p)) {
    is_xzero = true;
    runlen = XzeroLen(p);
  } else {
    is_val = true;
    runlen = ValLen(p);
  }
  // Step 2: the trivial cases (A: value already >= count; B: VAL of one register; C: ZERO of
  // one register), else D: split the opcode into up to three.
  bool done = false;
  if (is_val) {
    if (ValValue(p) >= count) return kUnchanged;
    if (runlen == 1) {
      ValSet(p, count, 1);
      done = true;
    }
  }
  if (!done && is_zero && runlen == 1) {
    ValSet(p, count, 1);
    done = true;
  }
  if (!done) {
    unsigned char seq[5];
    unsigned char* n = seq;
    long last = first + span - 1;
    if (is_zero || is_xzero) {
      auto zeros = [&](long l) {
        if (l > kSparseZeroMaxLen) {
          XzeroSet(n, l);
          n += 2;
        } else {
          ZeroSet(n, l);
          n += 1;
        }
      };
      if (index != first) zeros(index - first);
      ValSet(n++, count, 1);
      if (index != last) zeros(last - index);
    } else {
      int curval = ValValue(p);
      if (index != first) ValSet(n++, curval, index - first);
      ValSet(n++, count, 1);
      if (index != last) ValSet(n++, curval, last - index);
    }
    // Step 3: substitute the sequence, unless the string would grow past the sparse limit.
    long seqlen = n - seq;
    long oldlen = is_xzero ? 2 : 1;
    long delta = seqlen - oldlen;
    if (delta > 0 && *len + static_cast<size_t>(delta) > kSparseMaxBytes) return kPromote;
    if (delta != 0 && next != nullptr) {
      std::memmove(next + delta, next, static_cast<size_t>(end - next));
    }
    *len = static_cast<size_t>(static_cast<long>(*len) + delta);
    std::memcpy(p, seq, static_cast<size_t>(seqlen));
    end += delta;
  }
  // Step 4: merge adjacent VAL opcodes of equal value, scanning up to 5 opcodes from `prev`.
  p = prev != nullptr ? prev : sparse;
  int scanlen = 5;
  while (p < end && scanlen--) {
    if (IsXzero(p)) {
      p += 2;
      continue;
    }
    if (IsZero(p)) {
      ++p;
      continue;
    }
    if (p + 1 < end && IsVal(p + 1)) {
      int v1 = ValValue(p), v2 = ValValue(p + 1);
      if (v1 == v2) {
        long l = ValLen(p) + ValLen(p + 1);
        if (l <= kSparseValMaxLen) {
          ValSet(p + 1, v1, l);
          std::memmove(p, p + 1, static_cast<size_t>(end - p - 1));
          --*len;
          --end;
          continue;  // try to merge the result with its right neighbour too
        }
      }
    }
    ++p;
  }
  InvalidateCache(s);
  return kUpdated;
}

// The bytes of a new, empty HLL (createHLLObject): sparse, one XZERO of 16384, cache 0 (valid).
std::string_view EmptyHll() {
  static const char kEmpty[kHdr + 2] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0,    0,
                                        0,   0,   0,   0,   0, 0, 0, 0x7f, static_cast<char>(0xff)};
  return std::string_view(kEmpty, sizeof(kEmpty));
}

// isHLLObjectOrReply.
absl::Status CheckHll(const KeyEntry* e, std::string_view* value, char* buf) {
  if (obj::Type(e) != ObjType::kString) return WrongType();
  std::string_view v = obj::StringValue(e, buf);
  if (obj::Enc(e) == Encoding::kInt || !hll::HasHllHeader(v)) return Refuse(kNotHllErr);
  *value = v;
  return absl::OkStatus();
}

bool IsDense(const KeyEntry* e) { return obj::Raw(e)->data[4] == 0; }

// hllSparseToDense on a raw-string entry: the header (magic and cached cardinality) is kept.
KeyEntry* ToDense(Call& c, KeyEntry* e) {
  if (IsDense(e)) return e;
  std::string& sparse = Scratch(1);
  sparse.assign(obj::Raw(e)->data, obj::Raw(e)->len);
  e = c.ks.MakeRawString(c.db(), e, kDenseSize + 1);
  c.ks.Edit(e, [&] {
    RawString* r = obj::Raw(e);
    auto* out = reinterpret_cast<unsigned char*>(r->data);
    std::memcpy(out, sparse.data(), kHdr);
    out[4] = 0;
    std::memset(out + kHdr, 0, kDenseSize - kHdr);
    hll::ForEachSparseRun(sparse, [out](long first, long run, int val) {
      if (val == 0) return;
      for (long i = first; i < first + run; ++i) DenseSetRegister(out + kHdr, i, val);
    });
    r->len = kDenseSize;
  });
  return e;
}

// Raises register `index` to `count` in the HLL of `e` (any encoding), promoting a sparse one
// when needed. Returns the entry (it stays the same raw entry; only its buffer may move).
KeyEntry* HllSet(Call& c, KeyEntry* e, long index, int count, bool* changed) {
  if (!IsDense(e)) {
    size_t len = obj::Raw(e)->len;
    if (obj::RawCapacity(e) < len + 3) e = c.ks.MakeRawString(c.db(), e, len + 3);
    SetResult r = kUnchanged;
    c.ks.Edit(e, [&] {
      RawString* raw = obj::Raw(e);
      size_t l = raw->len;
      r = SparseSet(reinterpret_cast<unsigned char*>(raw->data), &l, index, count);
      raw->len = l;
    });
    if (r != kPromote) {
      *changed = r == kUpdated;
      return e;
    }
    e = ToDense(c, e);
  }
  bool ch = false;
  c.ks.Edit(e, [&] {
    ch = DenseSet(reinterpret_cast<unsigned char*>(obj::Raw(e)->data) + kHdr, index, count);
  });
  *changed = ch;
  return e;
}

// Looks up an existing HLL for writing and makes it a raw string; validates it.
absl::Status WritableHll(Call& c, std::string_view key, KeyEntry** e) {
  char buf[24];
  std::string_view v;
  if (absl::Status s = CheckHll(*e, &v, buf); !s.ok()) return s;
  if (v[4] == 1 && !SparseValid(v)) return Err(kInvalidErr);
  *e = c.ks.MakeRawString(c.db(), *e, v.size());
  return absl::OkStatus();
}

}  // namespace

// PFADD key [element ...]
absl::Status PfaddCmd(Call& c) {
  std::string_view key = c[1];
  KeyEntry* e = c.Find(key);
  bool updated = false;
  if (e == nullptr) {
    e = obj::NewRawString(key, EmptyHll(), obj::kNoExpire);
    c.ks.Add(c.db(), e);
    updated = true;
  } else if (absl::Status s = WritableHll(c, key, &e); !s.ok()) {
    return s;
  }
  for (size_t j = 2; j < c.argc(); ++j) {
    long index;
    int count = PatLen(c[j], &index);
    bool changed;
    e = HllSet(c, e, index, count, &changed);
    updated |= changed;
  }
  if (updated) {
    c.ks.Edit(e, [&] { InvalidateCache(reinterpret_cast<unsigned char*>(obj::Raw(e)->data)); });
  }
  return absl::OkStatus();
}

// PFMERGE dest [src ...]: dest is merged with the sources; it becomes dense when any input
// (dest included) is dense, and the registers are written in index order through the sparse
// setter otherwise, as pfmergeCommand does.
absl::Status PfmergeCmd(Call& c) {
  std::string& maxbuf = Scratch(2);
  maxbuf.assign(kRegisters, '\0');
  auto* max = reinterpret_cast<unsigned char*>(maxbuf.data());
  bool use_dense = false;
  for (size_t j = 1; j < c.argc(); ++j) {
    KeyEntry* e = c.Find(c[j]);
    if (e == nullptr) continue;
    char buf[24];
    std::string_view v;
    if (absl::Status s = CheckHll(e, &v, buf); !s.ok()) return s;
    if (v[4] == 0) use_dense = true;
    if (!MergeInto(v, max)) return Err(kInvalidErr);
  }
  std::string_view key = c[1];
  KeyEntry* e = c.Find(key);
  if (e == nullptr) {
    e = obj::NewRawString(key, EmptyHll(), obj::kNoExpire);
    c.ks.Add(c.db(), e);
  } else {
    char buf[24];
    e = c.ks.MakeRawString(c.db(), e, obj::StringValue(e, buf).size());
  }
  if (use_dense) e = ToDense(c, e);
  for (long j = 0; j < kRegisters; ++j) {
    if (max[j] == 0) continue;
    bool changed;
    e = HllSet(c, e, j, max[j], &changed);
  }
  c.ks.Edit(e, [&] { InvalidateCache(reinterpret_cast<unsigned char*>(obj::Raw(e)->data)); });
  return absl::OkStatus();
}

// PFCOUNT key: refreshes a stale cached cardinality (what made the master propagate it).
// Several keys: a read (nothing stored).
absl::Status PfcountCmd(Call& c) {
  if (c.argc() > 2) {
    for (size_t j = 1; j < c.argc(); ++j) {
      KeyEntry* e = c.Find(c[j]);
      if (e == nullptr) continue;
      char buf[24];
      std::string_view v;
      if (absl::Status s = CheckHll(e, &v, buf); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
  KeyEntry* e = c.Find(c[1]);
  if (e == nullptr) return absl::OkStatus();
  char buf[24];
  std::string_view v;
  if (absl::Status s = CheckHll(e, &v, buf); !s.ok()) return s;
  if ((static_cast<uint8_t>(v[15]) & 0x80) == 0) return absl::OkStatus();  // cache valid
  uint64_t card;
  if (!Count(v, &card)) return Err(kInvalidErr);
  e = c.ks.MakeRawString(c.db(), e, v.size());
  c.ks.Edit(e, [&] {
    auto* h = reinterpret_cast<unsigned char*>(obj::Raw(e)->data);
    for (int i = 0; i < 8; ++i) h[8 + i] = static_cast<unsigned char>(card >> (8 * i));
  });
  return absl::OkStatus();
}

// PFDEBUG GETREG|TODENSE key convert a sparse HLL to dense (and are then propagated);
// DECODE and ENCODING only read.
absl::Status PfdebugCmd(Call& c) {
  std::string_view sub = c[1];
  KeyEntry* e = c.Find(c[2]);
  if (e == nullptr) return Err("ERR The specified key does not exist");
  char buf[24];
  std::string_view v;
  if (absl::Status s = CheckHll(e, &v, buf); !s.ok()) return s;
  if (EqCase(sub, "getreg") || EqCase(sub, "todense")) {
    if (v[4] == 1) {
      if (!SparseValid(v)) return Err(kInvalidErr);
      e = c.ks.MakeRawString(c.db(), e, v.size());
      ToDense(c, e);
    }
    return absl::OkStatus();
  }
  if (EqCase(sub, "decode") || EqCase(sub, "encoding")) return absl::OkStatus();
  return Err(StrCat("ERR Unknown PFDEBUG subcommand '", sub, "'"));
}

}  // namespace redlink::engine::apply
