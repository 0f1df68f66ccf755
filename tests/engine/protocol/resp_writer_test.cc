#include "engine/protocol/resp_writer.h"

#include <gtest/gtest.h>

#include <cmath>

namespace redlink::engine {
namespace {

TEST(RespWriterTest, Commands) {
  std::string out;
  AppendCommand(&out, {"REPLCONF", "ACK", "1234"});
  EXPECT_EQ(out, "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$4\r\n1234\r\n");
  out.clear();
  AppendCommand(&out, {"PING"});
  EXPECT_EQ(out, "*1\r\n$4\r\nPING\r\n");  // the 14 bytes of protocol doc §1.3
}

TEST(RespWriterTest, Resp2DegradesResp3Types) {
  std::string out;
  ReplyWriter w(&out, 2);
  w.Null();
  w.NullArray();
  w.Double(1.5);
  w.Boolean(true);
  w.MapHeader(1);
  w.SetHeader(2);
  w.Verbatim("hi");
  EXPECT_EQ(out, "$-1\r\n*-1\r\n$3\r\n1.5\r\n:1\r\n*2\r\n*2\r\n$2\r\nhi\r\n");
}

TEST(RespWriterTest, Resp3Types) {
  std::string out;
  ReplyWriter w(&out, 3);
  w.Null();
  w.Double(1.5);
  w.Boolean(false);
  w.MapHeader(1);
  w.SetHeader(2);
  w.PushHeader(3);
  w.Verbatim("hi");
  EXPECT_EQ(out, "_\r\n,1.5\r\n#f\r\n%1\r\n~2\r\n>3\r\n=6\r\ntxt:hi\r\n");
}

TEST(RespWriterTest, DoublesAsRedis70) {
  EXPECT_EQ(FormatDouble(1.5), "1.5");
  EXPECT_EQ(FormatDouble(3), "3");
  // As redis-server 7.0.15 answers ZSCORE for these scores.
  EXPECT_EQ(FormatDouble(-0.0), "0");
  EXPECT_EQ(FormatDouble(1e17), "1e+17");
  EXPECT_EQ(FormatDouble(0.0), "0");
  EXPECT_EQ(FormatDouble(0.1), "0.10000000000000001");
  EXPECT_EQ(FormatDouble(1.5e300), "1.5000000000000001e+300");
  EXPECT_EQ(FormatDouble(HUGE_VAL), "inf");
  EXPECT_EQ(FormatDouble(-HUGE_VAL), "-inf");
}

}  // namespace
}  // namespace redlink::engine
