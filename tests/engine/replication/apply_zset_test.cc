// Sorted sets and GEO through ApplyCommand: ZADD options, ZINCRBY, ZREM, the range removals,
// the store commands with WEIGHTS/AGGREGATE, ZRANGESTORE, pops (the master's ZPOPMIN/ZPOPMAX
// count form), ZMPOP, blocking forms, GEOADD and the GEO stores.
#include <gtest/gtest.h>

#include "engine/common/strings.h"
#include "tests/engine/replication/apply_fixture.h"

namespace redlink::testing {
namespace {

class ApplyZsetTest : public ApplyFamilyTest {
 protected:
  std::string All(const std::string& k) { return h.Get({"ZRANGE", k, "0", "-1", "WITHSCORES"}); }
};

TEST_F(ApplyZsetTest, ZaddOptions) {
  Ok({"ZADD", "z", "1", "a", "2", "b"});
  Ok({"ZADD", "z", "NX", "5", "a", "3", "c"});
  EXPECT_EQ(All("z"), "[a 1 b 2 c 3]");
  Ok({"ZADD", "z", "XX", "CH", "0", "c", "9", "d"});
  EXPECT_EQ(All("z"), "[c 0 a 1 b 2]");
  Ok({"ZADD", "z", "GT", "1", "b", "3", "a"});
  EXPECT_EQ(All("z"), "[c 0 b 2 a 3]");
  Ok({"ZADD", "z", "LT", "5", "b", "-1", "a", "7", "e"});  // GT/LT still add new members
  EXPECT_EQ(All("z"), "[a -1 c 0 b 2 e 7]");
  Ok({"ZADD", "z", "INCR", "2.5", "a"});
  Ok({"ZINCRBY", "z", "-1", "b"});
  EXPECT_EQ(All("z"), "[c 0 b 1 a 1.5 e 7]");
  Ok({"ZADD", "z", "+inf", "top", "-inf", "bottom"});
  EXPECT_EQ(h.Get({"ZSCORE", "z", "top"}), "inf");
  Fails({"ZINCRBY", "z", "-inf", "top"}, "ERR resulting score is not a number (NaN)");
  Fails({"ZADD", "z", "NX", "XX", "1", "a"}, "ERR XX and NX options at the same time");
  Fails({"ZADD", "z", "GT", "LT", "1", "a"}, "ERR GT, LT, and/or NX options");
  Fails({"ZADD", "z", "INCR", "1", "a", "2", "b"}, "ERR INCR option supports a single");
  Fails({"ZADD", "z", "1", "a", "2"}, "ERR syntax error");
  Fails({"ZADD", "z", "x", "a"}, "ERR value is not a valid float");
  Fails({"ZADD", "z", "nan", "a"}, "ERR value is not a valid float");
  Ok({"SET", "s", "x"});
  Fails({"ZADD", "s", "1", "a"}, "WRONGTYPE");
  // A GEOADD reaches a replica as lower-case "zadd" with 52-bit integer scores.
  Ok({"zadd", "geo", "3479099956230698", "Palermo"});
  EXPECT_EQ(h.Get({"GEOHASH", "geo", "Palermo"}), "[sqc8b49rny0]");
}

TEST_F(ApplyZsetTest, RangeRemovals) {
  Args add = {"ZADD", "z"};
  for (int i = 0; i < 10; ++i) add.insert(add.end(), {std::to_string(i), StrCat("m", i)});
  Ok(add);
  Ok({"ZREMRANGEBYSCORE", "z", "(1", "3"});
  Ok({"ZREMRANGEBYRANK", "z", "-2", "-1"});
  EXPECT_EQ(h.Get({"ZRANGE", "z", "0", "-1"}), "[m0 m1 m4 m5 m6 m7]");
  Ok({"ZREMRANGEBYSCORE", "z", "-inf", "(0"});
  Ok({"ZREMRANGEBYRANK", "z", "10", "20"});
  EXPECT_EQ(h.Get({"ZCARD", "z"}), "6");
  Ok({"ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d"});
  Ok({"ZREMRANGEBYLEX", "lex", "(a", "[c"});
  EXPECT_EQ(h.Get({"ZRANGE", "lex", "0", "-1"}), "[a d]");
  Ok({"ZREMRANGEBYLEX", "lex", "-", "+"});
  EXPECT_EQ(h.Get({"EXISTS", "lex"}), "0");
  Fails({"ZREMRANGEBYSCORE", "z", "x", "1"}, "ERR min or max is not a float");
  Fails({"ZREMRANGEBYLEX", "z", "a", "b"}, "ERR min or max not valid string range item");
  Fails({"ZREMRANGEBYRANK", "z", "a", "1"}, "ERR value is not an integer or out of range");
}

TEST_F(ApplyZsetTest, StoreCommands) {
  Ok({"ZADD", "a", "1", "x", "2", "y"});
  Ok({"ZADD", "b", "10", "y", "20", "z"});
  Ok({"SADD", "s", "x", "z"});
  Ok({"ZUNIONSTORE", "u", "2", "a", "b"});
  EXPECT_EQ(All("u"), "[x 1 y 12 z 20]");
  Ok({"ZUNIONSTORE", "u", "3", "a", "b", "s", "WEIGHTS", "2", "1", "100", "AGGREGATE", "MAX"});
  EXPECT_EQ(All("u"), "[y 10 x 100 z 100]");
  Ok({"ZINTERSTORE", "i", "2", "a", "b", "AGGREGATE", "MIN"});
  EXPECT_EQ(All("i"), "[y 2]");
  Ok({"ZINTERSTORE", "i", "2", "a", "s"});
  EXPECT_EQ(All("i"), "[x 2]");
  Ok({"ZDIFFSTORE", "d", "2", "b", "a"});
  EXPECT_EQ(All("d"), "[z 20]");
  Ok({"ZADD", "inf", "+inf", "x"});
  Ok({"ZADD", "ninf", "-inf", "x"});
  Ok({"ZUNIONSTORE", "nan", "2", "inf", "ninf"});  // inf + -inf is stored as 0
  EXPECT_EQ(All("nan"), "[x 0]");
  Ok({"ZINTERSTORE", "i", "2", "a", "missing"});
  EXPECT_EQ(h.Get({"EXISTS", "i"}), "0");
  Ok({"ZRANGESTORE", "r", "b", "0", "0"});
  EXPECT_EQ(All("r"), "[y 10]");
  Ok({"ZRANGESTORE", "r", "u", "+inf", "(10", "BYSCORE", "REV", "LIMIT", "0", "1"});
  EXPECT_EQ(All("r"), "[z 100]");
  Ok({"ZADD", "lex", "0", "a", "0", "b", "0", "c"});
  Ok({"ZRANGESTORE", "r", "lex", "[b", "+", "BYLEX"});
  EXPECT_EQ(All("r"), "[b 0 c 0]");
  Ok({"ZRANGESTORE", "r", "missing", "0", "-1"});
  EXPECT_EQ(h.Get({"EXISTS", "r"}), "0");
  Ok({"SET", "str", "x"});
  Fails({"ZUNIONSTORE", "u", "2", "a", "str"}, "WRONGTYPE");
  Fails({"ZUNIONSTORE", "u", "0", "a"},
        "ERR at least 1 input key is needed for 'zunionstore' command");
  Fails({"ZUNIONSTORE", "u", "3", "a"}, "ERR syntax error");
  Fails({"ZUNIONSTORE", "u", "1", "a", "WEIGHTS", "x"}, "ERR weight value is not a float");
  Fails({"ZINTERSTORE", "u", "1", "a", "AGGREGATE", "AVG"}, "ERR syntax error");
  Fails({"ZDIFFSTORE", "u", "1", "a", "WEIGHTS", "1"}, "ERR syntax error");
  Fails({"ZRANGESTORE", "r", "str", "0", "1"}, "WRONGTYPE");
  EXPECT_EQ(h.ks.DatasetBytes(), RecountBytes(h.ks));
}

TEST_F(ApplyZsetTest, Pops) {
  Ok({"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"});
  Ok({"ZPOPMIN", "z"});
  Ok({"ZPOPMAX", "z", "2"});
  EXPECT_EQ(All("z"), "[b 2]");
  Ok({"ZPOPMAX", "z", "0"});
  Ok({"ZMPOP", "2", "missing", "z", "MIN", "COUNT", "5"});
  EXPECT_EQ(h.Get({"EXISTS", "z"}), "0");
  Ok({"ZADD", "y", "1", "a", "2", "b"});
  Ok({"BZPOPMAX", "missing", "y", "0"});
  Ok({"BZMPOP", "0", "1", "y", "MIN"});
  EXPECT_EQ(h.Get({"EXISTS", "y"}), "0");
  Ok({"BZPOPMIN", "y", "0"});
  Fails({"ZPOPMIN", "z", "-1"}, "ERR value is out of range, must be positive");
  Fails({"ZMPOP", "1", "z", "MIDDLE"}, "ERR syntax error");
  Fails({"ZMPOP", "0", "z", "MIN"}, "ERR numkeys should be greater than 0");
  Fails({"BZPOPMIN", "z", "-1"}, "ERR timeout is negative");
}

TEST_F(ApplyZsetTest, Geo) {
  Ok({"GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669",
      "Catania"});
  EXPECT_EQ(h.Get({"ZSCORE", "Sicily", "Palermo"}), "3479099956230698");
  Ok({"GEOADD", "Sicily", "NX", "0", "0", "Palermo"});
  EXPECT_EQ(h.Get({"ZSCORE", "Sicily", "Palermo"}), "3479099956230698");
  Ok({"GEOSEARCHSTORE", "near", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km",
      "ASC"});
  EXPECT_EQ(h.Get({"ZRANGE", "near", "0", "-1"}), "[Palermo Catania]");  // by geohash score
  EXPECT_EQ(h.Get({"ZSCORE", "near", "Catania"}), "3479447370796909");
  Ok({"GEOSEARCHSTORE", "dist", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC",
      "STOREDIST"});
  // The distances GEOSEARCH ... WITHDIST reports (to 4 decimals).
  EXPECT_EQ(h.Get({"GEOSEARCH", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC",
                   "WITHDIST"}),
            "[[Catania 56.4413] [Palermo 190.4424]]");
  EXPECT_EQ(h.Get({"ZSCORE", "dist", "Catania"}), "56.441257870158204");  // as redis-server 7.0
  Ok({"GEORADIUS", "Sicily", "15", "37", "100", "km", "STORE", "r"});
  EXPECT_EQ(h.Get({"ZRANGE", "r", "0", "-1"}), "[Catania]");
  Ok({"GEORADIUSBYMEMBER", "Sicily", "Palermo", "300", "km", "STOREDIST", "r"});
  EXPECT_EQ(h.Get({"ZSCORE", "r", "Palermo"}), "0");
  Ok({"GEOSEARCHSTORE", "r", "missing", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "km"});
  EXPECT_EQ(h.Get({"EXISTS", "r"}), "0");
  Fails({"GEOADD", "Sicily", "200", "0", "x"}, "ERR invalid longitude,latitude pair");
  Fails({"GEOADD", "Sicily", "NX", "XX", "1", "1", "x"}, "ERR syntax error");
  Fails({"GEOADD", "Sicily", "1", "1"}, "ERR wrong number of arguments");
  Fails({"GEORADIUS", "Sicily", "15", "37", "100", "km", "WITHDIST", "STORE", "r"},
        "ERR STORE option in GEORADIUS is not compatible");
  Fails({"GEOSEARCHSTORE", "r", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "parsec"},
        "ERR unsupported unit provided");
}

}  // namespace
}  // namespace redlink::testing
