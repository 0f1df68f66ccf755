// Sets through ApplyCommand: SADD/SREM across intset, listpack and hashtable encodings, SMOVE,
// SPOP (the deterministic forms; masters send SREM/DEL), SINTERSTORE/SUNIONSTORE/SDIFFSTORE.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/common/strings.h"
#include "tests/engine/replication/apply_fixture.h"

namespace redlink::testing {
namespace {

class ApplySetTest : public ApplyFamilyTest {
 protected:
  // SMEMBERS, sorted: "[a b c]".
  std::string Members(const std::string& k) {
    std::string all = h.Get({"SMEMBERS", k});
    std::vector<std::string> members = absl::StrSplit(all.substr(1, all.size() - 2), ' ');
    if (members.size() == 1 && members[0].empty()) members.clear();
    std::sort(members.begin(), members.end());
    return StrCat("[", absl::StrJoin(members, " "), "]");
  }
};

TEST_F(ApplySetTest, AddRemoveAcrossEncodings) {
  h.runner.rdb_version = 11;  // a Redis 7.2+ master: small sets of strings are listpacks
  Ok({"SADD", "s", "1", "2", "3"});
  EXPECT_EQ(h.Get({"OBJECT", "ENCODING", "s"}), "intset");
  Ok({"SADD", "s", "a"});
  EXPECT_EQ(h.Get({"OBJECT", "ENCODING", "s"}), "listpack");
  Args many = {"SADD", "s"};
  for (int i = 0; i < 200; ++i) many.push_back(StrCat("m", i));
  Ok(many);
  EXPECT_EQ(h.Get({"OBJECT", "ENCODING", "s"}), "hashtable");
  EXPECT_EQ(h.Get({"SCARD", "s"}), "204");
  Args rem = {"SREM", "s", "1", "2", "3", "a"};
  for (int i = 0; i < 200; ++i) rem.push_back(StrCat("m", i));
  Ok(rem);
  EXPECT_EQ(h.Get({"EXISTS", "s"}), "0");
  EXPECT_EQ(h.ks.DatasetBytes(), RecountBytes(h.ks));
}

TEST_F(ApplySetTest, SmoveAndSpop) {
  Ok({"SADD", "a", "x", "y"});
  Ok({"SMOVE", "a", "b", "x"});
  Ok({"SMOVE", "a", "b", "nope"});
  EXPECT_EQ(Members("a"), "[y]");
  EXPECT_EQ(Members("b"), "[x]");
  Ok({"SMOVE", "a", "a", "y"});
  Ok({"SMOVE", "a", "b", "y"});
  EXPECT_EQ(h.Get({"EXISTS", "a"}), "0");
  Ok({"SPOP", "b", "0"});
  Ok({"SPOP", "b", "5"});  // count >= size: the whole set goes (a master sends DEL)
  EXPECT_EQ(h.Get({"EXISTS", "b"}), "0");
  Ok({"SADD", "c", "only"});
  Ok({"SPOP", "c"});
  EXPECT_EQ(h.Get({"EXISTS", "c"}), "0");
  Ok({"SADD", "d", "1", "2", "3"});
  Fails({"SPOP", "d"}, "SPOP of a random subset");
  Fails({"SPOP", "d", "1", "2"}, "ERR syntax error");
}

TEST_F(ApplySetTest, StoreCommands) {
  Ok({"SADD", "a", "1", "2", "3", "x"});
  Ok({"SADD", "b", "2", "3", "4"});
  Ok({"SADD", "c", "3"});
  Ok({"SINTERSTORE", "i", "a", "b", "c"});
  EXPECT_EQ(Members("i"), "[3]");
  Ok({"SUNIONSTORE", "u", "a", "b", "missing"});
  EXPECT_EQ(Members("u"), "[1 2 3 4 x]");
  Ok({"SDIFFSTORE", "d", "a", "b"});
  EXPECT_EQ(Members("d"), "[1 x]");
  Ok({"SET", "ttl", "x", "PXAT", std::to_string(WallMs() + 100000)});
  Ok({"SUNIONSTORE", "ttl", "c"});
  EXPECT_EQ(h.Get({"PEXPIRETIME", "ttl"}), "-1");  // the destination is replaced with its TTL
  Ok({"SINTERSTORE", "i", "a", "missing"});        // empty: deleted
  EXPECT_EQ(h.Get({"EXISTS", "i"}), "0");
  Ok({"SDIFFSTORE", "a", "a", "a"});  // the destination may be a source
  EXPECT_EQ(h.Get({"EXISTS", "a"}), "0");
  Ok({"SET", "str", "x"});
  Fails({"SINTERSTORE", "i", "b", "str"}, "WRONGTYPE");
  Fails({"SUNIONSTORE", "i", "str"}, "WRONGTYPE");
  Fails({"SADD", "str", "x"}, "WRONGTYPE");
  Fails({"SMOVE", "b", "str", "2"}, "WRONGTYPE");
  EXPECT_EQ(h.ks.DatasetBytes(), RecountBytes(h.ks));
}

}  // namespace
}  // namespace redlink::testing
