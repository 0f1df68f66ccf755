#pragma once
// Redis's zipmap (zipmap.c, protocol doc §6.8), read-only, for RDB type 9 (hashes written by
// Redis <= 2.4): <count u8, >= 254 unknown> { <len> field <len> <free u8> value <free bytes> }*
// <0xFF>, where <len> is one byte if < 254, else 0xFE + u32 LE.

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace redlink::engine::rdb::zipmap {

// Checks a zipmap from an untrusted source, as zipmapValidateIntegrity() with deep validation:
// every length and the free padding stay inside the blob, the terminator is the last byte, the
// zipmap is not empty and the header count matches (unless 254 = unknown). Returns the number of
// field/value pairs.
absl::StatusOr<uint32_t> Validate(std::string_view zm);

// Forward iteration over a zipmap that passed Validate().
class Reader {
 public:
  explicit Reader(std::string_view zm) : zm_(zm), pos_(1) {}
  // Returns false at the terminator.
  bool Next(std::string_view* field, std::string_view* value);

 private:
  std::string_view zm_;
  size_t pos_;
};

}  // namespace redlink::engine::rdb::zipmap
