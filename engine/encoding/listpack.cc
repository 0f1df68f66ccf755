#include "engine/encoding/listpack.h"

#include <cstdlib>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "engine/common/strings.h"

namespace redlink::engine::listpack {
namespace {

uint32_t LoadU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;  // little-endian hosts only (x86_64, aarch64)
}

uint16_t LoadU16(const char* p) {
  uint16_t v;
  std::memcpy(&v, p, 2);
  return v;
}

size_t BacklenSize(uint64_t l) {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

void AppendBacklen(std::string* out, uint64_t l) {
  size_t n = BacklenSize(l);
  char b[5];
  // Leftmost byte has the highest bits and bit 7 clear; the rest have bit 7 set; the last byte
  // carries the lowest 7 bits.
  for (size_t i = 0; i < n; ++i) {
    size_t shift = 7 * (n - 1 - i);
    uint8_t v = static_cast<uint8_t>((l >> shift) & 127);
    if (i > 0) v |= 128;
    b[i] = static_cast<char>(v);
  }
  out->append(b, n);
}

// Decodes the entry at `pos` (encoding + data). Sets *len to the size of encoding+data.
// Returns false if it does not fit in `avail` bytes or the encoding is invalid.
bool DecodeAt(const uint8_t* p, size_t avail, Entry* e, size_t* len) {
  if (avail < 1) return false;
  uint8_t b = p[0];
  if ((b & 0x80) == 0) {
    e->is_int = true;
    e->ival = b & 0x7f;
    *len = 1;
    return true;
  }
  if ((b & 0xC0) == 0x80) {
    size_t l = b & 0x3f;
    if (avail < 1 + l) return false;
    e->is_int = false;
    e->sval = std::string_view(reinterpret_cast<const char*>(p + 1), l);
    *len = 1 + l;
    return true;
  }
  if ((b & 0xE0) == 0xC0) {
    if (avail < 2) return false;
    uint32_t u = (static_cast<uint32_t>(b & 0x1f) << 8) | p[1];
    e->is_int = true;
    e->ival = u >= 4096 ? static_cast<int64_t>(u) - 8192 : u;
    *len = 2;
    return true;
  }
  if ((b & 0xF0) == 0xE0) {
    if (avail < 2) return false;
    size_t l = (static_cast<size_t>(b & 0x0f) << 8) | p[1];
    if (avail < 2 + l) return false;
    e->is_int = false;
    e->sval = std::string_view(reinterpret_cast<const char*>(p + 2), l);
    *len = 2 + l;
    return true;
  }
  switch (b) {
    case 0xF0: {
      if (avail < 5) return false;
      uint32_t l = LoadU32(reinterpret_cast<const char*>(p + 1));
      if (avail - 5 < l) return false;
      e->is_int = false;
      e->sval = std::string_view(reinterpret_cast<const char*>(p + 5), l);
      *len = 5 + static_cast<size_t>(l);
      return true;
    }
    case 0xF1: {
      if (avail < 3) return false;
      int16_t v;
      std::memcpy(&v, p + 1, 2);
      e->is_int = true;
      e->ival = v;
      *len = 3;
      return true;
    }
    case 0xF2: {
      if (avail < 4) return false;
      uint32_t u = p[1] | (static_cast<uint32_t>(p[2]) << 8) | (static_cast<uint32_t>(p[3]) << 16);
      int32_t v = static_cast<int32_t>(u << 8) >> 8;  // sign-extend 24 bits
      e->is_int = true;
      e->ival = v;
      *len = 4;
      return true;
    }
    case 0xF3: {
      if (avail < 5) return false;
      int32_t v;
      std::memcpy(&v, p + 1, 4);
      e->is_int = true;
      e->ival = v;
      *len = 5;
      return true;
    }
    case 0xF4: {
      if (avail < 9) return false;
      int64_t v;
      std::memcpy(&v, p + 1, 8);
      e->is_int = true;
      e->ival = v;
      *len = 9;
      return true;
    }
    default:
      return false;  // 0xF5..0xFE unused, 0xFF is the terminator
  }
}

// Reads a backlen whose last byte is at p[-1]; returns its size or 0 if malformed.
size_t ReadBacklen(const uint8_t* start, const uint8_t* end, uint64_t* value) {
  uint64_t v = 0;
  size_t n = 0;
  const uint8_t* p = end;
  while (p > start && n < 5) {
    --p;
    uint8_t b = *p;
    v |= static_cast<uint64_t>(b & 127) << (7 * n);
    ++n;
    if ((b & 128) == 0) {
      *value = v;
      return n;
    }
  }
  return 0;
}

}  // namespace

std::string_view Entry::AsString(char* buf) const {
  if (!is_int) return sval;
  char* end = absl::numbers_internal::FastIntToBuffer(ival, buf);
  return std::string_view(buf, end - buf);
}

uint32_t TotalBytes(std::string_view lp) { return LoadU32(lp.data()); }
uint32_t HeaderCount(std::string_view lp) { return LoadU16(lp.data() + 4); }

absl::StatusOr<uint32_t> Validate(std::string_view lp) {
  if (lp.size() < kHeaderSize + 1) {
    return absl::DataLossError(StrCat("listpack of ", lp.size(), " bytes is too short"));
  }
  if (TotalBytes(lp) != lp.size()) {
    return absl::DataLossError(
        StrCat("listpack header says ", TotalBytes(lp), " bytes, blob has ", lp.size()));
  }
  if (static_cast<uint8_t>(lp.back()) != kEnd) {
    return absl::DataLossError("listpack does not end with 0xFF");
  }
  const uint8_t* base = reinterpret_cast<const uint8_t*>(lp.data());
  size_t pos = kHeaderSize;
  size_t last = lp.size() - 1;
  uint32_t count = 0;
  while (pos < last) {
    Entry e;
    size_t len;
    if (!DecodeAt(base + pos, last - pos, &e, &len)) {
      return absl::DataLossError(StrCat("listpack entry at offset ", pos, " is malformed"));
    }
    size_t bl = BacklenSize(len);
    if (last - pos - len < bl) {
      return absl::DataLossError(StrCat("listpack entry at offset ", pos, " overruns"));
    }
    uint64_t stored;
    if (ReadBacklen(base + pos + len, base + pos + len + bl, &stored) != bl || stored != len) {
      return absl::DataLossError(StrCat("listpack backlen at offset ", pos, " is wrong"));
    }
    pos += len + bl;
    ++count;
  }
  if (pos != last) return absl::DataLossError("listpack entries overrun the terminator");
  uint32_t header = HeaderCount(lp);
  if (header != kUnknownCount && header != count) {
    return absl::DataLossError(
        StrCat("listpack header count ", header, " but ", count, " entries"));
  }
  return count;
}

bool Reader::Next(Entry* entry) {
  if (pos_ >= lp_.size() || static_cast<uint8_t>(lp_[pos_]) == kEnd) return false;
  size_t len;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(lp_.data()) + pos_;
  if (!DecodeAt(p, lp_.size() - pos_, entry, &len)) return false;
  pos_ += len + BacklenSize(len);
  return true;
}

bool StringToInt64Strict(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() >= 21) return false;
  if (s.size() == 1 && s[0] == '0') {
    *out = 0;
    return true;
  }
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  if (s[i] < '1' || s[i] > '9') return false;
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (neg) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

namespace {
size_t IntEncodingLen(int64_t v) {
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648LL && v <= 2147483647LL) return 5;
  return 9;
}
size_t StrEncodingLen(size_t l) {
  if (l < 64) return 1 + l;
  if (l < 4096) return 2 + l;
  return 5 + l;
}
}  // namespace

size_t EncodedIntSize(int64_t v) {
  size_t l = IntEncodingLen(v);
  return l + BacklenSize(l);
}

size_t EncodedSize(std::string_view s) {
  int64_t v;
  if (StringToInt64Strict(s, &v)) return EncodedIntSize(v);
  size_t l = StrEncodingLen(s.size());
  return l + BacklenSize(l);
}

void AppendEncodedInt(std::string* out, int64_t v) {
  size_t l = IntEncodingLen(v);
  char b[9];
  uint64_t u = static_cast<uint64_t>(v);
  switch (l) {
    case 1:
      b[0] = static_cast<char>(v);
      break;
    case 2: {
      uint64_t x = v < 0 ? (static_cast<uint64_t>(1) << 13) + v : u;
      b[0] = static_cast<char>(0xC0 | ((x >> 8) & 0x1f));
      b[1] = static_cast<char>(x & 0xff);
      break;
    }
    case 3:
      b[0] = static_cast<char>(0xF1);
      b[1] = static_cast<char>(u & 0xff);
      b[2] = static_cast<char>((u >> 8) & 0xff);
      break;
    case 4:
      b[0] = static_cast<char>(0xF2);
      b[1] = static_cast<char>(u & 0xff);
      b[2] = static_cast<char>((u >> 8) & 0xff);
      b[3] = static_cast<char>((u >> 16) & 0xff);
      break;
    case 5:
      b[0] = static_cast<char>(0xF3);
      for (int i = 0; i < 4; ++i) b[1 + i] = static_cast<char>((u >> (8 * i)) & 0xff);
      break;
    default:
      b[0] = static_cast<char>(0xF4);
      for (int i = 0; i < 8; ++i) b[1 + i] = static_cast<char>((u >> (8 * i)) & 0xff);
      break;
  }
  out->append(b, l);
  AppendBacklen(out, l);
}

void AppendEncoded(std::string* out, std::string_view s) {
  int64_t v;
  if (StringToInt64Strict(s, &v)) {
    AppendEncodedInt(out, v);
    return;
  }
  size_t n = s.size();
  if (n < 64) {
    out->push_back(static_cast<char>(0x80 | n));
  } else if (n < 4096) {
    out->push_back(static_cast<char>(0xE0 | (n >> 8)));
    out->push_back(static_cast<char>(n & 0xff));
  } else {
    out->push_back(static_cast<char>(0xF0));
    uint32_t l = static_cast<uint32_t>(n);
    out->append(reinterpret_cast<const char*>(&l), 4);
  }
  out->append(s);
  AppendBacklen(out, StrEncodingLen(n));
}

Builder::Builder() { buf_.assign(kHeaderSize, '\0'); }

void Builder::Append(std::string_view s) {
  AppendEncoded(&buf_, s);
  ++count_;
}

void Builder::AppendInt(int64_t v) {
  AppendEncodedInt(&buf_, v);
  ++count_;
}

std::string Builder::Finish() && {
  buf_.push_back(static_cast<char>(kEnd));
  uint32_t total = static_cast<uint32_t>(buf_.size());
  uint16_t count = count_ >= kUnknownCount ? kUnknownCount : static_cast<uint16_t>(count_);
  std::memcpy(buf_.data(), &total, 4);
  std::memcpy(buf_.data() + 4, &count, 2);
  return std::move(buf_);
}

char* NewEmpty() {
  char* lp = static_cast<char*>(std::malloc(kHeaderSize + 1));
  if (lp == nullptr) std::abort();
  uint32_t total = kHeaderSize + 1;
  uint16_t count = 0;
  std::memcpy(lp, &total, 4);
  std::memcpy(lp + 4, &count, 2);
  lp[kHeaderSize] = static_cast<char>(kEnd);
  return lp;
}

char* CopyOf(std::string_view lp) {
  char* p = static_cast<char*>(std::malloc(lp.size()));
  if (p == nullptr) std::abort();
  std::memcpy(p, lp.data(), lp.size());
  return p;
}

size_t EntryAt(std::string_view lp, size_t offset, Entry* entry) {
  size_t len = 0;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(lp.data()) + offset;
  if (!DecodeAt(p, lp.size() - offset, entry, &len)) return lp.size() - 1;
  return offset + len + BacklenSize(len);
}

size_t PrevOffset(std::string_view lp, size_t offset) {
  if (offset <= kHeaderSize) return 0;
  const uint8_t* base = reinterpret_cast<const uint8_t*>(lp.data());
  uint64_t len = 0;
  size_t bl = ReadBacklen(base + kHeaderSize, base + offset, &len);
  if (bl == 0 || len + bl > offset - kHeaderSize) return 0;
  return offset - bl - static_cast<size_t>(len);
}

size_t LastOffset(std::string_view lp) { return PrevOffset(lp, lp.size() - 1); }

uint32_t Length(std::string_view lp) {
  uint32_t c = HeaderCount(lp);
  if (c != kUnknownCount) return c;
  uint32_t n = 0;
  Reader r(lp);
  Entry e;
  while (r.Next(&e)) ++n;
  return n;
}

size_t Seek(std::string_view lp, int64_t index) {
  if (index >= 0) {
    size_t off = kHeaderSize;
    Entry e;
    while (!AtEnd(lp, off)) {
      if (index-- == 0) return off;
      off = EntryAt(lp, off, &e);
    }
    return 0;
  }
  size_t off = lp.size() - 1;
  while (index < 0) {
    off = PrevOffset(lp, off);
    if (off == 0) return 0;
    ++index;
  }
  return off;
}

bool EntryEquals(const Entry& e, std::string_view s) {
  if (!e.is_int) return e.sval == s;
  int64_t v;
  return StringToInt64Strict(s, &v) && v == e.ival;
}

char* Splice(char* lp, size_t offset, size_t remove_bytes, uint32_t remove_count,
             std::string_view encoded, uint32_t add_count) {
  size_t total = TotalBytes(std::string_view(lp, kHeaderSize));
  uint32_t count = HeaderCount(std::string_view(lp, kHeaderSize));
  size_t new_total = total - remove_bytes + encoded.size();
  size_t tail = total - offset - remove_bytes;
  if (encoded.size() > remove_bytes) {
    lp = static_cast<char*>(std::realloc(lp, new_total));
    if (lp == nullptr) std::abort();
    std::memmove(lp + offset + encoded.size(), lp + offset + remove_bytes, tail);
  } else if (encoded.size() < remove_bytes) {
    std::memmove(lp + offset + encoded.size(), lp + offset + remove_bytes, tail);
    char* shrunk = static_cast<char*>(std::realloc(lp, new_total));
    if (shrunk != nullptr) lp = shrunk;
  }
  if (!encoded.empty()) std::memcpy(lp + offset, encoded.data(), encoded.size());
  uint32_t t32 = static_cast<uint32_t>(new_total);
  std::memcpy(lp, &t32, 4);
  if (count != kUnknownCount) {
    uint64_t c = static_cast<uint64_t>(count) - remove_count + add_count;
    uint16_t c16 = c >= kUnknownCount ? kUnknownCount : static_cast<uint16_t>(c);
    std::memcpy(lp + 4, &c16, 2);
  } else {
    // Unknown count: recount when it may have become representable again.
    uint32_t n = 0;
    Reader r(std::string_view(lp, new_total));
    Entry e;
    while (r.Next(&e)) ++n;
    uint16_t c16 = n >= kUnknownCount ? kUnknownCount : static_cast<uint16_t>(n);
    std::memcpy(lp + 4, &c16, 2);
  }
  return lp;
}

char* Append(char* lp, std::string_view s) {
  std::string enc;
  AppendEncoded(&enc, s);
  return Splice(lp, TotalBytes(std::string_view(lp, kHeaderSize)) - 1, 0, 0, enc, 1);
}

char* Prepend(char* lp, std::string_view s) { return InsertAt(lp, kHeaderSize, s); }

char* InsertAt(char* lp, size_t offset, std::string_view s) {
  std::string enc;
  AppendEncoded(&enc, s);
  return Splice(lp, offset, 0, 0, enc, 1);
}

char* DeleteAt(char* lp, size_t offset, uint32_t count) {
  std::string_view v = View(lp);
  size_t end = offset;
  uint32_t n = 0;
  Entry e;
  while (n < count && !AtEnd(v, end)) {
    end = EntryAt(v, end, &e);
    ++n;
  }
  return Splice(lp, offset, end - offset, n, {}, 0);
}

char* ReplaceAt(char* lp, size_t offset, std::string_view s) {
  std::string_view v = View(lp);
  Entry e;
  size_t end = EntryAt(v, offset, &e);
  std::string enc;
  AppendEncoded(&enc, s);
  return Splice(lp, offset, end - offset, 1, enc, 1);
}

}  // namespace redlink::engine::listpack
