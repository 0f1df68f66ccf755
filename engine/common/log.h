#pragma once
// Logging for redlink: one line per event, text or JSON (--log_format), with optional structured
// fields (the link id on every line about a link). Lines go to a background writer thread through
// a bounded queue, so a slow stderr never blocks an event loop; when the queue is full the line
// is dropped and counted. Never pass a secret to a log line (RedactInLogs is a safety net for
// the few process-wide secrets, not a licence).
//
// JSON lines (--log_format=json) are one object per line: {"ts","level","src",<fields>,"msg"},
// always valid UTF-8 (invalid bytes become U+FFFD). Text lines are one line per event: control
// characters in the message and in field values are escaped, so a master's error text can never
// forge a second line.

#include <atomic>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace redlink {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kFatal = 4 };

enum class LogFormat { kText, kJson };

// Configuration; call before starting threads. Any thread afterwards reads it.
void SetLogFormat(LogFormat format);
void SetMinLogLevel(LogLevel level);
LogLevel MinLogLevel();
// Parses "debug", "info", "warning", "error". Returns false for anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);
bool ParseLogFormat(std::string_view text, LogFormat* format);
// Lines dropped because the writer queue was full.
uint64_t LogLinesDropped();
// Lines emitted at `level` (queued for the writer, dropped ones excluded). Any thread.
uint64_t LogLinesEmitted(LogLevel level);
// "debug", "info", "warning", "error", "fatal".
const char* LogLevelName(LogLevel level);
// Every later line has each occurrence of `secret` replaced by "<redacted>" (in the message and
// in field values). For process-wide secrets such as the API token; call before starting
// threads. Secrets shorter than 4 bytes are ignored (they would redact ordinary words).
void RedactInLogs(std::string secret);
// Waits until every queued line is written (tests, shutdown). Any thread.
void FlushLogs();

// One log line under construction; emitted by the destructor. Any thread.
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  LogMessage(const LogMessage&) = delete;
  LogMessage& operator=(const LogMessage&) = delete;

  // Adds a structured field (link=..., step=...). Printed as key=value in text, a member in JSON.
  LogMessage& Field(std::string_view key, std::string_view value);
  LogMessage& Field(std::string_view key, int64_t value);
  // Adds suppressed=<n> when n > 0 (lines a rate limiter held back before this one).
  LogMessage& Suppressed(uint64_t n);
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  const char* file_;
  int line_;
  std::vector<std::pair<std::string, std::string>> fields_;
  std::ostringstream stream_;
};

// Lets at most one line through per period, process-wide, and counts the ones it held back
// (R44: a flapping peer must not flood the log). Any thread; lock-free.
class LogRateLimiter {
 public:
  explicit constexpr LogRateLimiter(int64_t period_ms) : period_ms_(period_ms) {}
  // True when a line may be logged now; then `*suppressed` (if given) receives the number of
  // lines refused since the last one allowed.
  bool Allow(uint64_t* suppressed = nullptr);

  // Drives LOG_EVERY_N_SEC's one-shot loop: Next() is true once if `enabled` and allowed.
  class Once {
   public:
    Once(LogRateLimiter& limiter, bool enabled) : limiter_(limiter), enabled_(enabled) {}
    bool Next() {
      if (!enabled_) return false;
      enabled_ = false;
      return limiter_.Allow(&suppressed_);
    }
    uint64_t suppressed() const { return suppressed_; }

   private:
    LogRateLimiter& limiter_;
    bool enabled_;
    uint64_t suppressed_ = 0;
  };

 private:
  const int64_t period_ms_;
  std::atomic<int64_t> next_ms_{0};
  std::atomic<uint64_t> suppressed_{0};
};

// Swallows the stream when the level is disabled.
struct LogVoidify {
  void operator&(std::ostream&) {}
};

}  // namespace redlink

#define RL_LOG_ENABLED(level) (::redlink::LogLevel::k##level >= ::redlink::MinLogLevel())

// LOG(Info) << "text";   LINK_LOG(Warning, link_id) << "text";
#define LOG(level)                \
  !RL_LOG_ENABLED(level)          \
      ? (void)0                   \
      : ::redlink::LogVoidify() & \
            ::redlink::LogMessage(::redlink::LogLevel::k##level, __FILE__, __LINE__).stream()

#define LINK_LOG(level, link_id)                                                     \
  !RL_LOG_ENABLED(level)                                                             \
      ? (void)0                                                                      \
      : ::redlink::LogVoidify() &                                                    \
            ::redlink::LogMessage(::redlink::LogLevel::k##level, __FILE__, __LINE__) \
                .Field("link", link_id)                                              \
                .stream()

// LOG_EVERY_N_SEC(Warning, 10) << "text": at most one line per 10 s from this statement, the
// first one after a quiet period carrying suppressed=<lines held back>.
#define LOG_EVERY_N_SEC(level, seconds)                                                      \
  for (::redlink::LogRateLimiter::Once rl_once_(                                             \
           []() -> ::redlink::LogRateLimiter& {                                              \
             static ::redlink::LogRateLimiter limiter(static_cast<int64_t>((seconds)*1000)); \
             return limiter;                                                                 \
           }(),                                                                              \
           RL_LOG_ENABLED(level));                                                           \
       rl_once_.Next();)                                                                     \
  ::redlink::LogMessage(::redlink::LogLevel::k##level, __FILE__, __LINE__)                   \
      .Suppressed(rl_once_.suppressed())                                                     \
      .stream()

// For true invariants only, never for data from the network.
#define CHECK(cond)                                                                            \
  (cond) ? (void)0                                                                             \
         : ::redlink::LogVoidify() &                                                           \
               ::redlink::LogMessage(::redlink::LogLevel::kFatal, __FILE__, __LINE__).stream() \
                   << "Check failed: " #cond " "

#ifdef NDEBUG
#define DCHECK(cond) \
  while (false) CHECK(cond)
#else
#define DCHECK(cond) CHECK(cond)
#endif
