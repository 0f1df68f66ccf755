// Function libraries: enough of the Lua source to answer FUNCTION LIST as Redis 7.0 does (the
// shebang metadata and the redis.register_function calls), without running Lua. The master
// already compiled and ran the library, so the source is known to be valid; this scanner skips
// comments and strings and reads the literal arguments of each registration.
#include <cctype>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "engine/common/strings.h"
#include "engine/keyspace/keyspace.h"

namespace redlink::engine {
namespace {

// Splits the shebang line like Redis's sdssplitargs (quotes allowed).
std::vector<std::string> SplitArgs(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    std::string cur;
    char quote = 0;
    while (i < line.size()) {
      char c = line[i];
      if (quote != 0) {
        if (c == '\\' && quote == '"' && i + 1 < line.size()) {
          cur.push_back(line[i + 1]);
          i += 2;
          continue;
        }
        if (c == quote) {
          quote = 0;
          ++i;
          continue;
        }
        cur.push_back(c);
        ++i;
        continue;
      }
      if (c == '"' || c == '\'') {
        quote = c;
        ++i;
        continue;
      }
      if (std::isspace(static_cast<unsigned char>(c))) break;
      cur.push_back(c);
      ++i;
    }
    out.push_back(std::move(cur));
  }
  return out;
}

class LuaScanner {
 public:
  explicit LuaScanner(std::string_view s) : s_(s) {}

  // Skips whitespace and comments.
  void Skip() {
    for (;;) {
      while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      if (s_.substr(pos_, 2) == "--") {
        pos_ += 2;
        size_t level;
        if (LongBracket(&level)) {
          SkipLongBracket(level);
        } else {
          while (pos_ < s_.size() && s_[pos_] != '\n') ++pos_;
        }
        continue;
      }
      return;
    }
  }
  bool AtEnd() {
    Skip();
    return pos_ >= s_.size();
  }
  char Peek() {
    Skip();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // Reads a string literal at the cursor; false if there is none.
  bool String(std::string* out) {
    Skip();
    if (pos_ >= s_.size()) return false;
    char q = s_[pos_];
    if (q == '\'' || q == '"') {
      ++pos_;
      out->clear();
      while (pos_ < s_.size() && s_[pos_] != q) {
        char c = s_[pos_++];
        if (c == '\\' && pos_ < s_.size()) {
          char n = s_[pos_++];
          switch (n) {
            case 'n':
              out->push_back('\n');
              break;
            case 't':
              out->push_back('\t');
              break;
            case 'r':
              out->push_back('\r');
              break;
            case 'a':
              out->push_back('\a');
              break;
            case 'b':
              out->push_back('\b');
              break;
            case 'f':
              out->push_back('\f');
              break;
            case 'v':
              out->push_back('\v');
              break;
            case '\n':
              out->push_back('\n');
              break;
            default:
              if (std::isdigit(static_cast<unsigned char>(n))) {
                int v = n - '0';
                for (int k = 0; k < 2 && pos_ < s_.size() &&
                                std::isdigit(static_cast<unsigned char>(s_[pos_]));
                     ++k) {
                  v = v * 10 + (s_[pos_++] - '0');
                }
                out->push_back(static_cast<char>(v));
              } else {
                out->push_back(n);
              }
          }
          continue;
        }
        out->push_back(c);
      }
      if (pos_ < s_.size()) ++pos_;
      return true;
    }
    size_t level;
    size_t save = pos_;
    if (LongBracket(&level)) {
      size_t start = pos_;
      if (start < s_.size() && s_[start] == '\n') ++start;  // first newline is skipped
      size_t end = SkipLongBracket(level);
      *out = std::string(s_.substr(start, end - start));
      return true;
    }
    pos_ = save;
    return false;
  }
  // Reads an identifier; empty if none.
  std::string Ident() {
    Skip();
    size_t start = pos_;
    while (pos_ < s_.size() &&
           (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_')) {
      ++pos_;
    }
    return std::string(s_.substr(start, pos_ - start));
  }
  // Skips one token of any kind (used to move through code we do not interpret).
  void SkipToken() {
    Skip();
    if (pos_ >= s_.size()) return;
    std::string tmp;
    if (String(&tmp)) return;
    if (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_') {
      Ident();
      return;
    }
    ++pos_;
  }
  // Skips a balanced expression up to (not including) a ',' or closing bracket at depth 0.
  void SkipExpression() {
    int depth = 0;
    int block = 0;  // function ... end nesting
    while (!AtEnd()) {
      char c = Peek();
      if (depth == 0 && block == 0 && (c == ',' || c == ')' || c == '}' || c == ';')) return;
      if (c == '(' || c == '{' || c == '[') {
        ++depth;
        ++pos_;
        continue;
      }
      if (c == ')' || c == '}' || c == ']') {
        --depth;
        ++pos_;
        continue;
      }
      if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
        std::string id = Ident();
        if (id == "function" || id == "do" || id == "then" || id == "repeat") ++block;
        // "if/while/for" open their block with "then"/"do"; "elseif ... then" does not open one.
        if (id == "end" || id == "until" || id == "elseif") --block;
        continue;
      }
      SkipToken();
    }
  }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }

 private:
  bool LongBracket(size_t* level) {
    if (pos_ >= s_.size() || s_[pos_] != '[') return false;
    size_t p = pos_ + 1;
    size_t l = 0;
    while (p < s_.size() && s_[p] == '=') {
      ++l;
      ++p;
    }
    if (p >= s_.size() || s_[p] != '[') return false;
    pos_ = p + 1;
    *level = l;
    return true;
  }
  // Moves past the closing bracket; returns the offset where it starts.
  size_t SkipLongBracket(size_t level) {
    std::string close(level + 2, '=');
    close.front() = ']';
    close.back() = ']';
    size_t end = s_.find(close, pos_);
    if (end == std::string_view::npos) {
      pos_ = s_.size();
      return s_.size();
    }
    pos_ = end + close.size();
    return end;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

bool ParseFlags(LuaScanner& sc, std::vector<std::string>* flags) {
  if (!sc.Consume('{')) return false;
  while (!sc.Consume('}')) {
    if (sc.AtEnd()) return false;
    std::string f;
    if (sc.String(&f)) {
      flags->push_back(f);
    } else {
      sc.SkipExpression();
    }
    sc.Consume(',');
    sc.Consume(';');
  }
  return true;
}

// Canonical order and names as FUNCTION LIST prints them.
std::vector<std::string> NormalizeFlags(const std::vector<std::string>& in) {
  static const char* kOrder[] = {"no-writes", "allow-oom", "allow-stale", "no-cluster",
                                 "allow-cross-slot-keys"};
  std::vector<std::string> out;
  for (const char* f : kOrder) {
    for (const std::string& g : in) {
      if (g == f) {
        out.push_back(f);
        break;
      }
    }
  }
  return out;
}

}  // namespace

absl::Status ParseFunctionLibrary(std::string_view code, FunctionLibrary* out) {
  if (code.substr(0, 2) != "#!") return absl::InvalidArgumentError("Missing library metadata");
  size_t nl = code.find('\n');
  if (nl == std::string_view::npos) {
    return absl::InvalidArgumentError("Invalid library metadata");
  }
  std::vector<std::string> parts = SplitArgs(code.substr(0, nl));
  if (parts.empty()) return absl::InvalidArgumentError("Invalid library metadata");
  std::string engine = parts[0].substr(2);
  std::string name;
  bool have_name = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].size() >= 5 &&
        absl::EqualsIgnoreCase(ToAbsl(std::string_view(parts[i]).substr(0, 5)), "name=")) {
      if (have_name) {
        return absl::InvalidArgumentError(
            "Invalid metadata value, name argument was given multiple times");
      }
      name = parts[i].substr(5);
      have_name = true;
      continue;
    }
    return absl::InvalidArgumentError("Invalid metadata value given: " + parts[i]);
  }
  if (!have_name) return absl::InvalidArgumentError("Library name was not given");
  if (absl::EqualsIgnoreCase(ToAbsl(engine), "lua")) engine = "LUA";
  out->name = name;
  out->engine = engine;
  out->code = std::string(code);
  out->functions.clear();

  LuaScanner sc(code.substr(nl + 1));
  while (!sc.AtEnd()) {
    size_t start = sc.pos();
    std::string id = sc.Ident();
    if (id.empty()) {
      sc.SkipToken();
      continue;
    }
    if (id != "redis") continue;
    if (!sc.Consume('.')) continue;
    if (sc.Ident() != "register_function") continue;
    (void)start;
    FunctionLibrary::Function fn;
    bool ok = false;
    bool paren = sc.Consume('(');
    if (sc.Peek() == '{') {
      sc.Consume('{');
      while (!sc.Consume('}')) {
        if (sc.AtEnd()) break;
        std::string key = sc.Ident();
        if (key.empty() || !sc.Consume('=')) {
          sc.SkipExpression();
          sc.Consume(',');
          continue;
        }
        if (key == "function_name") {
          ok = sc.String(&fn.name);
        } else if (key == "description") {
          fn.has_description = sc.String(&fn.description);
        } else if (key == "flags") {
          std::vector<std::string> flags;
          if (ParseFlags(sc, &flags)) fn.flags = NormalizeFlags(flags);
        } else {
          sc.SkipExpression();
        }
        sc.Consume(',');
        sc.Consume(';');
      }
    } else {
      ok = sc.String(&fn.name);
      if (ok) {
        sc.Consume(',');
        sc.SkipExpression();
      }
    }
    if (paren) {
      // Skip to the closing parenthesis.
      while (!sc.AtEnd() && sc.Peek() != ')') sc.SkipExpression(), sc.Consume(',');
      sc.Consume(')');
    }
    if (ok) out->functions.push_back(std::move(fn));
  }
  return absl::OkStatus();
}

}  // namespace redlink::engine
