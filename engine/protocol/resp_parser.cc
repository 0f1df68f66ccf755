#include "engine/protocol/resp_parser.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "absl/strings/numbers.h"
#include "engine/common/strings.h"

namespace redlink::engine {
namespace {

// Strict decimal int64 as Redis's string2ll: optional '-', digits, no '+', no spaces.
bool ParseInt64(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  size_t i = 0;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    i = 1;
    if (s.size() == 1) return false;
  }
  uint64_t v = 0;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return false;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  if (neg) {
    if (v > static_cast<uint64_t>(INT64_MAX) + 1) return false;
    *out = static_cast<int64_t>(0 - v);
  } else {
    if (v > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(v);
  }
  return true;
}

std::string Printable(char c) {
  if (c >= 0x20 && c < 0x7f) return std::string(1, c);
  return StrCat("\\x", absl::Hex(static_cast<unsigned char>(c), absl::kZeroPad2));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

ParseResult RespParser::Fail(absl::Status status) {
  error_ = std::move(status);
  return ParseResult::kError;
}

ParseResult RespParser::NeedMore(size_t need) {
  need_ = need;
  return ParseResult::kNeedMore;
}

// Finds CRLF starting at *pos. A line longer than max_inline_len without CRLF is an error.
RespParser::Step RespParser::ReadLine(std::string_view data, size_t* pos, std::string_view* line) {
  size_t start = *pos;
  size_t limit = std::min(data.size(), start + limits_.max_inline_len + 2);
  const char* base = data.data();
  const void* cr = start < limit ? std::memchr(base + start, '\r', limit - start) : nullptr;
  while (cr != nullptr) {
    size_t at = static_cast<const char*>(cr) - base;
    if (at + 1 >= data.size()) break;  // CR is the last byte: need the LF
    if (data[at + 1] == '\n') {
      if (at - start > limits_.max_inline_len) break;
      *line = data.substr(start, at - start);
      *pos = at + 2;
      return Step::kOk;
    }
    cr = at + 1 < limit ? std::memchr(base + at + 1, '\r', limit - at - 1) : nullptr;
  }
  if (data.size() - start > limits_.max_inline_len + 1) {
    error_ = absl::InvalidArgumentError(
        StrCat("Protocol error: line longer than ", limits_.max_inline_len, " bytes"));
    return Step::kError;
  }
  need_hint_ = data.size() + 1;
  return Step::kNeedMore;
}

RespParser::Step RespParser::ReadLength(std::string_view data, size_t* pos, int64_t* len,
                                        const char* what) {
  std::string_view line;
  Step s = ReadLine(data, pos, &line);
  if (s != Step::kOk) return s;
  if (!ParseInt64(line, len) || *len < -1) {
    error_ = absl::InvalidArgumentError(
        StrCat("Protocol error: invalid ", what, " length '", line.substr(0, 32), "'"));
    return Step::kError;
  }
  return Step::kOk;
}

RespParser::Step RespParser::ParseValue(std::string_view data, size_t* pos, RespValue* out,
                                        int depth) {
  for (;;) {
    if (*pos >= data.size()) {
      need_hint_ = *pos + 1;
      return Step::kNeedMore;
    }
    char type = data[*pos];
    size_t p = *pos + 1;
    std::string_view line;
    int64_t len = 0;
    switch (type) {
      case '+':
      case '-':
      case ':':
      case ',':
      case '#':
      case '(':
      case '_': {
        if (Step s = ReadLine(data, &p, &line); s != Step::kOk) return s;
        out->elements.clear();
        out->str = line;
        if (type == '+') {
          out->type = RespType::kSimpleString;
        } else if (type == '-') {
          out->type = RespType::kError;
        } else if (type == ':') {
          out->type = RespType::kInteger;
          if (!ParseInt64(line, &out->integer)) {
            error_ = absl::InvalidArgumentError(
                StrCat("Protocol error: bad integer '", line.substr(0, 32), "'"));
            return Step::kError;
          }
        } else if (type == ',') {
          out->type = RespType::kDouble;
          std::string text(line);
          if (text == "inf" || text == "+inf") {
            out->dbl = HUGE_VAL;
          } else if (text == "-inf") {
            out->dbl = -HUGE_VAL;
          } else if (text == "nan") {
            out->dbl = std::nan("");
          } else if (!SimpleAtod(text, &out->dbl)) {
            error_ = absl::InvalidArgumentError(
                StrCat("Protocol error: bad double '", line.substr(0, 32), "'"));
            return Step::kError;
          }
        } else if (type == '#') {
          out->type = RespType::kBoolean;
          if (line != "t" && line != "f") {
            error_ = absl::InvalidArgumentError("Protocol error: bad boolean");
            return Step::kError;
          }
          out->integer = line == "t";
        } else if (type == '(') {
          out->type = RespType::kBigNumber;
        } else {
          out->type = RespType::kNull;
          if (!line.empty()) {
            error_ = absl::InvalidArgumentError("Protocol error: bad null");
            return Step::kError;
          }
        }
        *pos = p;
        return Step::kOk;
      }
      case '$':
      case '!':
      case '=': {
        if (Step s = ReadLength(data, &p, &len, "bulk"); s != Step::kOk) return s;
        out->elements.clear();
        if (len == -1) {
          if (type != '$') {
            error_ = absl::InvalidArgumentError("Protocol error: invalid bulk length '-1'");
            return Step::kError;
          }
          out->type = RespType::kNull;
          out->str = {};
          *pos = p;
          return Step::kOk;
        }
        if (static_cast<uint64_t>(len) > limits_.max_bulk_len) {
          error_ = absl::InvalidArgumentError(StrCat("Protocol error: bulk length ", len,
                                                     " exceeds the limit of ", limits_.max_bulk_len,
                                                     " bytes"));
          return Step::kError;
        }
        size_t end = p + static_cast<size_t>(len);
        if (data.size() < end + 2) {
          need_hint_ = end + 2;
          return Step::kNeedMore;
        }
        if (data[end] != '\r' || data[end + 1] != '\n') {
          error_ = absl::InvalidArgumentError("Protocol error: bulk string not followed by CRLF");
          return Step::kError;
        }
        std::string_view payload = data.substr(p, static_cast<size_t>(len));
        if (type == '$') {
          out->type = RespType::kBulkString;
          out->str = payload;
        } else if (type == '!') {
          out->type = RespType::kBlobError;
          out->str = payload;
        } else {
          out->type = RespType::kVerbatim;
          if (payload.size() < 4 || payload[3] != ':') {
            error_ = absl::InvalidArgumentError("Protocol error: bad verbatim string");
            return Step::kError;
          }
          out->format = payload.substr(0, 3);
          out->str = payload.substr(4);
        }
        *pos = end + 2;
        return Step::kOk;
      }
      case '*':
      case '%':
      case '~':
      case '>':
      case '|': {
        if (Step s = ReadLength(data, &p, &len, "multibulk"); s != Step::kOk) return s;
        if (depth >= limits_.max_depth) {
          error_ = absl::InvalidArgumentError(
              StrCat("Protocol error: nesting deeper than ", limits_.max_depth));
          return Step::kError;
        }
        if (len == -1) {
          if (type != '*') {
            error_ = absl::InvalidArgumentError("Protocol error: invalid aggregate length '-1'");
            return Step::kError;
          }
          out->type = RespType::kNull;
          out->elements.clear();
          *pos = p;
          return Step::kOk;
        }
        int64_t count = len;
        if (type == '%' || type == '|') {
          if (count > limits_.max_array_len / 2)
            count = limits_.max_array_len + 1;
          else
            count *= 2;
        }
        if (count > limits_.max_array_len) {
          error_ = absl::InvalidArgumentError(
              StrCat("Protocol error: aggregate of ", len, " elements exceeds the limit"));
          return Step::kError;
        }
        if (type == '|') {
          // An attribute: parse and drop it, then parse the value it decorates.
          RespValue scratch;
          for (int64_t i = 0; i < count; ++i) {
            if (Step s = ParseValue(data, &p, &scratch, depth + 1); s != Step::kOk) return s;
          }
          *pos = p;
          continue;
        }
        out->type = type == '*'   ? RespType::kArray
                    : type == '%' ? RespType::kMap
                    : type == '~' ? RespType::kSet
                                  : RespType::kPush;
        out->str = {};
        out->elements.clear();
        // Never reserve what was only announced: elements are added as they parse.
        for (int64_t i = 0; i < count; ++i) {
          out->elements.emplace_back();
          if (Step s = ParseValue(data, &p, &out->elements.back(), depth + 1); s != Step::kOk) {
            return s;
          }
        }
        *pos = p;
        return Step::kOk;
      }
      default:
        error_ = absl::InvalidArgumentError(
            StrCat("Protocol error: unexpected type byte '", Printable(type), "'"));
        return Step::kError;
    }
  }
}

ParseResult RespParser::ParseReply(std::string_view data, RespValue* value, size_t* consumed) {
  if (!error_.ok()) return ParseResult::kError;
  if (data.size() < need_) return ParseResult::kNeedMore;
  size_t pos = 0;
  need_hint_ = 0;
  switch (ParseValue(data, &pos, value, 0)) {
    case Step::kOk:
      need_ = 0;
      *consumed = pos;
      return ParseResult::kOk;
    case Step::kNeedMore:
      return NeedMore(need_hint_);
    case Step::kError:
      return ParseResult::kError;
  }
  return ParseResult::kError;
}

ParseResult RespParser::ParseCommand(std::string_view data, std::vector<std::string_view>* args,
                                     size_t* consumed, bool allow_inline) {
  if (!error_.ok()) return ParseResult::kError;
  if (data.empty() || data.size() < need_) return ParseResult::kNeedMore;
  args->clear();
  need_hint_ = 0;
  size_t pos = 0;
  if (data[0] != '*') {
    // Inline command (or an empty line, which Redis skips).
    std::string_view line;
    const void* nl =
        std::memchr(data.data(), '\n', std::min(data.size(), limits_.max_inline_len + 2));
    if (nl == nullptr) {
      if (data.size() > limits_.max_inline_len) {
        return Fail(absl::InvalidArgumentError("Protocol error: too big inline request"));
      }
      return NeedMore(data.size() + 1);
    }
    size_t at = static_cast<const char*>(nl) - data.data();
    line = data.substr(0, at);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > limits_.max_inline_len) {
      return Fail(absl::InvalidArgumentError("Protocol error: too big inline request"));
    }
    if (!line.empty() && !allow_inline) {
      return Fail(absl::InvalidArgumentError(StrCat("Protocol error: expected '*', got '",
                                                    Printable(data[0]), "' (inline protocol)")));
    }
    if (!SplitInlineArgs(line, args, &inline_storage_)) {
      return Fail(absl::InvalidArgumentError("Protocol error: unbalanced quotes in request"));
    }
    need_ = 0;
    *consumed = at + 1;
    return ParseResult::kOk;
  }
  pos = 1;
  int64_t count;
  switch (ReadLength(data, &pos, &count, "multibulk")) {
    case Step::kOk:
      break;
    case Step::kNeedMore:
      return NeedMore(need_hint_);
    case Step::kError:
      return ParseResult::kError;
  }
  if (count > limits_.max_array_len) {
    return Fail(absl::InvalidArgumentError("Protocol error: invalid multibulk length"));
  }
  for (int64_t i = 0; i < count; ++i) {
    if (pos >= data.size()) return NeedMore(pos + 1);
    if (data[pos] != '$') {
      return Fail(absl::InvalidArgumentError(
          StrCat("Protocol error: expected '$', got '", Printable(data[pos]), "'")));
    }
    ++pos;
    int64_t len;
    switch (ReadLength(data, &pos, &len, "bulk")) {
      case Step::kOk:
        break;
      case Step::kNeedMore:
        return NeedMore(need_hint_);
      case Step::kError:
        return ParseResult::kError;
    }
    if (len < 0) return Fail(absl::InvalidArgumentError("Protocol error: invalid bulk length"));
    if (static_cast<uint64_t>(len) > limits_.max_bulk_len) {
      return Fail(absl::InvalidArgumentError(StrCat("Protocol error: bulk length ", len,
                                                    " exceeds the limit of ", limits_.max_bulk_len,
                                                    " bytes")));
    }
    size_t end = pos + static_cast<size_t>(len);
    if (data.size() < end + 2) return NeedMore(end + 2);
    if (data[end] != '\r' || data[end + 1] != '\n') {
      return Fail(absl::InvalidArgumentError("Protocol error: bulk string not followed by CRLF"));
    }
    args->push_back(data.substr(pos, static_cast<size_t>(len)));
    pos = end + 2;
  }
  need_ = 0;
  *consumed = pos;
  return ParseResult::kOk;
}

bool SplitInlineArgs(std::string_view line, std::vector<std::string_view>* args,
                     std::vector<std::string>* storage) {
  storage->clear();
  args->clear();
  // Arguments are built in `storage` first; views are taken at the end because the vector may
  // reallocate while it grows.
  size_t i = 0, n = line.size();
  while (true) {
    while (i < n && (line[i] == ' ' || line[i] == '\t' || line[i] == '\n' || line[i] == '\r' ||
                     line[i] == '\v' || line[i] == '\f')) {
      ++i;
    }
    if (i >= n) break;
    std::string cur;
    bool inq = false, insq = false, done = false;
    while (!done) {
      if (inq) {
        if (i >= n) return false;
        if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && HexValue(line[i + 2]) >= 0 &&
            HexValue(line[i + 3]) >= 0) {
          cur.push_back(static_cast<char>(HexValue(line[i + 2]) * 16 + HexValue(line[i + 3])));
          i += 3;
        } else if (line[i] == '\\' && i + 1 < n) {
          ++i;
          char c;
          switch (line[i]) {
            case 'n':
              c = '\n';
              break;
            case 'r':
              c = '\r';
              break;
            case 't':
              c = '\t';
              break;
            case 'b':
              c = '\b';
              break;
            case 'a':
              c = '\a';
              break;
            default:
              c = line[i];
              break;
          }
          cur.push_back(c);
        } else if (line[i] == '"') {
          // A closing quote must be followed by a space or the end.
          if (i + 1 < n && line[i + 1] != ' ' && line[i + 1] != '\t') return false;
          done = true;
        } else {
          cur.push_back(line[i]);
        }
      } else if (insq) {
        if (i >= n) return false;
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
          ++i;
          cur.push_back('\'');
        } else if (line[i] == '\'') {
          if (i + 1 < n && line[i + 1] != ' ' && line[i + 1] != '\t') return false;
          done = true;
        } else {
          cur.push_back(line[i]);
        }
      } else {
        if (i >= n) {
          done = true;
          break;
        }
        switch (line[i]) {
          case ' ':
          case '\n':
          case '\r':
          case '\t':
          case '\0':
            done = true;
            break;
          case '"':
            inq = true;
            break;
          case '\'':
            insq = true;
            break;
          default:
            cur.push_back(line[i]);
        }
      }
      if (i < n) ++i;
    }
    storage->push_back(std::move(cur));
  }
  for (const auto& s : *storage) args->push_back(s);
  return true;
}

}  // namespace redlink::engine
