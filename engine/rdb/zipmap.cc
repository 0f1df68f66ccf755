#include "engine/rdb/zipmap.h"

#include <cstring>

#include "absl/status/status.h"
#include "engine/common/strings.h"

namespace redlink::engine::rdb::zipmap {
namespace {

constexpr uint8_t kBigLen = 254;
constexpr uint8_t kEnd = 255;

// Reads the length at zm[*pos] (bounded by `limit`, the index of the terminator); advances *pos.
bool ReadLen(const uint8_t* zm, size_t limit, size_t* pos, uint64_t* len) {
  if (*pos >= limit) return false;
  uint8_t b = zm[*pos];
  if (b < kBigLen) {
    *len = b;
    *pos += 1;
    return true;
  }
  if (b != kBigLen || limit - *pos < 5) return false;
  uint32_t v;
  std::memcpy(&v, zm + *pos + 1, 4);
  *len = v;
  *pos += 5;
  return true;
}

// Parses one field/value pair at *pos; every part must end at or before `limit`.
bool ParsePair(const uint8_t* zm, size_t limit, size_t* pos, std::string_view* field,
               std::string_view* value) {
  uint64_t flen, vlen;
  if (!ReadLen(zm, limit, pos, &flen) || limit - *pos < flen) return false;
  *field = std::string_view(reinterpret_cast<const char*>(zm + *pos), flen);
  *pos += flen;
  if (!ReadLen(zm, limit, pos, &vlen) || *pos >= limit) return false;
  uint8_t free = zm[(*pos)++];
  if (limit - *pos < vlen || limit - *pos - vlen < free) return false;
  *value = std::string_view(reinterpret_cast<const char*>(zm + *pos), vlen);
  *pos += vlen + free;
  return true;
}

}  // namespace

absl::StatusOr<uint32_t> Validate(std::string_view zm) {
  if (zm.size() < 2) return absl::DataLossError("zipmap is too short");
  const auto* base = reinterpret_cast<const uint8_t*>(zm.data());
  size_t limit = zm.size() - 1;
  if (base[limit] != kEnd) return absl::DataLossError("zipmap does not end with 0xFF");
  size_t pos = 1;
  uint32_t count = 0;
  while (base[pos] != kEnd) {
    std::string_view f, v;
    size_t at = pos;
    if (!ParsePair(base, limit, &pos, &f, &v)) {
      return absl::DataLossError(StrCat("zipmap entry at offset ", at, " is malformed"));
    }
    ++count;
  }
  if (pos != limit) return absl::DataLossError("zipmap has an 0xFF entry before its end");
  // zipmapValidateIntegrity() rejects an empty zipmap.
  if (count == 0) return absl::DataLossError("zipmap is empty");
  if (base[0] != kBigLen && base[0] != count) {
    return absl::DataLossError(
        StrCat("zipmap header count ", static_cast<int>(base[0]), " but ", count, " entries"));
  }
  return count;
}

bool Reader::Next(std::string_view* field, std::string_view* value) {
  const auto* base = reinterpret_cast<const uint8_t*>(zm_.data());
  size_t limit = zm_.size() - 1;
  if (pos_ >= limit || base[pos_] == kEnd) return false;
  return ParsePair(base, limit, &pos_, field, value);
}

}  // namespace redlink::engine::rdb::zipmap
