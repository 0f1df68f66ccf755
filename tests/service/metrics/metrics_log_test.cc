// The logger (engine/common/log.h): JSON lines are valid JSON whatever the message holds (quotes,
// newlines, control characters, invalid UTF-8), text lines stay one line per event, secrets are
// redacted, the rate limiter lets one line through per period, and the counters count.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "engine/common/log.h"

namespace redlink {
namespace {

using nlohmann::json;

// Sends stderr to a temp file for the test's lifetime; Lines() flushes the logger and reads it.
class CaptureStderr {
 public:
  CaptureStderr() {
    char name[] = "/tmp/redlink-log-test-XXXXXX";
    fd_ = mkstemp(name);
    path_ = name;
    FlushLogs();
    saved_ = dup(STDERR_FILENO);
    dup2(fd_, STDERR_FILENO);
  }
  ~CaptureStderr() {
    FlushLogs();
    dup2(saved_, STDERR_FILENO);
    close(saved_);
    close(fd_);
    unlink(path_.c_str());
  }
  std::vector<std::string> Lines() {
    FlushLogs();
    std::ifstream in(path_, std::ios::binary);
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line)) out.push_back(line);
    return out;
  }

 private:
  int fd_ = -1;
  int saved_ = -1;
  std::string path_;
};

class LogTest : public ::testing::Test {
 protected:
  void TearDown() override {
    SetLogFormat(LogFormat::kText);
    SetMinLogLevel(LogLevel::kInfo);
  }
};

const std::string kNasty =
    std::string("quote \" backslash \\ newline \n cr \r tab \t bell \x07 del \x7f ") +
    "utf8 caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 " +
    "invalid \xff \xc3 \xe0\x80\x80 \xed\xa0\x80 \xf4\x90\x80\x80 end";

TEST_F(LogTest, JsonLinesAreValidJsonWhateverTheMessage) {
  CaptureStderr capture;
  SetLogFormat(LogFormat::kJson);
  LINK_LOG(Warning, "cache-a") << kNasty;
  LOG(Info) << "plain";
  LogMessage(LogLevel::kError, "dir/file.cc", 7)
          .Field("step", "AUTH")
          .Field("count", int64_t{42})
          .Field("msg", "a field named like a member")
          .Field("weird", kNasty)
          .stream()
      << "fields";
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& l : lines) {
    json j = json::parse(l, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(j.is_discarded()) << l;
    EXPECT_TRUE(j["ts"].is_string());
    EXPECT_TRUE(j["level"].is_string());
    EXPECT_TRUE(j["src"].is_string());
    EXPECT_TRUE(j["msg"].is_string());
  }
  json a = json::parse(lines[0]);
  EXPECT_EQ(a["level"], "warning");
  EXPECT_EQ(a["link"], "cache-a");
  std::string msg = a["msg"];
  // Valid text survives unchanged; each invalid byte became U+FFFD.
  EXPECT_NE(msg.find("quote \" backslash \\ newline \n cr \r tab \t bell \x07 del \x7f "),
            std::string::npos);
  EXPECT_NE(msg.find("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::string::npos);
  EXPECT_EQ(msg.find('\xff'), std::string::npos);
  EXPECT_NE(msg.find("invalid \xef\xbf\xbd \xef\xbf\xbd "), std::string::npos);
  json c = json::parse(lines[2]);
  EXPECT_EQ(c["src"], "file.cc:7");
  EXPECT_EQ(c["step"], "AUTH");
  EXPECT_EQ(c["count"], "42");
  EXPECT_EQ(c["msg"], "fields");  // the field did not shadow the message
  EXPECT_EQ(c["field_msg"], "a field named like a member");
}

TEST_F(LogTest, TextLinesStayOneLine) {
  CaptureStderr capture;
  LINK_LOG(Warning, "cache-a") << "step AUTH failed: " << kNasty;
  LogMessage(LogLevel::kInfo, "x.cc", 1).Field("peer", "a b=c\nd").stream() << "ok";
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[0].find(" WARNING "), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find("] link=cache-a step AUTH failed: quote \" backslash \\\\ newline \\n cr "
                          "\\r tab \\t bell \\x07 del \\x7f utf8 caf\xc3\xa9"),
            std::string::npos)
      << lines[0];
  EXPECT_NE(lines[0].find("invalid \\xff \\xc3 \\xe0\\x80\\x80"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("peer=\"a b=c\\nd\" ok"), std::string::npos) << lines[1];
}

TEST_F(LogTest, RedactsRegisteredSecrets) {
  CaptureStderr capture;
  RedactInLogs("s3cr3t-token-value");
  RedactInLogs("abc");  // too short to redact: ignored
  LOG(Info) << "user typed s3cr3t-token-value as the user name, twice: s3cr3t-token-value";
  LogMessage(LogLevel::kInfo, "x.cc", 1).Field("user", "xs3cr3t-token-valuex").stream() << "abc";
  SetLogFormat(LogFormat::kJson);
  LOG(Info) << "json s3cr3t-token-value";
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 3u);
  for (const auto& l : lines) EXPECT_EQ(l.find("s3cr3t-token-value"), std::string::npos) << l;
  EXPECT_NE(lines[0].find("name, twice: <redacted>"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("user=x<redacted>x abc"), std::string::npos) << lines[1];
  EXPECT_EQ(json::parse(lines[2])["msg"], "json <redacted>");
}

TEST_F(LogTest, LevelsFilterAndCount) {
  CaptureStderr capture;
  uint64_t warnings = LogLinesEmitted(LogLevel::kWarning);
  uint64_t debugs = LogLinesEmitted(LogLevel::kDebug);
  SetMinLogLevel(LogLevel::kWarning);
  LOG(Info) << "hidden";
  LOG(Debug) << "hidden";
  LOG(Warning) << "shown";
  SetMinLogLevel(LogLevel::kDebug);
  LOG(Debug) << "shown too";
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(LogLinesEmitted(LogLevel::kWarning), warnings + 1);
  EXPECT_EQ(LogLinesEmitted(LogLevel::kDebug), debugs + 1);
  EXPECT_STREQ(LogLevelName(LogLevel::kError), "error");
}

TEST_F(LogTest, RateLimiterOnePerPeriodAcrossThreads) {
  LogRateLimiter limiter(60 * 1000);
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) allowed += limiter.Allow() ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(allowed.load(), 1);

  LogRateLimiter fast(50);
  uint64_t suppressed = 99;
  EXPECT_TRUE(fast.Allow(&suppressed));
  EXPECT_EQ(suppressed, 0u);
  EXPECT_FALSE(fast.Allow());
  EXPECT_FALSE(fast.Allow());
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  EXPECT_TRUE(fast.Allow(&suppressed));
  EXPECT_EQ(suppressed, 2u);
}

TEST_F(LogTest, LogEveryNSecMacro) {
  CaptureStderr capture;
  for (int i = 0; i < 100; ++i) {
    LOG_EVERY_N_SEC(Warning, 60) << "flapping " << i;
  }
  // A disabled level neither logs nor uses up the period (one statement, one limiter).
  for (int i = 0; i < 4; ++i) {
    if (i == 3) SetMinLogLevel(LogLevel::kDebug);
    LOG_EVERY_N_SEC(Debug, 60) << "debug " << i;
  }
  // Works as the body of an if without braces, with an else.
  bool flag = false;
  if (flag)
    LOG_EVERY_N_SEC(Info, 60) << "not this";
  else
    LOG(Info) << "else branch";
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("flapping 0"), std::string::npos);
  EXPECT_NE(lines[1].find("debug 3"), std::string::npos);
  EXPECT_NE(lines[2].find("else branch"), std::string::npos);
}

TEST_F(LogTest, SuppressedCountOnTheNextLine) {
  CaptureStderr capture;
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 5; ++i) LOG_EVERY_N_SEC(Warning, 0.05) << "round " << round;
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
  }
  auto lines = capture.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].find("suppressed="), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("suppressed=4 round 1"), std::string::npos) << lines[1];
}

}  // namespace
}  // namespace redlink
