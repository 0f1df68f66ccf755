#include "engine/common/log.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "engine/common/strings.h"

namespace redlink {
namespace {

std::atomic<LogFormat> g_format{LogFormat::kText};
std::atomic<int> g_min_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<uint64_t> g_dropped{0};
std::atomic<uint64_t> g_emitted[5] = {};
// Secrets to redact: replaced wholesale by RedactInLogs (old lists are leaked on purpose: a line
// being formatted may still read them, and there are one or two per process).
std::atomic<const std::vector<std::string>*> g_redact{nullptr};
std::mutex g_redact_mu;  // serialises RedactInLogs

constexpr size_t kMaxQueuedLines = 16384;
constexpr std::string_view kRedacted = "<redacted>";

// Length of the valid UTF-8 sequence starting at s[i], or 0 when the byte there does not start
// one (stray continuation byte, overlong form, surrogate, beyond U+10FFFF, truncated).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
      (cp >= 0xd800 && cp <= 0xdfff)) {
    return 0;
  }
  return n;
}

void AppendHexByte(std::string* out, const char* prefix, unsigned char c) {
  char buf[8];
  snprintf(buf, sizeof(buf), "%s%02x", prefix, c);
  out->append(buf);
}

// A JSON string literal of `s`; bytes that are not valid UTF-8 become U+FFFD.
void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          AppendHexByte(out, "\\u00", c);
        } else if (c >= 0x80) {
          size_t n = Utf8SequenceLength(s, i);
          if (n == 0) {
            out->append("\\ufffd");
          } else {
            out->append(s.substr(i, n));
            i += n;
            continue;
          }
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out->push_back('"');
}

// Text messages stay on one line: control characters are escaped (\n, \r, \t, \xNN), as are
// bytes that are not valid UTF-8 (and a backslash, so the escaping is unambiguous).
void AppendTextMessage(std::string* out, std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c == '\\') {
      out->append("\\\\");
    } else if (c < 0x20 || c == 0x7f) {
      AppendHexByte(out, "\\x", c);
    } else if (c >= 0x80) {
      size_t n = Utf8SequenceLength(s, i);
      if (n == 0) {
        AppendHexByte(out, "\\x", c);
      } else {
        out->append(s.substr(i, n));
        i += n;
        continue;
      }
    } else {
      out->push_back(static_cast<char>(c));
    }
    ++i;
  }
}

// Text values with spaces, quotes or anything unusual are quoted (JSON string syntax), so a line
// stays machine-splittable.
void AppendTextValue(std::string* out, std::string_view s) {
  bool plain = !s.empty();
  for (unsigned char c : s) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) {
      plain = false;
      break;
    }
  }
  if (plain) {
    out->append(s);
  } else {
    AppendJsonString(out, s);
  }
}

// Replaces every occurrence of each registered secret in `s`.
void Redact(std::string* s, const std::vector<std::string>& secrets) {
  for (const auto& secret : secrets) {
    for (size_t pos = s->find(secret); pos != std::string::npos;
         pos = s->find(secret, pos + kRedacted.size())) {
      s->replace(pos, secret.size(), kRedacted);
    }
  }
}

// The writer thread: lines are written in order, one write(2) per batch.
class LogWriter {
 public:
  static LogWriter& Get() {
    static LogWriter* writer = new LogWriter();  // never destroyed: logs may come at exit
    return *writer;
  }

  void Push(std::string line, LogLevel level) {
    bool fatal = level == LogLevel::kFatal;
    if (fatal) {
      // Fatal: write synchronously after what is queued, then abort.
      Flush();
      WriteAll(line);
      std::abort();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (queue_.size() >= kMaxQueuedLines) {
        g_dropped.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      queue_.push_back(std::move(line));
      ++pushed_;
    }
    g_emitted[static_cast<int>(level)].fetch_add(1, std::memory_order_relaxed);
    cv_.notify_one();
  }

  void Flush() {
    std::unique_lock<std::mutex> lock(mu_);
    uint64_t target = pushed_;
    done_cv_.wait(lock, [&] { return written_ >= target; });
  }

 private:
  LogWriter() {
    std::thread([this] { Run(); }).detach();
  }

  static void WriteAll(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::write(STDERR_FILENO, s.data(), s.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return;
      }
      s.remove_prefix(static_cast<size_t>(n));
    }
  }

  void Run() {
    std::deque<std::string> batch;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [&] { return !queue_.empty(); });
        batch.swap(queue_);
      }
      std::string out;
      for (auto& line : batch) out.append(line);
      WriteAll(out);
      {
        std::lock_guard<std::mutex> lock(mu_);
        written_ += batch.size();
      }
      done_cv_.notify_all();
      batch.clear();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable done_cv_;
  std::deque<std::string> queue_;
  uint64_t pushed_ = 0;
  uint64_t written_ = 0;
};

}  // namespace

void SetLogFormat(LogFormat format) { g_format.store(format); }
void SetMinLogLevel(LogLevel level) { g_min_level.store(static_cast<int>(level)); }
LogLevel MinLogLevel() {
  return static_cast<LogLevel>(g_min_level.load(std::memory_order_relaxed));
}
uint64_t LogLinesDropped() { return g_dropped.load(); }
uint64_t LogLinesEmitted(LogLevel level) {
  int i = static_cast<int>(level);
  return i >= 0 && i < 5 ? g_emitted[i].load(std::memory_order_relaxed) : 0;
}

const char* LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
    case LogLevel::kFatal:
      return "fatal";
  }
  return "info";
}

void RedactInLogs(std::string secret) {
  if (secret.size() < 4) return;
  std::lock_guard<std::mutex> lock(g_redact_mu);
  const auto* old = g_redact.load();
  auto* next = old ? new std::vector<std::string>(*old) : new std::vector<std::string>();
  for (const auto& s : *next) {
    if (s == secret) return;  // `next` leaks, like the old lists
  }
  next->push_back(std::move(secret));
  // Longest first, so a secret that contains another is replaced whole.
  std::sort(next->begin(), next->end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  g_redact.store(next);
}

bool LogRateLimiter::Allow(uint64_t* suppressed) {
  int64_t now = absl::ToUnixMillis(absl::Now());
  int64_t next = next_ms_.load(std::memory_order_relaxed);
  if (now < next || !next_ms_.compare_exchange_strong(next, now + period_ms_)) {
    suppressed_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  uint64_t held = suppressed_.exchange(0, std::memory_order_relaxed);
  if (suppressed) *suppressed = held;
  return true;
}
void FlushLogs() { LogWriter::Get().Flush(); }

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  std::string t = absl::AsciiStrToLower(std::string(text));
  if (t == "debug")
    *level = LogLevel::kDebug;
  else if (t == "info")
    *level = LogLevel::kInfo;
  else if (t == "warning" || t == "warn")
    *level = LogLevel::kWarning;
  else if (t == "error")
    *level = LogLevel::kError;
  else
    return false;
  return true;
}

bool ParseLogFormat(std::string_view text, LogFormat* format) {
  std::string t = absl::AsciiStrToLower(std::string(text));
  if (t == "text")
    *format = LogFormat::kText;
  else if (t == "json")
    *format = LogFormat::kJson;
  else
    return false;
  return true;
}

LogMessage::LogMessage(LogLevel level, const char* file, int line)
    : level_(level), file_(file), line_(line) {}

LogMessage& LogMessage::Field(std::string_view key, std::string_view value) {
  fields_.emplace_back(std::string(key), std::string(value));
  return *this;
}

LogMessage& LogMessage::Field(std::string_view key, int64_t value) {
  fields_.emplace_back(std::string(key), StrCat(value));
  return *this;
}

LogMessage& LogMessage::Suppressed(uint64_t n) {
  if (n > 0) fields_.emplace_back("suppressed", StrCat(n));
  return *this;
}

LogMessage::~LogMessage() {
  std::string_view base = file_;
  if (auto pos = base.rfind('/'); pos != std::string_view::npos) base.remove_prefix(pos + 1);
  std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
  std::string msg = stream_.str();
  if (const auto* secrets = g_redact.load(std::memory_order_acquire)) {
    Redact(&msg, *secrets);
    for (auto& field : fields_) Redact(&field.second, *secrets);
  }
  std::string out;
  out.reserve(msg.size() + 96);
  if (g_format.load(std::memory_order_relaxed) == LogFormat::kJson) {
    out.append("{\"ts\":\"").append(ts).append("\",\"level\":\"").append(LogLevelName(level_));
    out.append("\",\"src\":");
    AppendJsonString(&out, StrCat(base, ":", line_));
    for (const auto& [k, v] : fields_) {
      out.push_back(',');
      // A field never shadows one of the fixed members.
      bool reserved = k == "ts" || k == "level" || k == "src" || k == "msg";
      AppendJsonString(&out, reserved ? StrCat("field_", k) : k);
      out.push_back(':');
      AppendJsonString(&out, v);
    }
    out.append(",\"msg\":");
    AppendJsonString(&out, msg);
    out.append("}\n");
  } else {
    out.append(ts).push_back(' ');
    std::string level = absl::AsciiStrToUpper(LogLevelName(level_));
    out.append(level).append(" ").append(base).append(":").append(StrCat(line_)).append("]");
    for (const auto& [k, v] : fields_) {
      out.push_back(' ');
      out.append(k).push_back('=');
      AppendTextValue(&out, v);
    }
    out.push_back(' ');
    AppendTextMessage(&out, msg);
    out.push_back('\n');
  }
  LogWriter::Get().Push(std::move(out), level_);
}

}  // namespace redlink
