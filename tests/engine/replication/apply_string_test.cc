// Strings and bitmaps through ApplyCommand: SET and every option, SETNX/SETEX/PSETEX, GETSET,
// GETDEL, GETEX, APPEND, SETRANGE, the INCR family, MSET[NX], SETBIT, BITFIELD, BITOP; errors
// leave the keyspace unchanged.
#include <gtest/gtest.h>

#include "tests/engine/replication/apply_fixture.h"

namespace redlink::testing {
namespace {

class ApplyStringTest : public ApplyFamilyTest {
 protected:
  int64_t PexpireTime(const std::string& k) { return std::stoll(h.Get({"PEXPIRETIME", k})); }
};

TEST_F(ApplyStringTest, SetForms) {
  int64_t at = WallMs() + 100000;
  Ok({"SET", "a", "1"});
  EXPECT_EQ(h.Get({"GET", "a"}), "1");
  Ok({"set", "a", "2", "PXAT", std::to_string(at)});
  EXPECT_EQ(PexpireTime("a"), at);
  Ok({"SET", "a", "3", "KEEPTTL"});
  EXPECT_EQ(h.Get({"GET", "a"}), "3");
  EXPECT_EQ(PexpireTime("a"), at);
  Ok({"SET", "a", "4"});  // plain SET drops the TTL
  EXPECT_EQ(PexpireTime("a"), -1);
  Ok({"SET", "a", "5", "NX"});
  EXPECT_EQ(h.Get({"GET", "a"}), "4");
  Ok({"SET", "b", "5", "XX"});
  EXPECT_EQ(h.Get({"EXISTS", "b"}), "0");
  Ok({"SET", "a", "6", "XX", "GET"});
  EXPECT_EQ(h.Get({"GET", "a"}), "6");
  Ok({"SET", "c", "x", "EXAT", std::to_string(at / 1000)});
  EXPECT_EQ(PexpireTime("c"), at / 1000 * 1000);
  int64_t now = WallMs() + 1000000;
  h.ctx.now_ms = now;  // relative forms count from the applier's clock
  Ok({"SET", "d", "x", "EX", "10"});
  EXPECT_EQ(PexpireTime("d"), now + 10000);
  Ok({"SET", "d", "x", "PX", "10"});
  EXPECT_EQ(PexpireTime("d"), now + 10);
  // A TTL in the past is kept on a replica (the master sends DEL when it expires).
  Ok({"SET", "e", "x", "PXAT", "5"});
  EXPECT_EQ(h.ks.KeyCount(0), 4u);         // a c d e
  EXPECT_EQ(h.Get({"EXISTS", "e"}), "0");  // hidden from reads, still there
  Ok({"SETNX", "a", "zz"});
  EXPECT_EQ(h.Get({"GET", "a"}), "6");
  Ok({"SETNX", "f", "zz"});
  EXPECT_EQ(h.Get({"GET", "f"}), "zz");
  Ok({"SETEX", "g", "10", "v"});
  EXPECT_EQ(PexpireTime("g"), now + 10000);
  Ok({"PSETEX", "g", "10", "w"});
  EXPECT_EQ(PexpireTime("g"), now + 10);
}

TEST_F(ApplyStringTest, SetErrors) {
  Ok({"RPUSH", "l", "x"});
  Fails({"SET", "a", "1", "NX", "XX"}, "ERR syntax error");
  Fails({"SET", "a", "1", "EX", "10", "PX", "10"}, "ERR syntax error");
  Fails({"SET", "a", "1", "KEEPTTL", "EX", "10"}, "ERR syntax error");
  Fails({"SET", "a", "1", "EX"}, "ERR syntax error");
  Fails({"SET", "a", "1", "EX", "0"}, "ERR invalid expire time in 'set' command");
  Fails({"SET", "a", "1", "PX", "-5"}, "ERR invalid expire time in 'set' command");
  Fails({"SET", "a", "1", "EX", "x"}, "ERR value is not an integer or out of range");
  Fails({"SET", "a", "1", "EX", "9223372036854775807"}, "ERR invalid expire time");
  Fails({"SET", "l", "1", "GET"}, "WRONGTYPE");
  Fails({"SETEX", "a", "0", "v"}, "ERR invalid expire time in 'setex' command");
  Fails({"SET", "a"}, "ERR wrong number of arguments for 'set' command");
  Fails({"GETSET", "l", "v"}, "WRONGTYPE");
  Fails({"GETDEL", "l"}, "WRONGTYPE");
  Fails({"GETEX", "l", "PERSIST"}, "WRONGTYPE");
  // SET without GET overwrites any type.
  Ok({"SET", "l", "now-a-string"});
  EXPECT_EQ(h.Get({"TYPE", "l"}), "string");
}

TEST_F(ApplyStringTest, GetsetGetdelGetex) {
  int64_t at = WallMs() + 50000;
  Ok({"SET", "a", "1", "PXAT", std::to_string(at)});
  Ok({"GETSET", "a", "2"});
  EXPECT_EQ(h.Get({"GET", "a"}), "2");
  EXPECT_EQ(PexpireTime("a"), -1);
  Ok({"GETEX", "a", "PXAT", std::to_string(at)});
  EXPECT_EQ(PexpireTime("a"), at);
  Ok({"GETEX", "a"});
  EXPECT_EQ(PexpireTime("a"), at);
  Ok({"GETEX", "a", "PERSIST"});
  EXPECT_EQ(PexpireTime("a"), -1);
  Ok({"GETEX", "missing", "EX", "5"});
  EXPECT_EQ(h.ks.KeyCount(0), 1u);
  Ok({"GETDEL", "a"});
  EXPECT_EQ(h.ks.KeyCount(0), 0u);
  Ok({"GETDEL", "a"});
}

TEST_F(ApplyStringTest, AppendAndSetrange) {
  Ok({"APPEND", "a", "hello"});
  Ok({"APPEND", "a", " world"});
  EXPECT_EQ(h.Get({"GET", "a"}), "hello world");
  Ok({"SET", "n", "12"});
  Ok({"APPEND", "n", "34"});
  EXPECT_EQ(h.Get({"GET", "n"}), "1234");
  Ok({"SETRANGE", "a", "6", "WORLD"});
  EXPECT_EQ(h.Get({"GET", "a"}), "hello WORLD");
  Ok({"SETRANGE", "a", "13", "!"});
  EXPECT_EQ(h.Read({"GET", "a"}), std::string("$14\r\nhello WORLD\0\0!\r\n", 21));
  Ok({"SETRANGE", "z", "3", "ab"});
  EXPECT_EQ(h.Read({"GET", "z"}), std::string("$5\r\n\0\0\0ab\r\n", 11));
  Ok({"SETRANGE", "empty", "5", ""});  // nothing set on a missing key
  EXPECT_EQ(h.Get({"EXISTS", "empty"}), "0");
  int64_t at = WallMs() + 50000;
  Ok({"PEXPIREAT", "a", std::to_string(at)});
  Ok({"APPEND", "a", "?"});
  EXPECT_EQ(PexpireTime("a"), at);  // APPEND keeps the TTL
  Fails({"SETRANGE", "a", "-1", "x"}, "ERR offset is out of range");
  Fails({"SETRANGE", "a", "x", "x"}, "ERR value is not an integer or out of range");
  Ok({"LPUSH", "l", "x"});
  Fails({"APPEND", "l", "x"}, "WRONGTYPE");
  Fails({"SETRANGE", "l", "0", "x"}, "WRONGTYPE");
}

TEST_F(ApplyStringTest, IncrFamily) {
  int64_t at = WallMs() + 50000;
  Ok({"INCR", "c"});
  Ok({"INCRBY", "c", "41"});
  EXPECT_EQ(h.Get({"GET", "c"}), "42");
  Ok({"PEXPIREAT", "c", std::to_string(at)});
  Ok({"DECR", "c"});
  Ok({"DECRBY", "c", "-10"});
  EXPECT_EQ(h.Get({"GET", "c"}), "51");
  EXPECT_EQ(PexpireTime("c"), at);  // the TTL stays
  Ok({"INCRBYFLOAT", "f", "10.5"});
  Ok({"INCRBYFLOAT", "f", "0.1"});
  EXPECT_EQ(h.Get({"GET", "f"}), "10.6");
  Ok({"INCRBYFLOAT", "f", "-10.6"});
  EXPECT_EQ(h.Get({"GET", "f"}), "0");
  Ok({"SET", "e", "5.0e3"});
  Ok({"INCRBYFLOAT", "e", "1"});
  EXPECT_EQ(h.Get({"GET", "e"}), "5001");
  Ok({"SET", "big", "9223372036854775807"});
  Fails({"INCR", "big"}, "ERR increment or decrement would overflow");
  Fails({"DECRBY", "big", "-9223372036854775808"}, "ERR decrement would overflow");
  Ok({"SET", "s", "abc"});
  Fails({"INCR", "s"}, "ERR value is not an integer or out of range");
  Ok({"SET", "s", " 1"});
  Fails({"INCR", "s"}, "ERR value is not an integer or out of range");
  Fails({"INCRBY", "c", "1.5"}, "ERR value is not an integer or out of range");
  Fails({"INCRBYFLOAT", "s", "1"}, "ERR value is not a valid float");
  Fails({"INCRBYFLOAT", "f", "nan"}, "ERR value is not a valid float");
  // Long double arithmetic: past DBL_MAX is fine, past LDBL_MAX is not.
  Ok({"SET", "h", "1.7976931348623157e308"});
  Ok({"INCRBYFLOAT", "h", "1.7976931348623157e308"});
  Ok({"SET", "h", "1e4932"});
  Fails({"INCRBYFLOAT", "h", "1e4932"}, "ERR increment would produce NaN or Infinity");
  Ok({"RPUSH", "l", "1"});
  Fails({"INCR", "l"}, "WRONGTYPE");
}

TEST_F(ApplyStringTest, MsetAndMsetnx) {
  int64_t at = WallMs() + 50000;
  Ok({"SET", "a", "0", "PXAT", std::to_string(at)});
  Ok({"MSET", "a", "1", "b", "2"});
  EXPECT_EQ(h.Get({"MGET", "a", "b"}), "[1 2]");
  EXPECT_EQ(PexpireTime("a"), -1);
  Ok({"MSETNX", "b", "9", "c", "9"});
  EXPECT_EQ(h.Get({"EXISTS", "c"}), "0");
  Ok({"MSETNX", "c", "3", "d", "4"});
  EXPECT_EQ(h.Get({"MGET", "c", "d"}), "[3 4]");
  Fails({"MSET", "a", "1", "b"}, "ERR wrong number of arguments for 'mset' command");
}

TEST_F(ApplyStringTest, Setbit) {
  Ok({"SETBIT", "b", "7", "1"});
  EXPECT_EQ(h.Read({"GET", "b"}), "$1\r\n\x01\r\n");
  Ok({"SETBIT", "b", "0", "1"});
  Ok({"SETBIT", "b", "17", "1"});
  EXPECT_EQ(h.Read({"GET", "b"}), std::string("$3\r\n\x81\0\x40\r\n", 9));
  Ok({"SETBIT", "b", "7", "0"});
  EXPECT_EQ(h.Get({"BITCOUNT", "b"}), "2");
  Ok({"SETBIT", "z", "20", "0"});  // creates a zeroed 3-byte string
  EXPECT_EQ(h.Get({"STRLEN", "z"}), "3");
  Fails({"SETBIT", "b", "-1", "1"}, "ERR bit offset is not an integer or out of range");
  Fails({"SETBIT", "b", "1", "2"}, "ERR bit is not an integer or out of range");
  Ok({"SADD", "s", "x"});
  Fails({"SETBIT", "s", "1", "1"}, "WRONGTYPE");
}

TEST_F(ApplyStringTest, Bitfield) {
  Ok({"BITFIELD", "bf", "SET", "u8", "0", "255", "SET", "i8", "8", "-2", "INCRBY", "u4", "#4",
      "3"});
  // "#4" with u4 addresses bit 16.
  EXPECT_EQ(h.Get({"BITFIELD_RO", "bf", "GET", "u8", "0", "GET", "i8", "8", "GET", "u4", "16"}),
            "[255 -2 3]");
  // Overflow handling: WRAP (default), SAT, FAIL.
  Ok({"BITFIELD", "bf", "INCRBY", "u8", "0", "10"});
  EXPECT_EQ(h.Get({"BITFIELD_RO", "bf", "GET", "u8", "0"}), "[9]");
  Ok({"BITFIELD", "bf", "OVERFLOW", "SAT", "INCRBY", "i8", "8", "-200"});
  EXPECT_EQ(h.Get({"BITFIELD_RO", "bf", "GET", "i8", "8"}), "[-128]");
  Ok({"BITFIELD", "bf", "OVERFLOW", "FAIL", "INCRBY", "i8", "8", "-1", "OVERFLOW", "WRAP", "INCRBY",
      "i8", "8", "-1"});
  EXPECT_EQ(h.Get({"BITFIELD_RO", "bf", "GET", "i8", "8"}), "[127]");
  Ok({"BITFIELD", "g", "GET", "u8", "0"});  // a read creates nothing
  EXPECT_EQ(h.Get({"EXISTS", "g"}), "0");
  Ok({"BITFIELD", "w", "SET", "i64", "0", "-1"});
  EXPECT_EQ(h.Get({"STRLEN", "w"}), "8");
  Fails({"BITFIELD", "bf", "SET", "u64", "0", "1"}, "ERR Invalid bitfield type");
  Fails({"BITFIELD", "bf", "SET", "u8", "-1", "1"}, "ERR bit offset is not an integer");
  Fails({"BITFIELD", "bf", "OVERFLOW", "X"}, "ERR Invalid OVERFLOW type specified");
  Fails({"BITFIELD", "bf", "FOO"}, "ERR syntax error");
  Fails({"BITFIELD", "bf", "SET", "u8", "0", "x"}, "ERR value is not an integer");
}

TEST_F(ApplyStringTest, Bitop) {
  Ok({"SET", "a", "\xf0\x0f"});
  Ok({"SET", "b", "\xff"});
  Ok({"BITOP", "AND", "r", "a", "b"});
  EXPECT_EQ(h.Read({"GET", "r"}), std::string("$2\r\n\xf0\0\r\n", 8));
  Ok({"BITOP", "or", "r", "a", "b", "missing"});
  EXPECT_EQ(h.Read({"GET", "r"}), "$2\r\n\xff\x0f\r\n");
  Ok({"BITOP", "XOR", "r", "a", "b"});
  EXPECT_EQ(h.Read({"GET", "r"}), "$2\r\n\x0f\x0f\r\n");
  Ok({"BITOP", "NOT", "r", "a"});
  EXPECT_EQ(h.Read({"GET", "r"}), "$2\r\n\x0f\xf0\r\n");
  Ok({"BITOP", "AND", "r", "missing1", "missing2"});  // empty result deletes the target
  EXPECT_EQ(h.Get({"EXISTS", "r"}), "0");
  Fails({"BITOP", "NOT", "r", "a", "b"}, "ERR BITOP NOT must be called with a single source key.");
  Fails({"BITOP", "NAND", "r", "a"}, "ERR syntax error");
  Ok({"LPUSH", "l", "x"});
  Fails({"BITOP", "OR", "r", "a", "l"}, "WRONGTYPE");
}

}  // namespace
}  // namespace redlink::testing
