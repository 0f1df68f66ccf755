#pragma once
// Debian's Abseil 20220623 is built with its own absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW
// is 0), which does not convert from std::string_view. The code base uses std::string_view; these
// wrappers let it call Abseil's string functions without a conversion at every call site.

#include <string>
#include <string_view>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace redlink {

inline absl::string_view ToAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}
inline std::string_view FromAbsl(absl::string_view s) {
  return std::string_view(s.data(), s.size());
}

namespace strings_internal {
template <typename T>
const T& Arg(const T& v) {
  return v;
}
inline absl::string_view Arg(std::string_view v) { return ToAbsl(v); }
}  // namespace strings_internal

// absl::StrCat / StrAppend that also take std::string_view.
template <typename... Args>
std::string StrCat(const Args&... args) {
  return absl::StrCat(strings_internal::Arg(args)...);
}
template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  absl::StrAppend(out, strings_internal::Arg(args)...);
}

template <typename T>
bool SimpleAtoi(std::string_view s, T* out) {
  return absl::SimpleAtoi(ToAbsl(s), out);
}
inline bool SimpleAtod(std::string_view s, double* out) { return absl::SimpleAtod(ToAbsl(s), out); }

}  // namespace redlink
