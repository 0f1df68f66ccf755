// RespParser: every frame type, split at every byte boundary and fed one byte at a time, and one
// test per error path. Input is copied into fresh heap buffers so ASan catches a view that
// outlives its buffer.

#include "engine/protocol/resp_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>

namespace redlink::engine {
namespace {

// Renders a value compactly to compare parse results.
std::string Show(const RespValue& v) {
  switch (v.type) {
    case RespType::kSimpleString:
      return "+" + std::string(v.str);
    case RespType::kError:
      return "-" + std::string(v.str);
    case RespType::kInteger:
      return ":" + std::to_string(v.integer);
    case RespType::kBulkString:
      return "$" + std::string(v.str);
    case RespType::kNull:
      return "null";
    case RespType::kDouble:
      return "," + std::to_string(v.dbl);
    case RespType::kBoolean:
      return v.integer ? "#t" : "#f";
    case RespType::kBigNumber:
      return "(" + std::string(v.str);
    case RespType::kBlobError:
      return "!" + std::string(v.str);
    case RespType::kVerbatim:
      return "=" + std::string(v.format) + ":" + std::string(v.str);
    case RespType::kArray:
    case RespType::kMap:
    case RespType::kSet:
    case RespType::kPush: {
      const char* open = v.type == RespType::kArray ? "["
                         : v.type == RespType::kMap ? "%{"
                         : v.type == RespType::kSet ? "~{"
                                                    : ">{";
      std::string out = open;
      for (size_t i = 0; i < v.elements.size(); ++i) {
        if (i) out += ",";
        out += Show(v.elements[i]);
      }
      return out + (v.type == RespType::kArray ? "]" : "}");
    }
  }
  return "?";
}

// Feeds `wire` growing one byte at a time (as a socket might deliver it). Every prefix but the
// whole must answer kNeedMore without consuming; the whole must parse to `expected`.
void ExpectReplyEveryPrefix(const std::string& wire, const std::string& expected) {
  RespParser parser;
  for (size_t n = 0; n < wire.size(); ++n) {
    auto buf = std::make_unique<char[]>(n + 1);
    std::memcpy(buf.get(), wire.data(), n);
    RespValue v;
    size_t consumed = 12345;
    ASSERT_EQ(parser.ParseReply(std::string_view(buf.get(), n), &v, &consumed),
              ParseResult::kNeedMore)
        << "prefix of " << n << " bytes of " << wire;
    EXPECT_EQ(consumed, 12345u);
  }
  auto buf = std::make_unique<char[]>(wire.size());
  std::memcpy(buf.get(), wire.data(), wire.size());
  RespValue v;
  size_t consumed = 0;
  ASSERT_EQ(parser.ParseReply(std::string_view(buf.get(), wire.size()), &v, &consumed),
            ParseResult::kOk)
      << parser.error();
  EXPECT_EQ(consumed, wire.size());
  EXPECT_EQ(Show(v), expected);
}

TEST(RespParserTest, EveryReplyTypeAtEveryBoundary) {
  ExpectReplyEveryPrefix("+PONG\r\n", "+PONG");
  ExpectReplyEveryPrefix("-ERR bad thing\r\n", "-ERR bad thing");
  ExpectReplyEveryPrefix(":-42\r\n", ":-42");
  ExpectReplyEveryPrefix("$5\r\nhe\r\no\r\n", "$he\r\no");
  ExpectReplyEveryPrefix("$0\r\n\r\n", "$");
  ExpectReplyEveryPrefix("$-1\r\n", "null");
  ExpectReplyEveryPrefix("*-1\r\n", "null");
  ExpectReplyEveryPrefix("_\r\n", "null");
  ExpectReplyEveryPrefix("*0\r\n", "[]");
  ExpectReplyEveryPrefix("*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n", "[:1,$a,[+x]]");
  ExpectReplyEveryPrefix(",3.5\r\n", "," + std::to_string(3.5));
  ExpectReplyEveryPrefix("#t\r\n", "#t");
  ExpectReplyEveryPrefix("#f\r\n", "#f");
  ExpectReplyEveryPrefix("(12345678901234567890\r\n", "(12345678901234567890");
  ExpectReplyEveryPrefix("!7\r\nERR bad\r\n", "!ERR bad");
  ExpectReplyEveryPrefix("=8\r\ntxt:abcd\r\n", "=txt:abcd");
  ExpectReplyEveryPrefix("%2\r\n+a\r\n:1\r\n+b\r\n:2\r\n", "%{+a,:1,+b,:2}");
  ExpectReplyEveryPrefix("~2\r\n+a\r\n+b\r\n", "~{+a,+b}");
  ExpectReplyEveryPrefix(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n", ">{$message,$ch,$m}");
  // An attribute is parsed and dropped.
  ExpectReplyEveryPrefix("|1\r\n+key\r\n+val\r\n:7\r\n", ":7");
}

TEST(RespParserTest, DoubleSpecialValues) {
  RespParser p;
  RespValue v;
  size_t c;
  ASSERT_EQ(p.ParseReply(",inf\r\n", &v, &c), ParseResult::kOk);
  EXPECT_TRUE(std::isinf(v.dbl) && v.dbl > 0);
  ASSERT_EQ(p.ParseReply(",-inf\r\n", &v, &c), ParseResult::kOk);
  EXPECT_TRUE(std::isinf(v.dbl) && v.dbl < 0);
  ASSERT_EQ(p.ParseReply(",nan\r\n", &v, &c), ParseResult::kOk);
  EXPECT_TRUE(std::isnan(v.dbl));
}

TEST(RespParserTest, ConsumesOnlyOneFrame) {
  RespParser p;
  RespValue v;
  size_t c = 0;
  std::string two = "+OK\r\n+OK\r\n";
  ASSERT_EQ(p.ParseReply(two, &v, &c), ParseResult::kOk);
  EXPECT_EQ(c, 5u);
}

// Every split of `wire` into two reads, with the parser restarting from the frame start.
void ExpectCommandEverySplit(const std::string& wire, const std::vector<std::string>& expected,
                             bool allow_inline = false) {
  for (size_t n = 0; n <= wire.size(); ++n) {
    RespParser parser;
    std::vector<std::string_view> args;
    size_t consumed = 0;
    std::string first = wire.substr(0, n);
    auto r = parser.ParseCommand(first, &args, &consumed, allow_inline);
    if (n < wire.size()) {
      ASSERT_EQ(r, ParseResult::kNeedMore) << n;
      auto whole = std::make_unique<char[]>(wire.size());
      std::memcpy(whole.get(), wire.data(), wire.size());
      r = parser.ParseCommand(std::string_view(whole.get(), wire.size()), &args, &consumed,
                              allow_inline);
      ASSERT_EQ(r, ParseResult::kOk) << parser.error();
      ASSERT_EQ(std::vector<std::string>(args.begin(), args.end()), expected);
    } else {
      ASSERT_EQ(r, ParseResult::kOk) << parser.error();
      EXPECT_EQ(std::vector<std::string>(args.begin(), args.end()), expected);
    }
    EXPECT_EQ(consumed, wire.size());
  }
}

TEST(RespParserTest, CommandsAtEverySplit) {
  ExpectCommandEverySplit("*1\r\n$4\r\nping\r\n", {"ping"});
  ExpectCommandEverySplit("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", {"SET", "k", ""});
  ExpectCommandEverySplit("*2\r\n$3\r\nGET\r\n$4\r\na\r\nb\r\n", {"GET", "a\r\nb"});
  ExpectCommandEverySplit("*0\r\n", {});
  ExpectCommandEverySplit("PING\r\n", {"PING"}, true);
  ExpectCommandEverySplit("set k \"a b\\x41\"\r\n", {"set", "k", "a bA"}, true);
  ExpectCommandEverySplit("\n", {}, true);
}

TEST(RespParserTest, StreamOfCommandsByteByByte) {
  std::string wire;
  for (int i = 0; i < 50; ++i) {
    std::string v = std::string(i, 'x');
    wire += "*3\r\n$3\r\nset\r\n$" + std::to_string(std::to_string(i).size()) + "\r\n" +
            std::to_string(i) + "\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
  }
  RespParser parser;
  std::string buf;
  int parsed = 0;
  for (char c : wire) {
    buf.push_back(c);
    for (;;) {
      std::vector<std::string_view> args;
      size_t consumed = 0;
      auto r = parser.ParseCommand(buf, &args, &consumed, false);
      ASSERT_NE(r, ParseResult::kError) << parser.error();
      if (r == ParseResult::kNeedMore) break;
      ASSERT_EQ(args.size(), 3u);
      EXPECT_EQ(args[1], std::to_string(parsed));
      EXPECT_EQ(args[2].size(), static_cast<size_t>(parsed));
      ++parsed;
      buf.erase(0, consumed);
    }
  }
  EXPECT_EQ(parsed, 50);
}

void ExpectReplyError(const std::string& wire, const std::string& needle, RespLimits limits = {}) {
  RespParser p(limits);
  RespValue v;
  size_t c;
  ASSERT_EQ(p.ParseReply(wire, &v, &c), ParseResult::kError) << wire;
  EXPECT_NE(p.error().message().find(needle), std::string::npos) << p.error();
  // Sticky.
  EXPECT_EQ(p.ParseReply("+OK\r\n", &v, &c), ParseResult::kError);
  p.Reset();
  EXPECT_EQ(p.ParseReply("+OK\r\n", &v, &c), ParseResult::kOk);
}

TEST(RespParserTest, ReplyErrors) {
  ExpectReplyError("?x\r\n", "unexpected type byte '?'");
  ExpectReplyError(":abc\r\n", "bad integer");
  ExpectReplyError(":1 \r\n", "bad integer");
  ExpectReplyError("$abc\r\n", "invalid bulk length");
  ExpectReplyError("$-2\r\n", "invalid bulk length");
  ExpectReplyError("$3\r\nabcd\r\n", "not followed by CRLF");
  ExpectReplyError("*x\r\n", "invalid multibulk length");
  ExpectReplyError("#x\r\n", "bad boolean");
  ExpectReplyError(",abc\r\n", "bad double");
  ExpectReplyError("_x\r\n", "bad null");
  ExpectReplyError("=3\r\nabc\r\n", "verbatim");
  ExpectReplyError("%-1\r\n", "aggregate length");
  ExpectReplyError("!-1\r\n", "bulk length");
  // A declared length over the limit is refused before any byte of it arrives.
  ExpectReplyError("$4294967296\r\n", "exceeds the limit");
  RespLimits small;
  small.max_depth = 3;
  ExpectReplyError("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", "nesting deeper than 3", small);
  small.max_array_len = 2;
  ExpectReplyError("*3\r\n", "exceeds the limit", small);
  RespLimits line;
  line.max_inline_len = 16;
  ExpectReplyError("+" + std::string(40, 'a'), "longer than 16", line);
}

TEST(RespParserTest, HugeAnnouncedAggregateDoesNotAllocate) {
  RespParser p;
  RespValue v;
  size_t c;
  // Two billion elements announced, three sent: the parser waits, it does not reserve.
  EXPECT_EQ(p.ParseReply("*2000000000\r\n:1\r\n:2\r\n:3\r\n", &v, &c), ParseResult::kNeedMore);
  EXPECT_LE(v.elements.capacity(), 64u);
}

TEST(RespParserTest, CommandErrors) {
  auto expect = [](const std::string& wire, const std::string& needle, bool inline_ok,
                   RespLimits limits = {}) {
    RespParser p(limits);
    std::vector<std::string_view> args;
    size_t c;
    ASSERT_EQ(p.ParseCommand(wire, &args, &c, inline_ok), ParseResult::kError) << wire;
    EXPECT_NE(p.error().message().find(needle), std::string::npos) << p.error();
  };
  expect("*1\r\n:1\r\n", "expected '$', got ':'", false);
  expect("*1\r\n$x\r\n", "invalid bulk length", false);
  expect("*1\r\n$-1\r\n", "invalid bulk length", false);
  expect("*1\r\n$2\r\nabc\r\n", "not followed by CRLF", false);
  expect("*z\r\n", "invalid multibulk length", false);
  expect("PING\r\n", "inline protocol", false);
  expect("set \"unbalanced\r\n", "unbalanced quotes", true);
  RespLimits limits;
  limits.max_bulk_len = 10;
  expect("*1\r\n$11\r\n", "exceeds the limit of 10", false, limits);
  limits.max_inline_len = 8;
  expect(std::string(20, 'a'), "too big inline request", true, limits);
}

TEST(RespParserTest, NeedMoreHintAvoidsRescanning) {
  // A large bulk arriving in small pieces: once the header was read, partial payloads are
  // answered without rescanning (the hint says how many bytes are needed).
  RespParser p;
  std::vector<std::string_view> args;
  size_t c;
  std::string wire = "*1\r\n$100000\r\n" + std::string(100000, 'z') + "\r\n";
  std::string buf;
  for (size_t i = 0; i < wire.size(); i += 1000) {
    buf.append(wire.substr(i, 1000));
    auto r = p.ParseCommand(buf, &args, &c, false);
    if (buf.size() < wire.size()) {
      ASSERT_EQ(r, ParseResult::kNeedMore);
    } else {
      ASSERT_EQ(r, ParseResult::kOk);
      EXPECT_EQ(args[0].size(), 100000u);
    }
  }
}

TEST(InlineArgsTest, RedisQuotingRules) {
  std::vector<std::string_view> args;
  std::vector<std::string> storage;
  ASSERT_TRUE(SplitInlineArgs("  a  'b c' \"d\\n\\\"e\" ''", &args, &storage));
  ASSERT_EQ(args.size(), 4u);
  EXPECT_EQ(args[0], "a");
  EXPECT_EQ(args[1], "b c");
  EXPECT_EQ(args[2], "d\n\"e");
  EXPECT_EQ(args[3], "");
  EXPECT_FALSE(SplitInlineArgs("\"abc\"def", &args, &storage));
  EXPECT_FALSE(SplitInlineArgs("'abc", &args, &storage));
  ASSERT_TRUE(SplitInlineArgs("'it\\'s'", &args, &storage));
  EXPECT_EQ(args[0], "it's");
}

}  // namespace
}  // namespace redlink::engine
