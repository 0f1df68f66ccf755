#include "engine/common/log.h"

#include <unistd.h>

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

constexpr size_t kMaxQueuedLines = 16384;

const char* LevelName(LogLevel level) {
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

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (unsigned char c : s) {
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
          char buf[8];
          snprintf(buf, sizeof(buf), "\\u%04x", c);
          out->append(buf);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

// Text values with spaces or quotes are quoted, so a line stays machine-splittable.
void AppendTextValue(std::string* out, std::string_view s) {
  bool plain = !s.empty();
  for (unsigned char c : s) {
    if (c <= ' ' || c == '"' || c == '=' || c >= 0x7f) {
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

// The writer thread: lines are written in order, one write(2) per batch.
class LogWriter {
 public:
  static LogWriter& Get() {
    static LogWriter* writer = new LogWriter();  // never destroyed: logs may come at exit
    return *writer;
  }

  void Push(std::string line, bool fatal) {
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

LogMessage::~LogMessage() {
  std::string_view base = file_;
  if (auto pos = base.rfind('/'); pos != std::string_view::npos) base.remove_prefix(pos + 1);
  std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", absl::Now(), absl::UTCTimeZone());
  std::string msg = stream_.str();
  std::string out;
  out.reserve(msg.size() + 96);
  if (g_format.load(std::memory_order_relaxed) == LogFormat::kJson) {
    out.append("{\"ts\":\"").append(ts).append("\",\"level\":\"").append(LevelName(level_));
    out.append("\",\"src\":\"").append(base).append(":").append(StrCat(line_)).append("\"");
    for (const auto& [k, v] : fields_) {
      out.push_back(',');
      AppendJsonString(&out, k);
      out.push_back(':');
      AppendJsonString(&out, v);
    }
    out.append(",\"msg\":");
    AppendJsonString(&out, msg);
    out.append("}\n");
  } else {
    out.append(ts).push_back(' ');
    std::string level = absl::AsciiStrToUpper(LevelName(level_));
    out.append(level).append(" ").append(base).append(":").append(StrCat(line_)).append("]");
    for (const auto& [k, v] : fields_) {
      out.push_back(' ');
      out.append(k).push_back('=');
      AppendTextValue(&out, v);
    }
    out.push_back(' ');
    out.append(msg).push_back('\n');
  }
  LogWriter::Get().Push(std::move(out), level_ == LogLevel::kFatal);
}

}  // namespace redlink
