// Lists through ApplyCommand: pushes, LINSERT, LSET, LREM, LTRIM, pops with counts (the form
// masters send for LMPOP/BLMPOP), LMOVE/RPOPLPUSH, LMPOP and the blocking forms; big lists
// (quicklist nodes) and emptied lists deleted; errors leave the keyspace unchanged.
#include <gtest/gtest.h>

#include "engine/common/strings.h"
#include "tests/engine/replication/apply_fixture.h"

namespace redlink::testing {
namespace {

class ApplyListTest : public ApplyFamilyTest {
 protected:
  std::string All(const std::string& k) { return h.Get({"LRANGE", k, "0", "-1"}); }
};

TEST_F(ApplyListTest, PushInsertSetRemTrim) {
  Ok({"RPUSH", "l", "a", "b", "c"});
  Ok({"LPUSH", "l", "z", "y"});
  EXPECT_EQ(All("l"), "[y z a b c]");
  Ok({"LPUSHX", "none", "x"});
  Ok({"RPUSHX", "none", "x"});
  EXPECT_EQ(h.Get({"EXISTS", "none"}), "0");
  Ok({"RPUSHX", "l", "d"});
  Ok({"LINSERT", "l", "BEFORE", "a", "x"});
  Ok({"LINSERT", "l", "after", "d", "e"});
  Ok({"LINSERT", "l", "AFTER", "nope", "q"});
  EXPECT_EQ(All("l"), "[y z x a b c d e]");
  Ok({"LSET", "l", "-1", "E"});
  Ok({"LSET", "l", "0", "Y"});
  EXPECT_EQ(All("l"), "[Y z x a b c d E]");
  Ok({"RPUSH", "l", "a", "a"});
  Ok({"LREM", "l", "-1", "a"});
  EXPECT_EQ(All("l"), "[Y z x a b c d E a]");
  Ok({"LREM", "l", "0", "a"});
  EXPECT_EQ(All("l"), "[Y z x b c d E]");
  Ok({"LTRIM", "l", "1", "-2"});
  EXPECT_EQ(All("l"), "[z x b c d]");
  Ok({"LTRIM", "l", "5", "10"});  // empty range deletes the key
  EXPECT_EQ(h.Get({"EXISTS", "l"}), "0");
  Ok({"RPUSH", "l", "a"});
  Ok({"LREM", "l", "1", "a"});
  EXPECT_EQ(h.Get({"EXISTS", "l"}), "0");
}

TEST_F(ApplyListTest, PopsAndMoves) {
  Ok({"RPUSH", "l", "1", "2", "3", "4", "5"});
  Ok({"LPOP", "l"});
  Ok({"RPOP", "l", "2"});  // what a master sends for LMPOP/BLMPOP/RPOP count
  EXPECT_EQ(All("l"), "[2 3]");
  Ok({"LPOP", "l", "0"});
  EXPECT_EQ(All("l"), "[2 3]");
  Ok({"RPOPLPUSH", "l", "m"});
  Ok({"LMOVE", "l", "m", "LEFT", "RIGHT"});
  EXPECT_EQ(h.Get({"EXISTS", "l"}), "0");
  EXPECT_EQ(All("m"), "[3 2]");
  Ok({"LMOVE", "m", "m", "LEFT", "RIGHT"});  // rotation
  EXPECT_EQ(All("m"), "[2 3]");
  Ok({"RPOPLPUSH", "missing", "m"});
  Ok({"LPOP", "m", "10"});
  EXPECT_EQ(h.Get({"EXISTS", "m"}), "0");
  Ok({"RPUSH", "b", "x", "y"});
  Ok({"LMPOP", "2", "empty", "b", "RIGHT", "COUNT", "5"});
  EXPECT_EQ(h.Get({"EXISTS", "b"}), "0");
  // Blocking spellings behave as their non-blocking forms.
  Ok({"RPUSH", "b", "1", "2", "3"});
  Ok({"BLPOP", "empty", "b", "0"});
  Ok({"BRPOP", "b", "1.5"});
  Ok({"BLMOVE", "b", "c", "LEFT", "LEFT", "0"});
  Ok({"BRPOPLPUSH", "c", "d", "0"});
  Ok({"BLMPOP", "0", "1", "d", "LEFT"});
  EXPECT_EQ(h.ks.KeyCount(0), 0u);
  Ok({"BLPOP", "empty", "0"});  // nothing to pop: nothing happens
}

TEST_F(ApplyListTest, BigListsAcrossNodes) {
  // ~30 KB of elements: several quicklist nodes; then inserts, sets and removals in the middle.
  Args push = {"RPUSH", "big"};
  for (int i = 0; i < 300; ++i) push.push_back(StrCat("element-", i, "-", std::string(90, 'x')));
  Ok(push);
  Ok({"LINSERT", "big", "BEFORE", StrCat("element-150-", std::string(90, 'x')), "mid"});
  Ok({"LSET", "big", "200", "two-hundred"});
  Ok({"LREM", "big", "0", StrCat("element-10-", std::string(90, 'x'))});
  Ok({"LTRIM", "big", "5", "-5"});
  EXPECT_EQ(h.Get({"LLEN", "big"}), "291");
  EXPECT_EQ(h.Get({"LINDEX", "big", "144"}), "mid");
  EXPECT_EQ(h.Get({"LINDEX", "big", "194"}), "two-hundred");
  Ok({"LPOP", "big", "280"});
  EXPECT_EQ(h.Get({"LLEN", "big"}), "11");
  EXPECT_EQ(h.ks.DatasetBytes(), RecountBytes(h.ks));
}

TEST_F(ApplyListTest, Errors) {
  Ok({"SET", "s", "x"});
  Ok({"RPUSH", "l", "a"});
  Fails({"RPUSH", "s", "a"}, "WRONGTYPE");
  Fails({"LPUSHX", "s", "a"}, "WRONGTYPE");
  Fails({"LINSERT", "l", "MIDDLE", "a", "b"}, "ERR syntax error");
  Fails({"LSET", "nope", "0", "x"}, "ERR no such key");
  Fails({"LSET", "l", "5", "x"}, "ERR index out of range");
  Fails({"LSET", "l", "x", "x"}, "ERR value is not an integer or out of range");
  Fails({"LPOP", "l", "-1"}, "ERR value is out of range, must be positive");
  Fails({"LPOP", "l", "1", "2"}, "ERR wrong number of arguments for 'lpop' command");
  Fails({"LMOVE", "l", "s", "LEFT", "LEFT"}, "WRONGTYPE");
  Fails({"LMOVE", "l", "x", "UP", "LEFT"}, "ERR syntax error");
  Fails({"LMPOP", "0", "l", "LEFT"}, "ERR numkeys should be greater than 0");
  Fails({"LMPOP", "1", "l", "LEFT", "COUNT", "0"}, "ERR count should be greater than 0");
  Fails({"LMPOP", "2", "l", "LEFT"}, "ERR syntax error");
  Fails({"LMPOP", "1", "s", "LEFT"}, "WRONGTYPE");
  Fails({"BLPOP", "l", "-1"}, "ERR timeout is negative");
  Fails({"BLPOP", "l", "x"}, "ERR timeout is not a float or out of range");
  Fails({"LTRIM", "s", "0", "1"}, "WRONGTYPE");
  Fails({"LREM", "s", "0", "x"}, "WRONGTYPE");
  Fails({"LPUSH", "l"}, "ERR wrong number of arguments for 'lpush' command");
}

}  // namespace
}  // namespace redlink::testing
