#pragma once
// SORT's BY and GET patterns (sort.c lookupKeyByPattern), shared by SORT_RO on the read endpoint
// and SORT ... STORE in the applier, which differ only in how they look the key up.

#include <string>
#include <string_view>

namespace redlink::engine {

enum class SortPatternKind {
  kSelf,       // "#": the element itself
  kNone,       // no '*': nothing to look up
  kString,     // "pre*post": the string value of key `key`
  kHashField,  // "pre*post->field": field `field` of the hash at `key`
};

// Resolves `pattern` for element `subst`. Like Redis, the structure is read from the pattern as
// a C string (up to a NUL) while the key and field take the rest of the bytes.
inline SortPatternKind ResolveSortPattern(std::string_view pattern, std::string_view subst,
                                          std::string* key, std::string_view* field) {
  std::string_view cpat = pattern.substr(0, pattern.find('\0'));
  if (cpat == "#") return SortPatternKind::kSelf;
  size_t star = cpat.find('*');
  if (star == std::string_view::npos) return SortPatternKind::kNone;
  size_t arrow = cpat.find("->", star + 1);
  size_t fieldlen = 0;
  if (arrow != std::string_view::npos && arrow + 2 < cpat.size()) {
    fieldlen = pattern.size() - arrow - 2;
    *field = pattern.substr(arrow + 2, fieldlen);
  }
  size_t postfixlen = pattern.size() - (star + 1) - (fieldlen ? fieldlen + 2 : 0);
  key->assign(pattern.substr(0, star));
  key->append(subst);
  key->append(pattern.substr(star + 1, postfixlen));
  return fieldlen != 0 ? SortPatternKind::kHashField : SortPatternKind::kString;
}

}  // namespace redlink::engine
