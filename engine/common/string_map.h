#pragma once
// Hash maps and sets keyed by std::string that can be looked up with a std::string_view without
// a copy. (Debian's Abseil hashes absl::string_view, which std::string_view does not convert to,
// so absl's default heterogeneous lookup does not apply.)

#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "engine/common/strings.h"

namespace redlink {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return absl::Hash<absl::string_view>{}(ToAbsl(s)); }
};

struct StringEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

template <typename V>
using StringMap = absl::flat_hash_map<std::string, V, StringHash, StringEq>;
using StringSet = absl::flat_hash_set<std::string, StringHash, StringEq>;

}  // namespace redlink
