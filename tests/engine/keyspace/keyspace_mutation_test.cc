// The write API (values.h, Keyspace::Add/Edit/SetExpire/...) driven by the same random writes
// that are sent to a real redis-server 7.0: afterwards every key reads back identically (lists,
// zsets and small hashes in the same order; sets as sets), encodings convert at the same
// thresholds, and DatasetBytes() equals a full recount.

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "engine/common/strings.h"
#include "engine/keyspace/values.h"
#include "tests/engine/keyspace/ks_test_util.h"
#include "tests/testing/test_util.h"

namespace redlink::engine::kstest {
namespace {

using redlink::testing::Describe;
using redlink::testing::RedisServer;
using redlink::testing::RespClient;
using Args = std::vector<std::string>;

uint64_t RecountBytes(Keyspace& ks) {
  uint64_t b = 0;
  for (int i = 0; i < ks.num_dbs(); ++i) {
    Db* d = ks.FindDb(i);
    b += d->TableBytes();
    d->ForEach([&](KeyEntry* e) { b += obj::Bytes(e); });
  }
  return b;
}

class Applier {
 public:
  Applier(Keyspace& ks, RespClient& redis) : ks_(ks), redis_(redis) {}

  void Send(const Args& a) {
    std::string r = redis_.CommandRaw(a);
    ASSERT_FALSE(r.empty());
    ASSERT_NE(r[0], '-') << Describe(r);
  }

  KeyEntry* Get(std::string_view key) { return ks_.db(0).Find(key); }

  void DeleteIfEmpty(std::string_view key, uint64_t len) {
    if (len == 0) ks_.Delete(0, key);
  }

  void Rpush(const std::string& k, const std::string& v, bool front) {
    Send({front ? "LPUSH" : "RPUSH", k, v});
    KeyEntry* e = Get(k);
    if (e == nullptr) {
      e = NewList(k);
      ks_.Add(0, e);
    }
    ks_.Edit(e, [&] {
      if (front) {
        list::PushFront(e, v);
      } else {
        list::PushBack(e, v);
      }
    });
  }

  void Pop(const std::string& k, bool front) {
    KeyEntry* e = Get(k);
    if (e == nullptr) return;
    Send({front ? "LPOP" : "RPOP", k});
    std::string out;
    ks_.Edit(e, [&] { front ? list::PopFront(e, &out) : list::PopBack(e, &out); });
    DeleteIfEmpty(k, list::Length(e));
  }

  void Lset(const std::string& k, uint64_t idx, const std::string& v) {
    KeyEntry* e = Get(k);
    if (e == nullptr || idx >= list::Length(e)) return;
    Send({"LSET", k, std::to_string(idx), v});
    ks_.Edit(e, [&] { list::Set(e, idx, v); });
  }

  void Linsert(const std::string& k, uint64_t idx, const std::string& v) {
    KeyEntry* e = Get(k);
    if (e == nullptr || idx >= list::Length(e)) return;
    // Redis inserts relative to a pivot value: use a unique pivot by setting it first.
    std::string pivot = StrCat("pivot-", idx, "-", v.size());
    Lset(k, idx, pivot);
    Send({"LINSERT", k, "BEFORE", pivot, v});
    ks_.Edit(e, [&] { list::Insert(e, idx, v); });
  }

  void Ltrim(const std::string& k, int64_t start, int64_t stop) {
    KeyEntry* e = Get(k);
    if (e == nullptr) return;
    Send({"LTRIM", k, std::to_string(start), std::to_string(stop)});
    int64_t len = static_cast<int64_t>(list::Length(e));
    if (start < 0) start += len;
    if (stop < 0) stop += len;
    if (start < 0) start = 0;
    ks_.Edit(e, [&] {
      if (start > stop || start >= len) {
        list::Remove(e, 0, static_cast<uint64_t>(len));
        return;
      }
      if (stop >= len) stop = len - 1;
      list::Remove(e, static_cast<uint64_t>(stop + 1), static_cast<uint64_t>(len - stop - 1));
      list::Remove(e, 0, static_cast<uint64_t>(start));
    });
    DeleteIfEmpty(k, list::Length(e));
  }

  void Lrem(const std::string& k, int64_t count, const std::string& v) {
    KeyEntry* e = Get(k);
    if (e == nullptr) return;
    Send({"LREM", k, std::to_string(count), v});
    ks_.Edit(e, [&] { list::RemoveValue(e, v, count); });
    DeleteIfEmpty(k, list::Length(e));
  }

  void Xtrim(const std::string& k, bool maxlen, uint64_t n, StreamId minid) {
    KeyEntry* e = Get(k);
    if (e == nullptr) return;
    if (maxlen) {
      Send({"XTRIM", k, "MAXLEN", "=", std::to_string(n)});
    } else {
      Send({"XTRIM", k, "MINID", "=", FormatStreamId(minid)});
    }
    ks_.Edit(e, [&] {
      auto* s = static_cast<Stream*>(obj::Ptr(e));
      if (maxlen) {
        s->TrimMaxLen(n);
      } else {
        s->TrimMinId(minid);
      }
    });
  }

  // RESTORE of the keyspace's own DUMP under a new name, on both sides.
  void DumpRestore(const std::string& from, const std::string& to) {
    KeyEntry* e = Get(from);
    if (e == nullptr) return;
    std::string payload = DumpPayload(e, 10, 0);
    Send({"RESTORE", to, "0", payload, "REPLACE"});
    auto restored = RestorePayload(to, payload);
    ASSERT_TRUE(restored.ok()) << restored.status();
    ks_.Put(0, *restored);
  }

  void Sadd(const std::string& k, const std::string& m) {
    Send({"SADD", k, m});
    KeyEntry* e = Get(k);
    if (e == nullptr) {
      e = NewSet(k, m);
      ks_.Add(0, e);
    }
    ks_.Edit(e, [&] { set::Add(e, m); });
  }

  void Srem(const std::string& k, const std::string& m) {
    KeyEntry* e = Get(k);
    if (e == nullptr) return;
    Send({"SREM", k, m});
    ks_.Edit(e, [&] { set::Remove(e, m); });
    DeleteIfEmpty(k, set::Size(e));
  }

  void Zadd(const std::string& k, double score, const std::string& m) {
    Send({"ZADD", k, zset::ScoreToListpackString(score), m});
    KeyEntry* e = Get(k);
    if (e == nullptr) {
      e = NewZset(k, 1, m.size());
      ks_.Add(0, e);
    }
    ks_.Edit(e, [&] { zset::Set(e, m, score); });
  }

  void Zrem(const std::string& k, const std::string& m) {
    KeyEntry* e = Get(k);
    if (e == nullptr) return;
    Send({"ZREM", k, m});
    ks_.Edit(e, [&] { zset::Remove(e, m); });
    DeleteIfEmpty(k, zset::Size(e));
  }

  void Hset(const std::string& k, const std::string& f, const std::string& v) {
    Send({"HSET", k, f, v});
    KeyEntry* e = Get(k);
    if (e == nullptr) {
      e = NewHash(k, 1, std::max(f.size(), v.size()));
      ks_.Add(0, e);
    }
    ks_.Edit(e, [&] { hash::Set(e, f, v); });
  }

  void Hdel(const std::string& k, const std::string& f) {
    KeyEntry* e = Get(k);
    if (e == nullptr) return;
    Send({"HDEL", k, f});
    ks_.Edit(e, [&] { hash::Remove(e, f); });
    DeleteIfEmpty(k, hash::Length(e));
  }

  void Set(const std::string& k, const std::string& v) {
    Send({"SET", k, v});
    ks_.Put(0, obj::NewString(k, v, obj::kNoExpire));
  }

  void Append(const std::string& k, const std::string& v) {
    Send({"APPEND", k, v});
    KeyEntry* e = Get(k);
    if (e == nullptr) {
      ks_.Put(0, obj::NewString(k, v, obj::kNoExpire));
      return;
    }
    char buf[24];
    size_t old = obj::StringValue(e, buf).size();
    e = ks_.MakeRawString(0, e, old + v.size());
    ks_.Edit(e, [&] {
      RawString* r = obj::Raw(e);
      std::memcpy(r->data + old, v.data(), v.size());
      r->len = old + v.size();
    });
  }

  void Expire(const std::string& k, int64_t at_ms) {
    KeyEntry* e = Get(k);
    if (e == nullptr) return;
    Send({"PEXPIREAT", k, std::to_string(at_ms)});
    ks_.SetExpire(0, e, at_ms);
  }

  void Persist(const std::string& k) {
    KeyEntry* e = Get(k);
    if (e == nullptr) return;
    Send({"PERSIST", k});
    ks_.SetExpire(0, e, obj::kNoExpire);
  }

  void Del(const std::string& k) {
    Send({"DEL", k});
    ks_.Delete(0, k);
  }

  void Rename(const std::string& from, const std::string& to) {
    if (Get(from) == nullptr) return;
    Send({"RENAME", from, to});
    KeyEntry* e = ks_.Detach(0, from);
    ks_.Put(0, obj::Rekey(e, to));
  }

  void Copy(const std::string& from, const std::string& to) {
    KeyEntry* e = Get(from);
    if (e == nullptr) return;
    Send({"COPY", from, to, "REPLACE"});
    ks_.Put(0, obj::Clone(e, to));
  }

  void Xadd(const std::string& k, StreamId id, const Args& fv) {
    Args a = {"XADD", k, FormatStreamId(id)};
    a.insert(a.end(), fv.begin(), fv.end());
    Send(a);
    KeyEntry* e = Get(k);
    if (e == nullptr) {
      e = NewStream(k);
      ks_.Add(0, e);
    }
    std::vector<std::string_view> views(fv.begin(), fv.end());
    ks_.Edit(e, [&] { static_cast<Stream*>(obj::Ptr(e))->Append(id, views); });
  }

  void Xdel(const std::string& k, StreamId id) {
    KeyEntry* e = Get(k);
    if (e == nullptr) return;
    Send({"XDEL", k, FormatStreamId(id)});
    ks_.Edit(e, [&] { static_cast<Stream*>(obj::Ptr(e))->Delete(id); });
  }

 private:
  Keyspace& ks_;
  RespClient& redis_;
};

TEST(KeyspaceMutation, RandomWritesMatchRedis) {
  RedisServer server;
  ASSERT_TRUE(server.ok()) << "redis-server did not start";
  RespClient redis = server.Client();
  Keyspace ks;
  Applier ap(ks, redis);
  std::mt19937 rng(4242);
  auto rnd = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto value = [&]() -> std::string {
    switch (rnd(6)) {
      case 0:
        return std::to_string(rnd(1000) - 500);
      case 1:
        return std::to_string(static_cast<int64_t>(rng()) * 977);
      case 2:
        return std::string(static_cast<size_t>(rnd(100)), static_cast<char>('a' + rnd(26)));
      case 3:
        return StrCat("v", rnd(50));
      case 4:
        return std::string(static_cast<size_t>(1 + rnd(9000)), 'L');  // forces big encodings
      default:
        return StrCat("e", rnd(3000));
    }
  };
  StreamId next{100, 0};
  int64_t now = NowMs();
  for (int step = 0; step < 20000; ++step) {
    std::string lk = StrCat("list", rnd(6));
    std::string sk = StrCat("set", rnd(6));
    std::string zk = StrCat("zset", rnd(6));
    std::string hk = StrCat("hash", rnd(6));
    std::string xk = StrCat("stream", rnd(2));
    std::string k = StrCat("str", rnd(8));
    switch (rnd(25)) {
      case 0:
        ap.Rpush(lk, value(), false);
        break;
      case 1:
        ap.Rpush(lk, rnd(3) == 0 ? value() : std::to_string(rnd(100)), true);
        break;
      case 2:
        ap.Pop(lk, rnd(2) == 0);
        break;
      case 3:
        ap.Lset(lk, static_cast<uint64_t>(rnd(400)), value());
        break;
      case 4:
        ap.Linsert(lk, static_cast<uint64_t>(rnd(400)), value());
        break;
      case 5:
        if (rnd(20) == 0) ap.Ltrim(lk, rnd(50) - 25, rnd(400) - 100);
        break;
      case 6:
      case 7:
        ap.Sadd(sk, rnd(4) == 0 ? StrCat("m", rnd(300)) : std::to_string(rnd(1500) - 200));
        break;
      case 8:
        ap.Srem(sk, rnd(2) == 0 ? StrCat("m", rnd(300)) : std::to_string(rnd(1500) - 200));
        break;
      case 9:
      case 10:
        ap.Zadd(zk, static_cast<double>(rnd(200)) / (1 + rnd(3)),
                rnd(30) == 0 ? std::string(70, 'z') : StrCat("m", rnd(250)));
        break;
      case 11:
        ap.Zrem(zk, StrCat("m", rnd(250)));
        break;
      case 12:
      case 13:
        ap.Hset(hk, StrCat("f", rnd(220)),
                rnd(40) == 0 ? std::string(80, 'h') : value().substr(0, 60));
        break;
      case 14:
        ap.Hdel(hk, StrCat("f", rnd(220)));
        break;
      case 15:
        ap.Set(k, value());
        break;
      case 16:
        ap.Append(k, value().substr(0, 50));
        break;
      case 17:
        if (rnd(4) == 0) {
          ap.Expire(rnd(2) ? k : lk, now + 1000000 + rnd(100000));
        } else if (rnd(3) == 0) {
          ap.Persist(rnd(2) ? k : hk);
        }
        break;
      case 18:
        if (rnd(30) == 0) ap.Del(rnd(2) ? sk : zk);
        break;
      case 19: {
        next.seq += 1 + static_cast<uint64_t>(rnd(3));
        if (rnd(5) == 0) {
          next.ms += static_cast<uint64_t>(1 + rnd(3));
          next.seq = 0;
        }
        Args fv = rnd(4) == 0 ? Args{"x", value().substr(0, 30)}
                              : Args{"a", std::to_string(rnd(100)), "b", value().substr(0, 20)};
        ap.Xadd(xk, next, fv);
        break;
      }
      case 20:
        if (next.seq > 2)
          ap.Xdel(xk, StreamId{next.ms, next.seq - 1 - static_cast<uint64_t>(rnd(2))});
        break;
      case 21:
        if (rnd(50) == 0) ap.Rename(StrCat("hash", rnd(6)), StrCat("hash", rnd(6)));
        if (rnd(50) == 0) ap.Copy(StrCat("zset", rnd(6)), StrCat("zcopy", rnd(2)));
        break;
      case 22:
        ap.Lrem(lk, rnd(7) - 3, rnd(2) ? std::to_string(rnd(100)) : StrCat("v", rnd(50)));
        break;
      case 23:
        if (rnd(10) == 0) {
          ap.Xtrim(xk, rnd(2) == 0, static_cast<uint64_t>(rnd(400)),
                   StreamId{next.ms - static_cast<uint64_t>(rnd(20)), 0});
        }
        break;
      case 24:
        if (rnd(20) == 0) {
          const char* kinds[] = {"list", "set", "zset", "hash", "stream", "str"};
          std::string kind = kinds[rnd(6)];
          ap.DumpRestore(StrCat(kind, rnd(kind == "stream" ? 2 : 6)), StrCat("restored-", kind));
        }
        break;
    }
    if (::testing::Test::HasFatalFailure()) return;
  }
  // Compare every key.
  CommandContext ctx;
  ctx.now_ms = NowMs();
  auto mine = [&](const Args& a) { return Exec(ks, ctx, a); };
  std::string keys_raw = redis.CommandRaw({"KEYS", "*"});
  auto keys = Parse(keys_raw);
  EXPECT_EQ(mine({"DBSIZE"}), redis.CommandRaw({"DBSIZE"}));
  int compared = 0;
  for (const RespValue& kv : keys->v.elements) {
    std::string k = Str(kv);
    std::string type = redis.CommandRaw({"TYPE", k});
    ASSERT_EQ(mine({"TYPE", k}), type) << k;
    std::vector<Args> exact = {{"PEXPIRETIME", k}};
    if (type == "+string\r\n") exact.push_back({"GET", k});
    if (type == "+list\r\n") exact.push_back({"LRANGE", k, "0", "-1"});
    if (type == "+zset\r\n") {
      exact.push_back({"ZRANGE", k, "0", "-1", "WITHSCORES"});
      exact.push_back({"OBJECT", "ENCODING", k});
    }
    if (type == "+hash\r\n") {
      exact.push_back({"HLEN", k});
      exact.push_back({"OBJECT", "ENCODING", k});
      if (redis.CommandRaw({"OBJECT", "ENCODING", k}) == "$8\r\nlistpack\r\n") {
        exact.push_back({"HGETALL", k});  // listpack order is insertion order in both
      }
    }
    if (type == "+set\r\n") {
      exact.push_back({"SCARD", k});
      if (redis.CommandRaw({"OBJECT", "ENCODING", k}) == "$6\r\nintset\r\n") {
        exact.push_back({"SMEMBERS", k});
        exact.push_back({"OBJECT", "ENCODING", k});
      }
    }
    if (type == "+stream\r\n") {
      exact.push_back({"XRANGE", k, "-", "+"});
      exact.push_back({"XINFO", "STREAM", k});
      exact.push_back({"XREVRANGE", k, "+", "-", "COUNT", "7"});
    }
    for (const Args& a : exact) {
      std::string want = redis.CommandRaw(a);
      std::string got = mine(a);
      EXPECT_EQ(got, want) << a[0] << " " << k << "\n redis " << Describe(want).substr(0, 500)
                           << "\n mine  " << Describe(got).substr(0, 500);
      ++compared;
    }
    if (type == "+set\r\n" || type == "+hash\r\n") {
      Args a = type == "+set\r\n" ? Args{"SMEMBERS", k} : Args{"HGETALL", k};
      auto w = Parse(redis.CommandRaw(a));
      auto g = Parse(mine(a));
      std::multiset<std::string> ws, gs;
      for (const auto& e : w->v.elements) ws.insert(Str(e));
      for (const auto& e : g->v.elements) gs.insert(Str(e));
      EXPECT_EQ(ws, gs) << k;
    }
  }
  std::cout << "compared " << compared << " replies over " << keys->v.elements.size() << " keys\n";
  EXPECT_GT(compared, 40);
  EXPECT_EQ(ks.DatasetBytes(), RecountBytes(ks));
  // And after everything is deleted, nothing is left.
  for (const RespValue& kv : keys->v.elements) ks.Delete(0, Str(kv));
  EXPECT_EQ(ks.DatasetBytes(), RecountBytes(ks));
  EXPECT_EQ(ks.KeyCount(0), 0u);
}

}  // namespace
}  // namespace redlink::engine::kstest
