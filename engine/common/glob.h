#pragma once
// Redis's glob-style pattern matching (KEYS, SCAN MATCH, PSUBSCRIBE): '*', '?', '[abc]',
// '[^a-z]' and '\' escapes, with the same edge cases as Redis's stringmatchlen.

#include <string_view>

namespace redlink {

bool GlobMatch(std::string_view pattern, std::string_view string, bool nocase = false);

}  // namespace redlink
