// Memory parity with Redis: the same mixed dataset (short/int/medium strings, small hashes,
// lists, sets and sorted sets, a third of the keys with a TTL) is written into a real
// redis-server 7.0 and, through SAVE and the RDB decoder, into a Keyspace. The keyspace must
// not use more memory than Redis's used_memory grew by. REDLINK_MEMTEST_KEYS sets the size
// (default 200000; the product benchmark uses 1000000).

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdlib>
#include <random>

#include "engine/common/strings.h"
#include "tests/engine/keyspace/ks_test_util.h"
#include "tests/testing/test_util.h"

namespace redlink::engine::kstest {
namespace {

using redlink::testing::RedisServer;
using redlink::testing::RespClient;

int64_t UsedMemory(RespClient& c) {
  auto r = Parse(c.CommandRaw({"INFO", "memory"}));
  std::string info = Str(r->v);
  size_t p = info.find("used_memory:");
  return std::stoll(info.substr(p + 12));
}

std::string Rand(std::mt19937& rng, size_t n) {
  std::string s(n, ' ');
  for (char& ch : s) ch = static_cast<char>('a' + rng() % 26);
  return s;
}

TEST(KeyspaceMemory, NoMoreThanRedisUsedMemory) {
  int n = 200000;
  if (const char* v = getenv("REDLINK_MEMTEST_KEYS")) n = std::atoi(v);
  RedisServer server;
  ASSERT_TRUE(server.ok()) << "redis-server did not start";
  RespClient c = server.Client();
  int64_t before = UsedMemory(c);
  std::mt19937 rng(99);
  std::string batch;
  int pending = 0;
  auto send = [&](std::initializer_list<std::string_view> args) {
    AppendCommand(&batch, args);
    ++pending;
    if (pending == 1000) {
      ASSERT_TRUE(c.SendRaw(batch));
      for (int i = 0; i < pending; ++i) ASSERT_FALSE(c.ReadReplyRaw().empty());
      batch.clear();
      pending = 0;
    }
  };
  for (int i = 0; i < n; ++i) {
    std::string key = StrCat("key:", i);
    switch (i % 10) {
      case 0:
      case 1:
      case 2:
      case 3:
        send({"SET", key, Rand(rng, 8 + rng() % 24)});
        break;
      case 4:
        send({"SET", key, std::to_string(rng() % 100000000)});
        break;
      case 5:
        send({"HSET", key, "name", Rand(rng, 8), "email", Rand(rng, 16), "age",
              std::to_string(rng() % 90), "city", Rand(rng, 10), "zip",
              std::to_string(rng() % 99999)});
        break;
      case 6:
        send({"RPUSH", key, Rand(rng, 10), Rand(rng, 10), Rand(rng, 10), "1", "2"});
        break;
      case 7:
        send({"SADD", key, Rand(rng, 6), Rand(rng, 6), Rand(rng, 6), Rand(rng, 6), Rand(rng, 6)});
        break;
      case 8:
        send({"ZADD", key, "1", Rand(rng, 6), "2.5", Rand(rng, 6), "3", Rand(rng, 6), "4",
              Rand(rng, 6)});
        break;
      default:
        send({"SET", key, Rand(rng, 100)});
    }
    if (i % 3 == 0) send({"PEXPIRE", key, "100000000"});
    if (::testing::Test::HasFatalFailure()) return;
  }
  if (pending > 0) {
    ASSERT_TRUE(c.SendRaw(batch));
    for (int i = 0; i < pending; ++i) ASSERT_FALSE(c.ReadReplyRaw().empty());
  }
  int64_t redis_bytes = UsedMemory(c) - before;
  ASSERT_EQ(c.CommandRaw({"SAVE"}, std::chrono::seconds(120)), "+OK\r\n");
  std::string rdb = ReadFile(server.dir() + "/dump.rdb");
  server.Kill();

  malloc_trim(0);
  size_t heap_before = mallinfo2().uordblks;
  auto ks = std::make_unique<Keyspace>();
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(LoadRdb(rdb, ks.get()).ok());
  double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rdb.clear();
  rdb.shrink_to_fit();
  size_t heap_after = mallinfo2().uordblks;
  int64_t mine = static_cast<int64_t>(ks->DatasetBytes());
  int64_t heap = static_cast<int64_t>(heap_after - heap_before);
  std::cout << n << " keys: redis used_memory +" << redis_bytes << " (" << redis_bytes / n
            << " B/key); keyspace DatasetBytes " << mine << " (" << mine / n
            << " B/key), heap incl. malloc headers " << heap << " (" << heap / n
            << " B/key); RDB load " << load_s << " s\n";
  EXPECT_EQ(ks->KeyCount(0), static_cast<uint64_t>(n));
  EXPECT_LE(mine, redis_bytes);
  EXPECT_LE(heap, redis_bytes);
}

}  // namespace
}  // namespace redlink::engine::kstest
