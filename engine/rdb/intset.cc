#include "engine/rdb/intset.h"

#include <cstring>

#include "absl/status/status.h"
#include "engine/common/strings.h"

namespace redlink::engine::rdb::intset {
namespace {

constexpr size_t kHeaderSize = 8;

uint32_t LoadU32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

int64_t GetWithWidth(const char* data, uint32_t width, uint32_t i) {
  const char* p = data + kHeaderSize + static_cast<size_t>(i) * width;
  switch (width) {
    case 2: {
      int16_t v;
      std::memcpy(&v, p, 2);
      return v;
    }
    case 4: {
      int32_t v;
      std::memcpy(&v, p, 4);
      return v;
    }
    default: {
      int64_t v;
      std::memcpy(&v, p, 8);
      return v;
    }
  }
}

}  // namespace

absl::StatusOr<uint32_t> Validate(std::string_view is) {
  if (is.size() < kHeaderSize) {
    return absl::DataLossError(StrCat("intset of ", is.size(), " bytes is too short"));
  }
  uint32_t width = LoadU32(is.data());
  if (width != 2 && width != 4 && width != 8) {
    return absl::DataLossError(StrCat("intset has invalid encoding ", width));
  }
  uint32_t count = LoadU32(is.data() + 4);
  if (kHeaderSize + static_cast<uint64_t>(count) * width != is.size()) {
    return absl::DataLossError(
        StrCat("intset of ", count, " x ", width, "-byte elements is ", is.size(), " bytes"));
  }
  // intsetValidateIntegrity() rejects an empty intset.
  if (count == 0) return absl::DataLossError("intset is empty");
  int64_t prev = GetWithWidth(is.data(), width, 0);
  for (uint32_t i = 1; i < count; ++i) {
    int64_t cur = GetWithWidth(is.data(), width, i);
    if (cur <= prev) {
      return absl::DataLossError(StrCat("intset element ", i, " is not above the previous one"));
    }
    prev = cur;
  }
  return count;
}

int64_t Get(std::string_view is, uint32_t i) {
  return GetWithWidth(is.data(), LoadU32(is.data()), i);
}

}  // namespace redlink::engine::rdb::intset
