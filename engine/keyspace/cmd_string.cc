// String commands: GET MGET STRLEN GETRANGE/SUBSTR GETBIT BITCOUNT BITPOS BITFIELD_RO LCS.
#include <cstring>
#include <vector>

#include "engine/common/strings.h"
#include "engine/keyspace/cmd_common.h"

namespace redlink::engine::cmd {
namespace {

// The string value of a looked-up key; replies WRONGTYPE and returns false for other types.
bool StringOf(Ctx& c, KeyEntry* e, char* buf, std::string_view* out) {
  if (!CheckType(c, e, ObjType::kString)) return false;
  *out = obj::StringValue(e, buf);
  return true;
}

constexpr int64_t kProtoMaxBulkLen = 512LL * 1024 * 1024;

bool GetBitOffset(Ctx& c, std::string_view s, uint64_t* offset, bool hash, int bits) {
  const char* err = "ERR bit offset is not an integer or out of range";
  bool use_hash = !s.empty() && s[0] == '#' && hash && bits > 0;
  int64_t v;
  if (!ParseLL(s.substr(use_hash ? 1 : 0), &v)) {
    c.Error(err);
    return false;
  }
  if (use_hash) v *= bits;
  if (v < 0 || (v >> 3) >= kProtoMaxBulkLen) {
    c.Error(err);
    return false;
  }
  *offset = static_cast<uint64_t>(v);
  return true;
}

int64_t Popcount(const unsigned char* p, size_t n) {
  int64_t bits = 0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    bits += __builtin_popcountll(w);
  }
  for (; i < n; ++i) bits += __builtin_popcount(p[i]);
  return bits;
}

// First bit equal to `bit` in p[0..n), MSB first. Not found: -1 for bit=1, n*8 for bit=0 (the
// string is considered zero-padded on the right), as Redis's redisBitpos.
int64_t Bitpos(const unsigned char* p, size_t n, int bit) {
  for (size_t i = 0; i < n; ++i) {
    unsigned char b = p[i];
    if (bit == 1 ? b != 0 : b != 0xff) {
      for (int k = 7; k >= 0; --k) {
        if (((b >> k) & 1) == bit) return static_cast<int64_t>(i * 8 + (7 - k));
      }
    }
  }
  return bit == 1 ? -1 : static_cast<int64_t>(n * 8);
}

}  // namespace

void GetCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Null();
    return;
  }
  char buf[24];
  std::string_view v;
  if (!StringOf(c, e, buf, &v)) return;
  c.w.Bulk(v);
}

void MgetCmd(Ctx& c) {
  c.w.ArrayHeader(c.argc() - 1);
  for (size_t i = 1; i < c.argc(); ++i) {
    KeyEntry* e = c.Lookup(c[i]);
    if (e == nullptr || obj::Type(e) != ObjType::kString) {
      c.w.Null();
      continue;
    }
    char buf[24];
    c.w.Bulk(obj::StringValue(e, buf));
  }
}

void StrlenCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Integer(0);
    return;
  }
  char buf[24];
  std::string_view v;
  if (!StringOf(c, e, buf, &v)) return;
  c.w.Integer(static_cast<int64_t>(v.size()));
}

void GetrangeCmd(Ctx& c) {
  int64_t start, end;
  if (!GetLL(c, c[2], &start) || !GetLL(c, c[3], &end)) return;
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Bulk("");
    return;
  }
  char buf[24];
  std::string_view v;
  if (!StringOf(c, e, buf, &v)) return;
  int64_t len = static_cast<int64_t>(v.size());
  if (start < 0 && end < 0 && start > end) {
    c.w.Bulk("");
    return;
  }
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len == 0) {
    c.w.Bulk("");
    return;
  }
  c.w.Bulk(v.substr(static_cast<size_t>(start), static_cast<size_t>(end - start + 1)));
}

void GetbitCmd(Ctx& c) {
  uint64_t offset;
  if (!GetBitOffset(c, c[2], &offset, false, 0)) return;
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Integer(0);
    return;
  }
  char buf[24];
  std::string_view v;
  if (!StringOf(c, e, buf, &v)) return;
  uint64_t byte = offset >> 3;
  int bit = 7 - static_cast<int>(offset & 7);
  int val = 0;
  if (byte < v.size()) val = (static_cast<unsigned char>(v[byte]) >> bit) & 1;
  c.w.Integer(val);
}

void BitcountCmd(Ctx& c) {
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Integer(0);
    return;
  }
  char buf[24];
  std::string_view v;
  if (!StringOf(c, e, buf, &v)) return;
  const auto* p = reinterpret_cast<const unsigned char*>(v.data());
  int64_t strlen = static_cast<int64_t>(v.size());
  int64_t start, end;
  bool isbit = false;
  unsigned char first_mask = 0, last_mask = 0;
  if (c.argc() == 4 || c.argc() == 5) {
    int64_t totlen = strlen;
    if (!GetLL(c, c[2], &start) || !GetLL(c, c[3], &end)) return;
    if (start < 0 && end < 0 && start > end) {
      c.w.Integer(0);
      return;
    }
    if (c.argc() == 5) {
      if (EqCase(c[4], "bit")) {
        isbit = true;
      } else if (EqCase(c[4], "byte")) {
        isbit = false;
      } else {
        c.Syntax();
        return;
      }
    }
    if (isbit) totlen <<= 3;
    if (start < 0) start = totlen + start;
    if (end < 0) end = totlen + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= totlen) end = totlen - 1;
    if (isbit && start <= end) {
      first_mask = static_cast<unsigned char>(~((1 << (8 - (start & 7))) - 1) & 0xFF);
      last_mask = static_cast<unsigned char>((1 << (7 - (end & 7))) - 1);
      start >>= 3;
      end >>= 3;
    }
  } else if (c.argc() == 2) {
    start = 0;
    end = strlen - 1;
  } else {
    c.Syntax();
    return;
  }
  if (start > end) {
    c.w.Integer(0);
    return;
  }
  int64_t count = Popcount(p + start, static_cast<size_t>(end - start + 1));
  if (first_mask != 0 || last_mask != 0) {
    unsigned char fl[2] = {0, 0};
    if (first_mask != 0) fl[0] = p[start] & first_mask;
    if (last_mask != 0) fl[1] = p[end] & last_mask;
    count -= Popcount(fl, 2);
  }
  c.w.Integer(count);
}

void BitposCmd(Ctx& c) {
  int64_t bit;
  if (!GetLL(c, c[2], &bit)) return;
  if (bit != 0 && bit != 1) {
    c.Error("ERR The bit argument must be 1 or 0.");
    return;
  }
  KeyEntry* e = c.Lookup(c[1]);
  if (e == nullptr) {
    c.w.Integer(bit ? -1 : 0);
    return;
  }
  char buf[24];
  std::string_view v;
  if (!StringOf(c, e, buf, &v)) return;
  const auto* p = reinterpret_cast<const unsigned char*>(v.data());
  int64_t strlen = static_cast<int64_t>(v.size());
  int64_t start, end;
  bool isbit = false, end_given = false;
  unsigned char first_mask = 0, last_mask = 0;
  if (c.argc() >= 4 && c.argc() <= 6) {
    int64_t totlen = strlen;
    if (!GetLL(c, c[3], &start)) return;
    if (c.argc() == 6) {
      if (EqCase(c[5], "bit")) {
        isbit = true;
      } else if (EqCase(c[5], "byte")) {
        isbit = false;
      } else {
        c.Syntax();
        return;
      }
    }
    if (c.argc() >= 5) {
      if (!GetLL(c, c[4], &end)) return;
      end_given = true;
    } else {
      end = isbit ? (totlen << 3) + 7 : totlen - 1;
    }
    if (isbit) totlen <<= 3;
    if (start < 0) start = totlen + start;
    if (end < 0) end = totlen + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= totlen) end = totlen - 1;
    if (isbit && start <= end) {
      first_mask = static_cast<unsigned char>(~((1 << (8 - (start & 7))) - 1) & 0xFF);
      last_mask = static_cast<unsigned char>((1 << (7 - (end & 7))) - 1);
      start >>= 3;
      end >>= 3;
    }
  } else if (c.argc() == 3) {
    start = 0;
    end = strlen - 1;
  } else {
    c.Syntax();
    return;
  }
  if (start > end) {
    c.w.Integer(-1);
    return;
  }
  int64_t bytes = end - start + 1;
  int64_t pos = -1;
  int b = static_cast<int>(bit);
  unsigned char tmp;
  auto finish = [&]() {
    if (end_given && b == 0 && pos == bytes << 3) {
      c.w.Integer(-1);
      return;
    }
    if (pos != -1) pos += start << 3;
    c.w.Integer(pos);
  };
  if (first_mask) {
    tmp = b ? (p[start] & ~first_mask) : (p[start] | first_mask);
    if (last_mask && bytes == 1) tmp = b ? (tmp & ~last_mask) : (tmp | last_mask);
    pos = Bitpos(&tmp, 1, b);
    if (bytes == 1 || (pos != -1 && pos != 8)) return finish();
    ++start;
    --bytes;
  }
  int64_t cur = bytes - (last_mask ? 1 : 0);
  if (cur > 0) {
    pos = Bitpos(p + start, static_cast<size_t>(cur), b);
    if (bytes == cur || (pos != -1 && pos != cur << 3)) return finish();
    start += cur;
    bytes -= cur;
  }
  tmp = b ? (p[end] & ~last_mask) : (p[end] | last_mask);
  pos = Bitpos(&tmp, 1, b);
  finish();
}

void BitfieldRoCmd(Ctx& c) {
  struct Op {
    uint64_t offset;
    int bits;
    bool sign;
  };
  std::vector<Op> ops;
  bool readonly = true;
  for (size_t j = 2; j < c.argc(); ++j) {
    size_t rem = c.argc() - j - 1;
    std::string_view sub = c[j];
    bool is_get = EqCase(sub, "get") && rem >= 2;
    bool is_write = (EqCase(sub, "set") && rem >= 3) || (EqCase(sub, "incrby") && rem >= 3);
    if (!is_get && !is_write) {
      if (EqCase(sub, "overflow") && rem >= 1) {
        std::string_view t = c[j + 1];
        ++j;
        if (!EqCase(t, "wrap") && !EqCase(t, "sat") && !EqCase(t, "fail")) {
          c.Error("ERR Invalid OVERFLOW type specified");
          return;
        }
        continue;
      }
      c.Syntax();
      return;
    }
    std::string_view type = c[j + 1];
    const char* terr =
        "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported "
        "but i64 is.";
    bool sign;
    if (!type.empty() && type[0] == 'i') {
      sign = true;
    } else if (!type.empty() && type[0] == 'u') {
      sign = false;
    } else {
      c.Error(terr);
      return;
    }
    // Redis measures the rest with strlen(): stop at an embedded NUL.
    std::string_view rest = type.substr(1);
    rest = rest.substr(0, rest.find('\0'));
    int64_t bits;
    if (!ParseLL(rest, &bits) || bits < 1 || (sign && bits > 64) || (!sign && bits > 63)) {
      c.Error(terr);
      return;
    }
    uint64_t offset;
    if (!GetBitOffset(c, c[j + 2], &offset, true, static_cast<int>(bits))) return;
    if (is_write) {
      readonly = false;
      int64_t dummy;
      if (!GetLL(c, c[j + 3], &dummy)) return;
    }
    ops.push_back(Op{offset, static_cast<int>(bits), sign});
    j += is_get ? 2 : 3;
  }
  KeyEntry* e = nullptr;
  if (readonly) {
    e = c.Lookup(c[1]);
    if (e != nullptr && !CheckType(c, e, ObjType::kString)) return;
  } else {
    c.Error("ERR BITFIELD_RO only supports the GET subcommand");
    return;
  }
  char sbuf[24];
  std::string_view v = e == nullptr ? std::string_view() : obj::StringValue(e, sbuf);
  c.w.ArrayHeader(ops.size());
  for (const Op& op : ops) {
    unsigned char buf[9] = {0};
    uint64_t byte = op.offset >> 3;
    for (uint64_t i = 0; i < 9 && byte + i < v.size(); ++i)
      buf[i] = static_cast<unsigned char>(v[byte + i]);
    uint64_t off = op.offset - byte * 8;
    uint64_t value = 0;
    for (int k = 0; k < op.bits; ++k, ++off) {
      value = (value << 1) | ((buf[off >> 3] >> (7 - (off & 7))) & 1);
    }
    if (op.sign) {
      int64_t sv = static_cast<int64_t>(value);
      if (op.bits < 64 && (value & (uint64_t{1} << (op.bits - 1)))) {
        sv = static_cast<int64_t>(value | (~uint64_t{0} << op.bits));
      }
      c.w.Integer(sv);
    } else {
      c.w.Integer(static_cast<int64_t>(value));
    }
  }
}

void LcsCmd(Ctx& c) {
  KeyEntry* ea = c.Lookup(c[1]);
  KeyEntry* eb = c.Lookup(c[2]);
  if ((ea != nullptr && obj::Type(ea) != ObjType::kString) ||
      (eb != nullptr && obj::Type(eb) != ObjType::kString)) {
    c.Error("ERR The specified keys must contain string values");
    return;
  }
  char abuf[24], bbuf[24];
  std::string_view a = ea == nullptr ? std::string_view() : obj::StringValue(ea, abuf);
  std::string_view b = eb == nullptr ? std::string_view() : obj::StringValue(eb, bbuf);
  bool getlen = false, getidx = false, withmatchlen = false;
  int64_t minmatchlen = 0;
  for (size_t j = 3; j < c.argc(); ++j) {
    std::string_view opt = c[j];
    size_t more = c.argc() - 1 - j;
    if (EqCase(opt, "IDX")) {
      getidx = true;
    } else if (EqCase(opt, "LEN")) {
      getlen = true;
    } else if (EqCase(opt, "WITHMATCHLEN")) {
      withmatchlen = true;
    } else if (EqCase(opt, "MINMATCHLEN") && more > 0) {
      if (!GetLL(c, c[j + 1], &minmatchlen)) return;
      if (minmatchlen < 0) minmatchlen = 0;
      ++j;
    } else {
      c.Syntax();
      return;
    }
  }
  if (getlen && getidx) {
    c.Error("ERR If you want both the length and indexes, please just use IDX.");
    return;
  }
  if (a.size() >= UINT32_MAX - 1 || b.size() >= UINT32_MAX - 1) {
    c.Error("ERR String too long for LCS");
    return;
  }
  uint64_t alen = a.size(), blen = b.size();
  uint64_t cells = (alen + 1) * (blen + 1);
  if (cells * sizeof(uint32_t) > static_cast<uint64_t>(kProtoMaxBulkLen)) {
    c.Error("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len");
    return;
  }
  // Dynamic programming table: L[i][j] = LCS length of a[0..i) and b[0..j).
  std::vector<uint32_t> table(cells, 0);
  auto L = [&](uint64_t i, uint64_t j) -> uint32_t& { return table[j + i * (blen + 1)]; };
  for (uint64_t i = 1; i <= alen; ++i) {
    for (uint64_t j = 1; j <= blen; ++j) {
      if (a[i - 1] == b[j - 1]) {
        L(i, j) = L(i - 1, j - 1) + 1;
      } else {
        L(i, j) = std::max(L(i - 1, j), L(i, j - 1));
      }
    }
  }
  uint32_t total = L(alen, blen);
  bool compute = getidx || !getlen;
  std::string result(compute ? total : 0, '\0');
  // Walk back from the end, collecting the string and the matching ranges.
  struct Range {
    uint64_t as, ae, bs, be;
  };
  std::vector<Range> ranges;
  uint64_t as = alen, ae = 0, bs = 0, be = 0;  // as == alen: no range open
  uint64_t i = alen, j = blen;
  uint32_t idx = total;
  while (compute && i > 0 && j > 0) {
    bool emit = false;
    if (a[i - 1] == b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (as == alen) {
        as = ae = i - 1;
        bs = be = j - 1;
      } else if (as == i && bs == j) {
        --as;
        --bs;
      } else {
        emit = true;
      }
      if (as == 0 || bs == 0) emit = true;
      --idx;
      --i;
      --j;
    } else {
      if (L(i - 1, j) > L(i, j - 1)) {
        --i;
      } else {
        --j;
      }
      if (as != alen) emit = true;
    }
    if (emit) {
      uint64_t match_len = ae - as + 1;
      if (minmatchlen == 0 || match_len >= static_cast<uint64_t>(minmatchlen)) {
        ranges.push_back(Range{as, ae, bs, be});
      }
      as = alen;
    }
  }
  if (getidx) {
    c.w.MapHeader(2);
    c.w.Bulk("matches");
    c.w.ArrayHeader(ranges.size());
    for (const Range& r : ranges) {
      c.w.ArrayHeader(withmatchlen ? 3 : 2);
      c.w.ArrayHeader(2);
      c.w.Integer(static_cast<int64_t>(r.as));
      c.w.Integer(static_cast<int64_t>(r.ae));
      c.w.ArrayHeader(2);
      c.w.Integer(static_cast<int64_t>(r.bs));
      c.w.Integer(static_cast<int64_t>(r.be));
      if (withmatchlen) c.w.Integer(static_cast<int64_t>(r.ae - r.as + 1));
    }
    c.w.Bulk("len");
    c.w.Integer(total);
  } else if (getlen) {
    c.w.Integer(total);
  } else {
    c.w.Bulk(result);
  }
}

}  // namespace redlink::engine::cmd
