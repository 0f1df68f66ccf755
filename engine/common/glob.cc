#include "engine/common/glob.h"

#include <cctype>

namespace redlink {
namespace {

char Lower(char c, bool nocase) {
  return nocase ? static_cast<char>(std::tolower(static_cast<unsigned char>(c))) : c;
}

// Returns 1 on match; sets *skip_longer when the rest of the string cannot match any pattern
// suffix (Redis's optimisation that keeps '*' from being exponential).
bool Match(const char* p, size_t plen, const char* s, size_t slen, bool nocase, bool* skip_longer,
           int nesting) {
  if (nesting > 1000) return false;  // bound recursion on hostile patterns
  while (plen && slen) {
    switch (p[0]) {
      case '*':
        while (plen > 1 && p[1] == '*') {
          ++p;
          --plen;
        }
        if (plen == 1) return true;
        while (slen) {
          if (Match(p + 1, plen - 1, s, slen, nocase, skip_longer, nesting + 1)) return true;
          if (*skip_longer) return false;
          ++s;
          --slen;
        }
        *skip_longer = true;
        return false;
      case '?':
        ++s;
        --slen;
        break;
      case '[': {
        ++p;
        --plen;
        bool negate = plen && p[0] == '^';
        if (negate) {
          ++p;
          --plen;
        }
        bool matched = false;
        for (;;) {
          if (plen == 0) {
            // Unterminated class: Redis treats the end as a close.
            break;
          }
          if (p[0] == '\\' && plen >= 2) {
            ++p;
            --plen;
            if (p[0] == s[0]) matched = true;
          } else if (p[0] == ']') {
            break;
          } else if (plen >= 3 && p[1] == '-') {
            char start = Lower(p[0], nocase), end = Lower(p[2], nocase), c = Lower(s[0], nocase);
            if (start > end) std::swap(start, end);
            p += 2;
            plen -= 2;
            if (c >= start && c <= end) matched = true;
          } else if (Lower(p[0], nocase) == Lower(s[0], nocase)) {
            matched = true;
          }
          ++p;
          --plen;
        }
        if (negate) matched = !matched;
        if (!matched) return false;
        ++s;
        --slen;
        break;
      }
      case '\\':
        if (plen >= 2) {
          ++p;
          --plen;
        }
        [[fallthrough]];
      default:
        if (Lower(p[0], nocase) != Lower(s[0], nocase)) return false;
        ++s;
        --slen;
        break;
    }
    if (plen == 0) break;  // a '[' class may have consumed the pattern to its end
    ++p;
    --plen;
    if (slen == 0) {
      while (plen && *p == '*') {
        ++p;
        --plen;
      }
      break;
    }
  }
  return plen == 0 && slen == 0;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view string, bool nocase) {
  bool skip_longer = false;
  return Match(pattern.data(), pattern.size(), string.data(), string.size(), nocase, &skip_longer,
               0);
}

}  // namespace redlink
