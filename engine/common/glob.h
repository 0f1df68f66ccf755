#pragma once
// Glob-style matching with Redis's exact semantics (KEYS, SCAN MATCH, FUNCTION LIST
// LIBRARYNAME, SORT BY patterns): '*', '?', '[...]' with '^' negation, 'a-z' ranges (either
// order) and '\' escapes; an unterminated '[' matches up to the end of the pattern. Bytes are
// compared as C chars (signed), as Redis does.

#include <string_view>

namespace redlink {

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace redlink
