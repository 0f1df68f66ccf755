// Generic key commands through ApplyCommand: DEL/UNLINK, the EXPIRE family with NX|XX|GT|LT,
// PERSIST, RENAME[NX], MOVE, COPY, SWAPDB, FLUSHDB/FLUSHALL, RESTORE, SORT ... STORE; commands
// from the master see expired keys; errors leave the keyspace unchanged.
#include <gtest/gtest.h>

#include "engine/keyspace/keyspace.h"
#include "tests/engine/replication/apply_fixture.h"

namespace redlink::testing {
namespace {

class ApplyKeysTest : public ApplyFamilyTest {
 protected:
  std::string Pexpiretime(const std::string& k) { return h.Get({"PEXPIRETIME", k}); }
  int64_t future_ = WallMs() + 3600000;
  std::string F(int64_t plus = 0) { return std::to_string(future_ + plus); }
};

TEST_F(ApplyKeysTest, DelAndUnlink) {
  Ok({"MSET", "a", "1", "b", "2", "c", "3"});
  Ok({"DEL", "a", "missing", "a"});
  Ok({"unlink", "b"});
  EXPECT_EQ(h.Get({"KEYS", "*"}), "[c]");
  // Expired keys are still there for the master's commands: DEL removes them.
  Ok({"SET", "old", "x", "PXAT", "1000"});
  EXPECT_EQ(h.ks.KeyCount(0), 2u);
  Ok({"DEL", "old"});
  EXPECT_EQ(h.ks.KeyCount(0), 1u);
}

TEST_F(ApplyKeysTest, ExpireFamily) {
  Ok({"SET", "k", "v"});
  Ok({"PEXPIREAT", "k", F(), "XX"});  // no TTL: XX fails
  EXPECT_EQ(Pexpiretime("k"), "-1");
  Ok({"PEXPIREAT", "k", F(), "GT"});  // no TTL counts as infinite: GT fails
  EXPECT_EQ(Pexpiretime("k"), "-1");
  Ok({"PEXPIREAT", "k", F(), "NX"});
  EXPECT_EQ(Pexpiretime("k"), F());
  Ok({"PEXPIREAT", "k", F(5), "NX"});
  EXPECT_EQ(Pexpiretime("k"), F());
  Ok({"PEXPIREAT", "k", F(5), "GT"});
  EXPECT_EQ(Pexpiretime("k"), F(5));
  Ok({"PEXPIREAT", "k", F(10), "LT"});
  EXPECT_EQ(Pexpiretime("k"), F(5));
  Ok({"PEXPIREAT", "k", F(1), "LT"});
  EXPECT_EQ(Pexpiretime("k"), F(1));
  Ok({"EXPIREAT", "k", std::to_string(future_ / 1000 + 7)});
  EXPECT_EQ(Pexpiretime("k"), std::to_string((future_ / 1000 + 7) * 1000));
  h.ctx.now_ms = future_;
  Ok({"EXPIRE", "k", "100"});
  EXPECT_EQ(Pexpiretime("k"), F(100000));
  Ok({"PEXPIRE", "k", "100"});
  EXPECT_EQ(Pexpiretime("k"), F(100));
  Ok({"PERSIST", "k"});
  EXPECT_EQ(Pexpiretime("k"), "-1");
  // A time that has passed is kept on a replica (the master sends DEL for it); the key is hidden.
  Ok({"PEXPIREAT", "k", "5"});
  EXPECT_EQ(h.ks.KeyCount(0), 1u);
  EXPECT_EQ(h.Get({"EXISTS", "k"}), "0");
  Ok({"PEXPIREAT", "missing", F()});
  EXPECT_EQ(h.ks.KeyCount(0), 1u);
  Fails({"PEXPIREAT", "k", F(), "NX", "XX"},
        "ERR NX and XX, GT or LT options at the same time are not compatible");
  Fails({"PEXPIREAT", "k", F(), "GT", "LT"},
        "ERR GT and LT options at the same time are not compatible");
  Fails({"PEXPIREAT", "k", F(), "FOO"}, "ERR Unsupported option FOO");
  Fails({"EXPIRE", "k", "x"}, "ERR value is not an integer or out of range");
  Fails({"EXPIRE", "k", "9223372036854775807"}, "ERR invalid expire time in 'expire' command");
}

TEST_F(ApplyKeysTest, RenameKeepsTheTtl) {
  Ok({"SET", "a", "1", "PXAT", F()});
  Ok({"SET", "b", "2"});
  Ok({"RENAMENX", "a", "b"});
  EXPECT_EQ(h.Get({"GET", "b"}), "2");
  Ok({"RENAME", "a", "b"});
  EXPECT_EQ(h.Get({"GET", "b"}), "1");
  EXPECT_EQ(Pexpiretime("b"), F());
  EXPECT_EQ(h.Get({"EXISTS", "a"}), "0");
  Ok({"RENAME", "b", "b"});
  Ok({"RPUSH", "l", "x"});
  Ok({"RENAMENX", "l", "c"});
  EXPECT_EQ(h.Get({"LRANGE", "c", "0", "-1"}), "[x]");
  Fails({"RENAME", "nope", "x"}, "ERR no such key");
  Fails({"RENAMENX", "nope", "x"}, "ERR no such key");
}

TEST_F(ApplyKeysTest, MoveCopySwapdb) {
  Ok({"SET", "k", "v", "PXAT", F()});
  Ok({"MOVE", "k", "2"});
  EXPECT_EQ(h.ks.KeyCount(0), 0u);
  EXPECT_EQ(h.ks.KeyCount(2), 1u);
  h.ctx.db = 2;
  EXPECT_EQ(Pexpiretime("k"), F());
  Ok({"SET", "k0", "in-db0"});
  Ok({"MOVE", "k0", "0"});
  Ok({"SET", "k0", "again"});
  Ok({"MOVE", "k0", "0"});  // exists in the target: nothing moves
  EXPECT_EQ(h.Get({"GET", "k0"}), "again");
  Fails({"MOVE", "k", "2"}, "ERR source and destination objects are the same");
  Fails({"MOVE", "k", "-1"}, "ERR DB index is out of range");
  Fails({"MOVE", "k", "x"}, "ERR value is not an integer or out of range");
  // COPY is deep: editing the copy leaves the source alone.
  Ok({"RPUSH", "l", "a", "b"});
  Ok({"COPY", "l", "l2"});
  Ok({"RPUSH", "l2", "c"});
  EXPECT_EQ(h.Get({"LRANGE", "l", "0", "-1"}), "[a b]");
  Ok({"COPY", "l", "l2"});  // exists, no REPLACE
  EXPECT_EQ(h.Get({"LLEN", "l2"}), "3");
  Ok({"COPY", "l", "l2", "REPLACE"});
  EXPECT_EQ(h.Get({"LLEN", "l2"}), "2");
  Ok({"COPY", "k", "k", "DB", "3"});
  h.ctx.db = 3;
  EXPECT_EQ(h.Get({"GET", "k"}), "v");
  EXPECT_EQ(Pexpiretime("k"), F());  // the TTL is copied
  h.ctx.db = 2;
  Fails({"COPY", "k", "k"}, "ERR source and destination objects are the same");
  Fails({"COPY", "k", "x", "DB"}, "ERR syntax error");
  Fails({"COPY", "k", "x", "BOGUS"}, "ERR syntax error");
  // SWAPDB exchanges whole databases; the stream's selected db stays.
  Ok({"SWAPDB", "2", "3"});
  EXPECT_EQ(h.ctx.db, 2);
  EXPECT_EQ(h.ks.KeyCount(3), 4u);
  Fails({"SWAPDB", "x", "1"}, "ERR invalid first DB index");
  Fails({"SWAPDB", "1", "y"}, "ERR invalid second DB index");
  Fails({"SWAPDB", "1", "-2"}, "ERR DB index is out of range");
  EXPECT_EQ(h.ks.DatasetBytes(), RecountBytes(h.ks));
}

TEST_F(ApplyKeysTest, FlushdbAndFlushallKeepFunctions) {
  Ok({"SET", "a", "1"});
  Ok({"FUNCTION", "LOAD", "#!lua name=l\nredis.register_function('f', function() return 1 end)"});
  h.ctx.db = 1;
  Ok({"SET", "b", "1"});
  Ok({"FLUSHDB", "ASYNC"});
  EXPECT_EQ(h.ks.KeyCount(1), 0u);
  EXPECT_EQ(h.ks.KeyCount(0), 1u);
  Ok({"FLUSHALL", "SYNC"});
  EXPECT_EQ(h.ks.KeyCount(0), 0u);
  EXPECT_EQ(h.ks.functions().size(), 1u);
  EXPECT_EQ(h.ks.DatasetBytes(), RecountBytes(h.ks));
  Fails({"FLUSHDB", "NOW"}, "ERR syntax error");
  Fails({"FLUSHALL", "ASYNC", "SYNC"}, "ERR syntax error");
}

TEST_F(ApplyKeysTest, RestoreOwnDumps) {
  // DUMP payloads produced by the keyspace itself (RDB 10) round-trip through RESTORE.
  Ok({"RPUSH", "l", "a", "b", "1"});
  Ok({"HSET", "h", "f", "v"});
  Ok({"XADD", "x", "1-1", "a", "1"});
  for (const char* key : {"l", "h", "x"}) {
    std::string payload = engine::DumpPayload(h.ks.db(0).Find(key), /*rdb_version=*/10, WallMs());
    std::string copy = std::string(key) + "2";
    Ok({"RESTORE", copy, "0", payload});
    EXPECT_EQ(h.Get({"DUMP", copy}), h.Get({"DUMP", key})) << key;
    Fails({"RESTORE", copy, "0", payload}, "BUSYKEY Target key name already exists.");
    Ok({"RESTORE", copy, F(), payload, "REPLACE", "ABSTTL"});
    EXPECT_EQ(Pexpiretime(copy), F());
    h.ctx.now_ms = future_;
    Ok({"RESTORE", copy, "1000", payload, "REPLACE"});
    EXPECT_EQ(Pexpiretime(copy), F(1000));
    std::string bad = payload;
    bad[bad.size() - 1] ^= 0x55;
    Fails({"RESTORE", "z", "0", bad}, "ERR DUMP payload version or checksum are wrong");
    std::string newer = payload;
    newer[newer.size() - 10] = 99;  // RDB version 99
    Fails({"RESTORE", "z", "0", newer}, "ERR DUMP payload version or checksum are wrong");
  }
  Fails({"RESTORE", "z", "0", "x"}, "ERR DUMP payload version or checksum are wrong");
  EXPECT_EQ(h.ks.DatasetBytes(), RecountBytes(h.ks));
}

TEST_F(ApplyKeysTest, SortStore) {
  Ok({"RPUSH", "l", "3", "1", "2", "10"});
  Ok({"SORT", "l", "STORE", "out"});
  EXPECT_EQ(h.Get({"LRANGE", "out", "0", "-1"}), "[1 2 3 10]");
  Ok({"SORT", "l", "ALPHA", "DESC", "LIMIT", "0", "2", "STORE", "out"});
  EXPECT_EQ(h.Get({"LRANGE", "out", "0", "-1"}), "[3 2]");
  Ok({"MSET", "w_1", "30", "w_2", "10", "w_3", "20", "o_1", "one", "o_3", "three"});
  Ok({"SORT", "l", "BY", "w_*", "GET", "o_*", "GET", "#", "STORE", "out"});
  // 10 has no weight (0); o_2 and o_10 are missing: empty strings are stored.
  EXPECT_EQ(h.Get({"LRANGE", "out", "0", "-1"}), "[ 10  2 three 3 one 1]");
  Ok({"HSET", "hw_1", "f", "5"});
  Ok({"SORT", "l", "BY", "nosort", "GET", "hw_*->f", "STORE", "out"});
  EXPECT_EQ(h.Get({"LRANGE", "out", "0", "-1"}), "[ 5  ]");
  // A set sorted without a pattern is sorted ALPHA when storing.
  Ok({"SADD", "s", "b", "c", "a"});
  Ok({"SORT", "s", "BY", "nosort", "STORE", "out"});
  EXPECT_EQ(h.Get({"LRANGE", "out", "0", "-1"}), "[a b c]");
  // Nothing to store deletes the destination.
  Ok({"SORT", "missing", "STORE", "out"});
  EXPECT_EQ(h.Get({"EXISTS", "out"}), "0");
  Ok({"SORT", "l"});  // no STORE: nothing written
  EXPECT_EQ(h.Get({"EXISTS", "out"}), "0");
  Ok({"RPUSH", "bad", "x"});
  Fails({"SORT", "bad", "STORE", "out"}, "ERR One or more scores can't be converted into double");
  Fails({"SORT", "w_1", "STORE", "out"}, "WRONGTYPE");
  Fails({"SORT", "l", "LIMIT", "x", "1", "STORE", "out"}, "ERR value is not an integer");
  Fails({"SORT", "l", "FOO", "STORE", "out"}, "ERR syntax error");
}

}  // namespace
}  // namespace redlink::testing
