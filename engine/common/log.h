#pragma once
// Logging for redlink: one line per event, text or JSON (--log_format), with optional structured
// fields (the link id on every line about a link). Lines go to a background writer thread through
// a bounded queue, so a slow stderr never blocks an event loop; when the queue is full the line
// is dropped and counted. Never pass a secret to a log line.

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
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  const char* file_;
  int line_;
  std::vector<std::pair<std::string, std::string>> fields_;
  std::ostringstream stream_;
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
