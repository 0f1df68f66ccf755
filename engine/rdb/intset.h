#pragma once
// Redis's intset (intset.c, protocol doc §6.8), read-only, for RDB type 11:
// <encoding u32 LE: 2, 4 or 8 bytes per element> <length u32 LE> <length sorted signed ints LE>

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace redlink::engine::rdb::intset {

// Checks an intset from an untrusted source, as intsetValidateIntegrity() with deep validation:
// valid encoding, size equals header + length * width, not empty, strictly ascending. Returns the
// number of elements.
absl::StatusOr<uint32_t> Validate(std::string_view is);

// Element `i` of an intset that passed Validate().
int64_t Get(std::string_view is, uint32_t i);

}  // namespace redlink::engine::rdb::intset
