// Unit tests of the keyspace's building blocks against simple models: the order-statistic
// tree, the hash table (SCAN guarantee across resizes), quicklists, intsets, the encodings'
// conversion thresholds, glob matching, the key object layout and the byte accounting.

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <set>

#include "engine/common/glob.h"
#include "engine/common/strings.h"
#include "engine/keyspace/values.h"
#include "tests/engine/keyspace/ks_test_util.h"

namespace redlink::engine {
namespace {

// ---- ZTree / BigZset ----------------------------------------------------------------------------

TEST(KeyspaceZset, TreeMatchesOrderedModel) {
  std::mt19937 rng(1);
  BigZset z;
  std::map<std::string, double> by_member;
  std::set<std::pair<double, std::string>> order;
  for (int step = 0; step < 60000; ++step) {
    std::string m = StrCat("m", rng() % 3000);
    if (rng() % 3 == 0) {
      bool had = by_member.count(m) > 0;
      EXPECT_EQ(z.Remove(m), had);
      if (had) {
        order.erase({by_member[m], m});
        by_member.erase(m);
      }
    } else {
      double s = static_cast<double>(rng() % 500) / 4;
      bool is_new = by_member.count(m) == 0;
      EXPECT_EQ(z.Set(m, s), is_new);
      if (!is_new) order.erase({by_member[m], m});
      by_member[m] = s;
      order.insert({s, m});
    }
    if (step % 5000 == 0 || step == 59999) {
      ASSERT_EQ(z.size(), order.size());
      ASSERT_EQ(z.tree().size(), order.size());
      uint64_t r = 0;
      for (ZTree::Cursor c = z.tree().At(0); c.valid(); c.Next(), ++r) {
        auto it = std::next(order.begin(), static_cast<long>(r));
        ASSERT_EQ(ZMember(c.node()), it->second);
        ASSERT_EQ(c.node()->score, it->first);
        ASSERT_EQ(z.tree().Rank(c.node()), r);
      }
      ASSERT_EQ(r, order.size());
      // Backward iteration and lower bounds.
      if (!order.empty()) {
        uint64_t back = 0;
        for (ZTree::Cursor c = z.tree().At(order.size() - 1); c.valid(); c.Prev()) ++back;
        EXPECT_EQ(back, order.size());
        double bound = static_cast<double>(rng() % 500) / 4;
        uint64_t lb = z.tree().LowerBound([&](const ZNode* n) { return n->score >= bound; });
        uint64_t want = static_cast<uint64_t>(
            std::distance(order.begin(), order.lower_bound({bound, std::string()})));
        EXPECT_EQ(lb, want);
      }
    }
  }
}

TEST(KeyspaceZset, SequentialInsertsFillLeaves) {
  BigZset up, down;
  for (int i = 0; i < 10000; ++i) {
    up.Set(StrCat("a", i), i);
    down.Set(StrCat("a", i), -i);
  }
  // Ascending and descending loads (RDB type 5 is written high to low) keep leaves full.
  EXPECT_LT(up.tree().Bytes(), 10000 * 10u);
  EXPECT_LT(down.tree().Bytes(), 10000 * 10u);
}

TEST(KeyspaceZset, ListpackConvertsAtThresholds) {
  KeyEntry* e = NewZset("z");
  for (int i = 0; i < 128; ++i) zset::Set(e, StrCat("m", i), i);
  EXPECT_EQ(obj::Enc(e), Encoding::kListpack);
  zset::Set(e, "m128", 1);
  EXPECT_EQ(obj::Enc(e), Encoding::kSkiplist);
  obj::Free(e);
  e = NewZset("z");
  zset::Set(e, std::string(64, 'x'), 1);
  EXPECT_EQ(obj::Enc(e), Encoding::kListpack);
  zset::Set(e, std::string(65, 'x'), 1);
  EXPECT_EQ(obj::Enc(e), Encoding::kSkiplist);
  EXPECT_EQ(zset::Size(e), 2u);
  obj::Free(e);
}

// ---- HashTable ---------------------------------------------------------------------------------

TEST(KeyspaceHashTable, ScanSeesEveryStableElementAcrossResizes) {
  std::mt19937 rng(7);
  BigSet s;
  for (int i = 0; i < 1000; ++i) s.Add(StrCat("stable", i));
  std::set<std::string> seen;
  uint64_t cursor = 0;
  int rounds = 0;
  do {
    cursor = s.Scan(cursor, [&](std::string_view m) { seen.insert(std::string(m)); });
    // Grow and shrink the table between calls.
    if (rounds % 3 == 0) {
      for (int j = 0; j < 500; ++j) s.Add(StrCat("tmp", rounds, "_", j));
    } else {
      for (int j = 0; j < 500; ++j) s.Remove(StrCat("tmp", rounds - 1, "_", j));
      for (int j = 0; j < 500; ++j) s.Remove(StrCat("tmp", rounds - 2, "_", j));
    }
    ++rounds;
  } while (cursor != 0 && rounds < 100000);
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(seen.count(StrCat("stable", i))) << i;
}

TEST(KeyspaceHashTable, RandomIsUniformEnough) {
  BigSet s;
  for (int i = 0; i < 100; ++i) s.Add(std::to_string(i));
  std::map<std::string, int> hits;
  for (int i = 0; i < 20000; ++i) ++hits[std::string(s.Random())];
  EXPECT_EQ(hits.size(), 100u);
  // (Bucket-then-chain sampling, as Redis's dictGetRandomKey: not exactly uniform.)
  for (const auto& [k, n] : hits) EXPECT_GT(n, 15) << k;
}

// ---- Lists
// ---------------------------------------------------------------------------------------

TEST(KeyspaceList, QuicklistMatchesDeque) {
  std::mt19937 rng(3);
  KeyEntry* e = NewList("l");
  std::deque<std::string> model;
  auto val = [&]() {
    switch (rng() % 4) {
      case 0:
        return std::to_string(static_cast<int>(rng() % 100000) - 5000);
      case 1:
        return std::string(rng() % 300, 'q');
      case 2:
        return std::string(8000 + rng() % 3000, 'B');  // larger than a node
      default:
        return StrCat("el", rng() % 1000);
    }
  };
  for (int step = 0; step < 20000; ++step) {
    uint64_t n = model.size();
    switch (rng() % 8) {
      case 0: {
        std::string v = val();
        list::PushBack(e, v);
        model.push_back(v);
        break;
      }
      case 1: {
        std::string v = val();
        list::PushFront(e, v);
        model.push_front(v);
        break;
      }
      case 2:
        if (n > 0) {
          std::string out;
          if (rng() % 2) {
            ASSERT_TRUE(list::PopFront(e, &out));
            ASSERT_EQ(out, model.front());
            model.pop_front();
          } else {
            ASSERT_TRUE(list::PopBack(e, &out));
            ASSERT_EQ(out, model.back());
            model.pop_back();
          }
        }
        break;
      case 3:
        if (n > 0) {
          uint64_t i = rng() % n;
          std::string v = val();
          list::Set(e, i, v);
          model[i] = v;
        }
        break;
      case 4: {
        uint64_t i = n == 0 ? 0 : rng() % (n + 1);
        std::string v = val();
        list::Insert(e, i, v);
        model.insert(model.begin() + static_cast<long>(i), v);
        break;
      }
      case 5:
        if (n > 0 && rng() % 4 == 0) {
          uint64_t i = rng() % n;
          uint64_t c = 1 + rng() % 50;
          list::Remove(e, i, c);
          model.erase(model.begin() + static_cast<long>(i),
                      model.begin() + static_cast<long>(std::min(n, i + c)));
        }
        break;
      default: {
        std::string v = val();
        list::PushBack(e, v);
        model.push_back(v);
      }
    }
    ASSERT_EQ(list::Length(e), model.size());
    if (step % 997 == 0 || step > 19990) {
      std::vector<std::string> got;
      list::Walk(e, 0, list::Length(e), false, [&](const listpack::Entry& en) {
        char buf[24];
        got.emplace_back(en.AsString(buf));
        return true;
      });
      ASSERT_TRUE(std::equal(got.begin(), got.end(), model.begin(), model.end()));
      if (!model.empty()) {
        std::vector<std::string> rev;
        list::Walk(e, model.size() - 1, model.size(), true, [&](const listpack::Entry& en) {
          char buf[24];
          rev.emplace_back(en.AsString(buf));
          return true;
        });
        ASSERT_TRUE(std::equal(rev.begin(), rev.end(), model.rbegin(), model.rend()));
      }
    }
  }
  obj::Free(e);
}

TEST(KeyspaceList, SmallListsStayListpack) {
  KeyEntry* e = NewList("l");
  for (int i = 0; i < 100; ++i) list::PushBack(e, "x");
  EXPECT_EQ(obj::Enc(e), Encoding::kListpack);
  for (int i = 0; i < 2000; ++i) list::PushBack(e, "abcdefgh");
  EXPECT_EQ(obj::Enc(e), Encoding::kQuicklist);
  list::Remove(e, 0, 2050);
  EXPECT_EQ(obj::Enc(e), Encoding::kListpack);
  EXPECT_EQ(list::Length(e), 50u);
  obj::Free(e);
}

// ---- Sets / hashes -----------------------------------------------------------------------------

TEST(KeyspaceSet, EncodingsFollowRedis) {
  KeyEntry* e = NewSet("s", "1");
  EXPECT_EQ(obj::Enc(e), Encoding::kIntset);
  for (int i = 0; i < 512; ++i) set::Add(e, std::to_string(i));
  EXPECT_EQ(obj::Enc(e), Encoding::kIntset);
  set::Add(e, "512");
  EXPECT_EQ(obj::Enc(e), Encoding::kHashtable);
  EXPECT_EQ(set::Size(e), 513u);
  obj::Free(e);
  e = NewSet("s", "1");
  set::Add(e, "1");
  set::Add(e, "a");
  EXPECT_EQ(obj::Enc(e), Encoding::kListpack);
  EXPECT_TRUE(set::Contains(e, "1"));
  EXPECT_FALSE(set::Add(e, "1"));
  set::Add(e, std::string(65, 'x'));
  EXPECT_EQ(obj::Enc(e), Encoding::kHashtable);
  EXPECT_TRUE(set::Remove(e, "a"));
  EXPECT_EQ(set::Size(e), 2u);
  obj::Free(e);
}

TEST(KeyspaceHash, FieldTtlsKeepRedisOrder) {
  KeyEntry* e = NewHash("h");
  hash::Set(e, "a", "1");
  hash::Set(e, "b", "2");
  hash::Set(e, "c", "3");
  hash::SetFieldExpire(e, "c", 500);
  hash::SetFieldExpire(e, "a", 900);
  EXPECT_EQ(obj::Enc(e), Encoding::kListpackEx);
  std::vector<std::string> order;
  hash::ForEach(e, [&](std::string_view f, std::string_view, int64_t) { order.emplace_back(f); });
  // Ordered by TTL, TTL-less fields last (Redis 7.4's listpackEx).
  EXPECT_EQ(order, (std::vector<std::string>{"c", "a", "b"}));
  std::string v;
  EXPECT_EQ(hash::Get(e, "c", 499, &v, nullptr), hash::Lookup::kFound);
  EXPECT_EQ(hash::Get(e, "c", 501, &v, nullptr), hash::Lookup::kExpired);
  EXPECT_EQ(hash::LiveLength(e, 600), 2u);
  hash::Set(e, "c", "33");  // HSET drops the field's TTL and moves it last
  order.clear();
  hash::ForEach(e, [&](std::string_view f, std::string_view, int64_t) { order.emplace_back(f); });
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
  hash::ConvertToHashtable(e);
  int64_t exp;
  EXPECT_EQ(hash::Get(e, "a", 0, &v, &exp), hash::Lookup::kFound);
  EXPECT_EQ(exp, 900);
  EXPECT_TRUE(hash::HasFieldTtls(e));
  obj::Free(e);
}

// ---- Objects and accounting --------------------------------------------------------------------

TEST(KeyspaceObject, StringsAndTtls) {
  KeyEntry* e = obj::NewString("k", "12345", obj::kNoExpire);
  EXPECT_EQ(obj::Enc(e), Encoding::kInt);
  char buf[24];
  EXPECT_EQ(obj::StringValue(e, buf), "12345");
  e = obj::SetExpire(e, 777);
  EXPECT_EQ(obj::Expire(e), 777);
  EXPECT_EQ(obj::Key(e), "k");
  EXPECT_EQ(obj::StringValue(e, buf), "12345");
  e = obj::SetString(e, "007");
  EXPECT_EQ(obj::Enc(e), Encoding::kEmbStr);
  EXPECT_EQ(obj::Expire(e), 777);
  e = obj::SetExpire(e, obj::kNoExpire);
  EXPECT_EQ(obj::StringValue(e, buf), "007");
  e = obj::Rekey(e, "other-key");
  EXPECT_EQ(obj::Key(e), "other-key");
  EXPECT_EQ(obj::StringValue(e, buf), "007");
  // A short string key is a single small allocation.
  KeyEntry* small = obj::NewString("key:000001", "value_xxx", obj::kNoExpire);
  EXPECT_LE(obj::Bytes(small), 48u);
  obj::Free(small);
  obj::Free(e);
}

TEST(KeyspaceAccounting, DatasetBytesTracksEveryChange) {
  Keyspace ks;
  auto recount = [&]() {
    uint64_t b = 0;
    for (int i = 0; i < ks.num_dbs(); ++i) {
      Db* d = ks.FindDb(i);
      b += d->TableBytes();
      d->ForEach([&](KeyEntry* e) { b += obj::Bytes(e); });
    }
    return b;
  };
  EXPECT_EQ(ks.DatasetBytes(), recount());
  for (int i = 0; i < 5000; ++i) ks.Add(0, obj::NewString(StrCat("k", i), StrCat("v", i), -1));
  EXPECT_EQ(ks.DatasetBytes(), recount());
  KeyEntry* h = NewHash("h");
  ks.Add(0, h);
  for (int i = 0; i < 600; ++i) ks.Edit(h, [&] { hash::Set(h, StrCat("f", i), "v"); });
  EXPECT_EQ(obj::Enc(h), Encoding::kHashtable);
  EXPECT_EQ(ks.DatasetBytes(), recount());
  for (int i = 0; i < 100; ++i) {
    KeyEntry* e = ks.db(0).Find(StrCat("k", i));
    ks.SetExpire(0, e, 1000 + i);
  }
  EXPECT_EQ(ks.ExpiresCount(0), 100u);
  EXPECT_EQ(ks.DatasetBytes(), recount());
  ks.db(5);
  ks.SwapDb(0, 5);
  EXPECT_EQ(ks.KeyCount(5), 5001u);
  EXPECT_EQ(ks.ExpiresCount(5), 100u);
  ks.FlushDb(5);
  EXPECT_EQ(ks.DatasetBytes(), recount());
  ks.Clear();
  EXPECT_EQ(ks.DatasetBytes(), 0u);
}

// ---- Glob --------------------------------------------------------------------------------------

TEST(KeyspaceGlob, RedisSemantics) {
  // Redis's stringmatchlen quirks: "*" alone does not match "" (KEYS/SCAN special-case "*"),
  // and an unterminated '[' matches nothing.
  EXPECT_FALSE(GlobMatch("*", ""));
  EXPECT_TRUE(GlobMatch("a*", "a"));
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("h[b-a]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("h\\*llo", "h*llo"));
  EXPECT_FALSE(GlobMatch("h\\*llo", "hallo"));
  EXPECT_FALSE(GlobMatch("a[", "a["));
  EXPECT_TRUE(GlobMatch("*a*b*c*", "xxaxxbxxcxx"));
  EXPECT_FALSE(GlobMatch("*a*b*c*d", "xxaxxbxxcxx"));
  EXPECT_TRUE(GlobMatch("MY*", "mylib", true));
  EXPECT_FALSE(GlobMatch("MY*", "mylib", false));
  EXPECT_TRUE(GlobMatch(std::string("a\0b", 3), std::string("a\0b", 3)));
}

// ---- Functions ----------------------------------------------------------------------------------

TEST(KeyspaceFunctions, ParsesRegistrations) {
  FunctionLibrary lib;
  ASSERT_TRUE(ParseFunctionLibrary(
                  "#!lua name=lib1\n"
                  "-- redis.register_function('commented', function() end)\n"
                  "local x = \"redis.register_function('in_string')\"\n"
                  "redis.register_function('f1', function(keys, args)\n"
                  "  if #keys > 0 then return 1 elseif true then return 2 end\n"
                  "end)\n"
                  "redis.register_function{function_name=[[f2]], callback=function() end,\n"
                  "  flags={'allow-stale', 'no-writes'}, description='d2'}\n",
                  &lib)
                  .ok());
  EXPECT_EQ(lib.name, "lib1");
  EXPECT_EQ(lib.engine, "LUA");
  ASSERT_EQ(lib.functions.size(), 2u);
  EXPECT_EQ(lib.functions[0].name, "f1");
  EXPECT_FALSE(lib.functions[0].has_description);
  EXPECT_EQ(lib.functions[1].name, "f2");
  EXPECT_EQ(lib.functions[1].description, "d2");
  EXPECT_EQ(lib.functions[1].flags, (std::vector<std::string>{"no-writes", "allow-stale"}));
  EXPECT_FALSE(ParseFunctionLibrary("no shebang", &lib).ok());
  EXPECT_EQ(ParseFunctionLibrary("#!lua\n", &lib).message(), "Library name was not given");
}

}  // namespace
}  // namespace redlink::engine
