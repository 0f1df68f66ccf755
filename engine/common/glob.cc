#include "engine/common/glob.h"

#include <cctype>

namespace redlink {
namespace {

struct Matcher {
  std::string_view pat;
  bool nocase;
  bool give_up = false;  // a '*' already failed for every suffix: longer tries cannot match

  // The pattern byte at i, or '\0' past the end (the pattern is NUL-terminated in Redis).
  char P(size_t i) const { return i < pat.size() ? pat[i] : '\0'; }
  static int Lower(int c) { return std::tolower(c); }

  bool Match(size_t p, std::string_view s) {
    size_t plen = pat.size() - p;
    size_t si = 0;
    while (plen > 0 && si < s.size()) {
      char pc = P(p);
      if (pc == '*') {
        while (plen > 0 && P(p + 1) == '*') {
          ++p;
          --plen;
        }
        if (plen == 1) return true;
        for (; si < s.size(); ++si) {
          if (Match(p + 1, s.substr(si))) return true;
          if (give_up) return false;
        }
        give_up = true;
        return false;
      } else if (pc == '?') {
        ++si;
      } else if (pc == '[') {
        ++p;
        --plen;
        bool negate = P(p) == '^';
        if (negate) {
          ++p;
          --plen;
        }
        bool matched = false;
        int c = static_cast<signed char>(s[si]);
        for (;;) {
          if (P(p) == '\\' && plen >= 2) {
            ++p;
            --plen;
            if (P(p) == s[si]) matched = true;
          } else if (P(p) == ']') {
            break;
          } else if (plen == 0) {
            --p;
            ++plen;
            break;
          } else if (plen >= 3 && P(p + 1) == '-') {
            int lo = static_cast<signed char>(P(p));
            int hi = static_cast<signed char>(P(p + 2));
            int cc = c;
            if (lo > hi) std::swap(lo, hi);
            if (nocase) {
              lo = Lower(lo);
              hi = Lower(hi);
              cc = Lower(cc);
            }
            p += 2;
            plen -= 2;
            if (cc >= lo && cc <= hi) matched = true;
          } else if (!nocase ? P(p) == s[si] : Lower(static_cast<signed char>(P(p))) == Lower(c)) {
            matched = true;
          }
          ++p;
          --plen;
        }
        if (negate) matched = !matched;
        if (!matched) return false;
        ++si;
      } else {
        if (pc == '\\' && plen >= 2) {
          ++p;
          --plen;
          pc = P(p);
        }
        if (!nocase
                ? pc != s[si]
                : Lower(static_cast<signed char>(pc)) != Lower(static_cast<signed char>(s[si]))) {
          return false;
        }
        ++si;
      }
      ++p;
      --plen;
      if (si == s.size()) {
        while (P(p) == '*') {
          ++p;
          --plen;
        }
        break;
      }
    }
    return plen == 0 && si == s.size();
  }
};

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  Matcher m{pattern, nocase};
  return m.Match(0, str);
}

}  // namespace redlink
