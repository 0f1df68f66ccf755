#include "engine/rdb/ziplist.h"

#include <cstring>

#include "absl/status/status.h"
#include "engine/common/strings.h"

namespace redlink::engine::rdb::ziplist {
namespace {

constexpr uint8_t kEnd = 0xFF;
constexpr uint8_t kBigPrevlen = 0xFE;

uint32_t LoadU32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// Decoded entry header. `header` = prevlen size + encoding size; `len` = data bytes.
struct Header {
  uint32_t prevlen = 0;
  size_t header = 0;
  size_t len = 0;
  uint8_t encoding = 0;
};

// Decodes the entry header at p[0..avail). Returns false if the encoding is invalid or the header
// does not fit (matches zipEntrySafe(): ZIP_DECODE_PREVLEN, ZIP_ENTRY_ENCODING, ZIP_DECODE_LENGTH).
bool DecodeHeader(const uint8_t* p, size_t avail, Header* h) {
  if (avail < 1) return false;
  size_t prevlen_size = p[0] < kBigPrevlen ? 1 : 5;
  if (avail < prevlen_size + 1) return false;
  h->prevlen = prevlen_size == 1 ? p[0] : LoadU32(p + 1);
  const uint8_t* e = p + prevlen_size;
  uint8_t enc = e[0];
  size_t lensize;
  // String encodings keep only their top two bits (ZIP_ENTRY_ENCODING masks with ZIP_STR_MASK).
  if (enc < 0xC0) enc &= 0xC0;
  switch (enc) {
    case 0x00:
      lensize = 1;
      h->len = e[0] & 0x3f;
      break;
    case 0x40:
      lensize = 2;
      if (avail < prevlen_size + 2) return false;
      h->len = (static_cast<size_t>(e[0] & 0x3f) << 8) | e[1];
      break;
    case 0x80:
      // 32-bit length, big-endian (unlike everything else in the ziplist).
      lensize = 5;
      if (avail < prevlen_size + 5) return false;
      h->len = (static_cast<size_t>(e[1]) << 24) | (static_cast<size_t>(e[2]) << 16) |
               (static_cast<size_t>(e[3]) << 8) | e[4];
      break;
    case 0xC0:  // int16
      lensize = 1;
      h->len = 2;
      break;
    case 0xD0:  // int32
      lensize = 1;
      h->len = 4;
      break;
    case 0xE0:  // int64
      lensize = 1;
      h->len = 8;
      break;
    case 0xF0:  // int24
      lensize = 1;
      h->len = 3;
      break;
    case 0xFE:  // int8
      lensize = 1;
      h->len = 1;
      break;
    default:
      if (enc >= 0xF1 && enc <= 0xFD) {  // 4-bit immediate 0..12
        lensize = 1;
        h->len = 0;
        break;
      }
      return false;
  }
  h->encoding = enc;
  h->header = prevlen_size + lensize;
  return true;
}

void DecodeValue(const uint8_t* data, const Header& h, listpack::Entry* e) {
  e->is_int = true;
  switch (h.encoding) {
    case 0x00:
    case 0x40:
    case 0x80:
      e->is_int = false;
      e->sval = std::string_view(reinterpret_cast<const char*>(data), h.len);
      return;
    case 0xC0: {
      int16_t v;
      std::memcpy(&v, data, 2);
      e->ival = v;
      return;
    }
    case 0xD0: {
      int32_t v;
      std::memcpy(&v, data, 4);
      e->ival = v;
      return;
    }
    case 0xE0: {
      int64_t v;
      std::memcpy(&v, data, 8);
      e->ival = v;
      return;
    }
    case 0xF0: {
      uint32_t u =
          data[0] | (static_cast<uint32_t>(data[1]) << 8) | (static_cast<uint32_t>(data[2]) << 16);
      e->ival = static_cast<int32_t>(u << 8) >> 8;  // sign-extend 24 bits
      return;
    }
    case 0xFE:
      e->ival = static_cast<int8_t>(data[0]);
      return;
    default:
      e->ival = (h.encoding & 0x0f) - 1;
      return;
  }
}

}  // namespace

absl::StatusOr<uint32_t> Validate(std::string_view zl) {
  if (zl.size() < kHeaderSize + 1) {
    return absl::DataLossError(StrCat("ziplist of ", zl.size(), " bytes is too short"));
  }
  const auto* base = reinterpret_cast<const uint8_t*>(zl.data());
  if (LoadU32(base) != zl.size()) {
    return absl::DataLossError(
        StrCat("ziplist header says ", LoadU32(base), " bytes, blob has ", zl.size()));
  }
  size_t last = zl.size() - 1;
  if (base[last] != kEnd) return absl::DataLossError("ziplist does not end with 0xFF");
  uint32_t tail = LoadU32(base + 4);
  if (tail > last) return absl::DataLossError("ziplist tail offset is out of range");
  uint16_t header_count;
  std::memcpy(&header_count, base + 8, 2);

  size_t pos = kHeaderSize;
  size_t prev_pos = 0;
  size_t prev_size = 0;
  uint32_t count = 0;
  while (base[pos] != kEnd) {
    Header h;
    if (!DecodeHeader(base + pos, last - pos, &h)) {
      return absl::DataLossError(StrCat("ziplist entry at offset ", pos, " is malformed"));
    }
    if (last - pos - h.header < h.len) {
      return absl::DataLossError(StrCat("ziplist entry at offset ", pos, " overruns"));
    }
    if (h.prevlen != prev_size) {
      return absl::DataLossError(StrCat("ziplist entry at offset ", pos, " has prevlen ", h.prevlen,
                                        ", previous entry is ", prev_size, " bytes"));
    }
    prev_pos = pos;
    prev_size = h.header + h.len;
    pos += prev_size;
    ++count;
  }
  if (pos != last) return absl::DataLossError("ziplist has an 0xFF entry before its end");
  if (count > 0 && prev_pos != tail) {
    return absl::DataLossError(
        StrCat("ziplist tail offset ", tail, " but the last entry is at ", prev_pos));
  }
  if (header_count != 65535 && header_count != count) {
    return absl::DataLossError(
        StrCat("ziplist header count ", header_count, " but ", count, " entries"));
  }
  return count;
}

bool Reader::Next(listpack::Entry* entry) {
  const auto* base = reinterpret_cast<const uint8_t*>(zl_.data());
  if (pos_ >= zl_.size() || base[pos_] == kEnd) return false;
  Header h;
  if (!DecodeHeader(base + pos_, zl_.size() - pos_, &h)) return false;
  if (zl_.size() - pos_ - h.header < h.len) return false;
  DecodeValue(base + pos_ + h.header, h, entry);
  pos_ += h.header + h.len;
  return true;
}

}  // namespace redlink::engine::rdb::ziplist
