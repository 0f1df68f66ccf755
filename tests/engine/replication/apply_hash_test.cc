// Hashes through ApplyCommand: HSET/HMSET/HSETNX/HDEL, HINCRBY/HINCRBYFLOAT (keeping a field's
// TTL, as Redis 7.4 does), and the 7.4 field TTL commands in the forms a master sends
// (HPEXPIREAT ... FIELDS n, HPERSIST) plus the relative spellings, with NX|XX|GT|LT.
#include <gtest/gtest.h>

#include "engine/common/strings.h"
#include "tests/engine/replication/apply_fixture.h"

namespace redlink::testing {
namespace {

class ApplyHashTest : public ApplyFamilyTest {
 protected:
  ApplyHashTest() { snapshot_options_.field_ttls = true; }
  std::string FieldTtl(const std::string& k, const std::string& f) {
    return h.Get({"HPEXPIRETIME", k, "FIELDS", "1", f});
  }
  int64_t t_ = WallMs() + 3600000;
  std::string T(int64_t plus = 0) { return std::to_string(t_ + plus); }
};

TEST_F(ApplyHashTest, SetDelIncr) {
  Ok({"HSET", "h", "a", "1", "b", "2"});
  Ok({"hmset", "h", "c", "3"});
  Ok({"HSETNX", "h", "a", "9"});
  Ok({"HSETNX", "h", "d", "4"});
  EXPECT_EQ(h.Get({"HMGET", "h", "a", "b", "c", "d"}), "[1 2 3 4]");
  Ok({"HINCRBY", "h", "a", "10"});
  Ok({"HINCRBY", "h", "new", "-5"});
  Ok({"HINCRBYFLOAT", "h", "b", "0.5"});
  Ok({"HINCRBYFLOAT", "h", "f", "1e2"});
  EXPECT_EQ(h.Get({"HMGET", "h", "a", "new", "b", "f"}), "[11 -5 2.5 100]");
  Ok({"HDEL", "h", "a", "b", "c", "d", "nope"});
  EXPECT_EQ(h.Get({"HLEN", "h"}), "2");
  Ok({"HDEL", "h", "new", "f"});
  EXPECT_EQ(h.Get({"EXISTS", "h"}), "0");
  // Big values and many fields: the hashtable encoding.
  Args many = {"HSET", "big"};
  for (int i = 0; i < 150; ++i) many.insert(many.end(), {StrCat("f", i), std::string(70, 'v')});
  Ok(many);
  EXPECT_EQ(h.Get({"OBJECT", "ENCODING", "big"}), "hashtable");
  Ok({"HINCRBY", "big", "counter", "1"});
  EXPECT_EQ(h.ks.DatasetBytes(), RecountBytes(h.ks));
}

TEST_F(ApplyHashTest, Errors) {
  Ok({"HSET", "h", "s", "abc", "n", "9223372036854775807"});
  Ok({"SET", "str", "x"});
  Fails({"HSET", "h", "a"}, "ERR wrong number of arguments for 'hset' command");
  Fails({"HSET", "str", "a", "1"}, "WRONGTYPE");
  Fails({"HINCRBY", "h", "s", "1"}, "ERR hash value is not an integer");
  Fails({"HINCRBY", "h", "n", "1"}, "ERR increment or decrement would overflow");
  Fails({"HINCRBY", "h", "n", "x"}, "ERR value is not an integer or out of range");
  Fails({"HINCRBYFLOAT", "h", "s", "1"}, "ERR hash value is not a float");
  Fails({"HINCRBYFLOAT", "h", "x", "nan"}, "ERR value is not a valid float");
  Fails({"HDEL", "str", "a"}, "WRONGTYPE");
  Fails({"HSETNX", "str", "a", "b"}, "WRONGTYPE");
}

TEST_F(ApplyHashTest, FieldTtls) {
  Ok({"HSET", "h", "a", "1", "b", "2", "c", "3"});
  // The form a 7.4 master propagates: HPEXPIREAT key <abs ms> [cond] FIELDS n f...
  Ok({"HPEXPIREAT", "h", T(), "FIELDS", "2", "a", "b"});
  EXPECT_EQ(FieldTtl("h", "a"), StrCat("[", T(), "]"));
  EXPECT_EQ(FieldTtl("h", "c"), "[-1]");
  Ok({"HPEXPIREAT", "h", T(5), "NX", "FIELDS", "2", "a", "c"});  // a has a TTL: only c
  EXPECT_EQ(h.Get({"HPEXPIRETIME", "h", "FIELDS", "2", "a", "c"}),
            StrCat("[", T(), " ", T(5), "]"));
  Ok({"HPEXPIREAT", "h", T(1), "GT", "FIELDS", "1", "a"});
  Ok({"HPEXPIREAT", "h", T(3), "LT", "FIELDS", "1", "b"});
  EXPECT_EQ(h.Get({"HPEXPIRETIME", "h", "FIELDS", "2", "a", "b"}),
            StrCat("[", T(1), " ", T(0), "]"));
  Ok({"HPEXPIREAT", "h", T(9), "XX", "FIELDS", "2", "b", "nope"});
  EXPECT_EQ(FieldTtl("h", "b"), StrCat("[", T(9), "]"));
  h.ctx.now_ms = t_;
  Ok({"HEXPIRE", "h", "10", "FIELDS", "1", "a"});
  Ok({"HPEXPIRE", "h", "10", "FIELDS", "1", "b"});
  Ok({"HEXPIREAT", "h", std::to_string(t_ / 1000 + 100), "FIELDS", "1", "c"});
  EXPECT_EQ(h.Get({"HPEXPIRETIME", "h", "FIELDS", "3", "a", "b", "c"}),
            StrCat("[", T(10000), " ", T(10), " ", (t_ / 1000 + 100) * 1000, "]"));
  // HINCRBY keeps the field's TTL (7.4 HASH_SET_KEEP_TTL); HSET drops it.
  Ok({"HSET", "h", "n", "1"});
  Ok({"HPEXPIREAT", "h", T(), "FIELDS", "1", "n"});
  Ok({"HINCRBY", "h", "n", "1"});
  EXPECT_EQ(FieldTtl("h", "n"), StrCat("[", T(), "]"));
  Ok({"HINCRBYFLOAT", "h", "n", "0.5"});
  EXPECT_EQ(FieldTtl("h", "n"), StrCat("[", T(), "]"));
  Ok({"HSET", "h", "n", "7"});
  EXPECT_EQ(FieldTtl("h", "n"), "[-1]");
  Ok({"HPERSIST", "h", "FIELDS", "2", "a", "nope"});
  EXPECT_EQ(FieldTtl("h", "a"), "[-1]");
  // A field TTL that has passed is kept (the master sends HDEL when it expires).
  Ok({"HPEXPIREAT", "h", "1000", "FIELDS", "1", "b"});
  EXPECT_EQ(h.Get({"HLEN", "h"}), "4");
  Ok({"HDEL", "h", "b"});
  // The hashtable encoding carries TTLs too.
  Args many = {"HSET", "big"};
  for (int i = 0; i < 150; ++i) many.insert(many.end(), {StrCat("f", i), "v"});
  Ok(many);
  Ok({"HPEXPIREAT", "big", T(), "FIELDS", "2", "f1", "f2"});
  Ok({"HPERSIST", "big", "FIELDS", "1", "f1"});
  EXPECT_EQ(h.Get({"HPEXPIRETIME", "big", "FIELDS", "2", "f1", "f2"}), StrCat("[-1 ", T(), "]"));
  Ok({"HPEXPIREAT", "missing", T(), "FIELDS", "1", "a"});
  EXPECT_EQ(h.ks.DatasetBytes(), RecountBytes(h.ks));
  Fails({"HPEXPIREAT", "h", "-1", "FIELDS", "1", "a"}, "ERR invalid expire time, must be >= 0");
  Fails({"HPEXPIREAT", "h", T(), "FIELDS", "2", "a"},
        "ERR The `numfields` parameter must match the number of arguments");
  Fails({"HPEXPIREAT", "h", T(), "FIELDS", "0", "a"},
        "ERR Parameter `numFields` should be greater than 0");
  Fails({"HPEXPIREAT", "h", T(), "XX", "FLDS", "1", "a"},
        "ERR Mandatory argument FIELDS is missing or not at the right position");
  Fails({"HEXPIRE", "h", "9223372036854775", "FIELDS", "1", "a"},
        "ERR invalid expire time in 'hexpire' command");
  Fails({"HPERSIST", "h", "FIELDS", "x", "a"}, "ERR Number of fields must be a positive integer");
  Ok({"SET", "str", "x"});
  Fails({"HPEXPIREAT", "str", T(), "FIELDS", "1", "a"}, "WRONGTYPE");
  Fails({"HPERSIST", "str", "FIELDS", "1", "a"}, "WRONGTYPE");
}

}  // namespace
}  // namespace redlink::testing
