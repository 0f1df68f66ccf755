// Listpack: Redis-compatible encodings (integers as Redis's lpStringToInt64 accepts them, all
// entry sizes and backlens), validation, and the editing helpers the keyspace uses (Seek,
// PrevOffset, Splice and its wrappers) checked against a vector model.

#include "engine/encoding/listpack.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace redlink::engine::listpack {
namespace {

std::vector<std::string> Contents(std::string_view lp) {
  std::vector<std::string> out;
  Reader r(lp);
  Entry e;
  char buf[24];
  while (r.Next(&e)) out.emplace_back(e.AsString(buf));
  return out;
}

TEST(Listpack, EncodesLikeRedis) {
  // Redis 7.2's listpack for the list a 1 -5 300 hello (protocol doc §6.8).
  Builder b;
  for (const char* s : {"a", "1", "-5", "300", "hello"}) b.Append(s);
  std::string lp = std::move(b).Finish();
  EXPECT_EQ(lp, std::string("\x19\x00\x00\x00\x05\x00\x81\x61\x02\x01\x01\xdf\xfb\x02\xc1\x2c\x02"
                            "\x85hello\x06\xff",
                            25));
  EXPECT_EQ(Validate(lp).value(), 5u);
  // Non-canonical integers stay strings.
  for (const char* s : {"+1", "007", "-0", " 1", "1 ", "", "99999999999999999999"}) {
    int64_t v;
    EXPECT_FALSE(StringToInt64Strict(s, &v)) << s;
  }
}

TEST(Listpack, EveryEntrySizeRoundTrips) {
  std::vector<std::string> vals;
  for (int64_t v :
       {0LL, 127LL, 128LL, -1LL, 4095LL, -4096LL, 4096LL, 32767LL, -32768LL, 8388607LL, -8388608LL,
        2147483647LL, -2147483648LL, 9223372036854775807LL, -9223372036854775807LL - 1}) {
    vals.push_back(std::to_string(v));
  }
  for (size_t n : {0u, 1u, 63u, 64u, 127u, 128u, 4095u, 4096u, 20000u}) {
    vals.push_back(std::string(n, 'x'));
  }
  Builder b;
  for (const auto& v : vals) b.Append(v);
  std::string lp = std::move(b).Finish();
  ASSERT_TRUE(Validate(lp).ok());
  EXPECT_EQ(Contents(lp), vals);
  // Backward walk.
  std::vector<std::string> rev;
  for (size_t off = LastOffset(lp); off != 0; off = PrevOffset(lp, off)) {
    Entry e;
    EntryAt(lp, off, &e);
    char buf[24];
    rev.emplace_back(e.AsString(buf));
  }
  EXPECT_EQ(rev, std::vector<std::string>(vals.rbegin(), vals.rend()));
}

TEST(Listpack, EditsMatchModel) {
  std::mt19937 rng(11);
  char* lp = NewEmpty();
  std::vector<std::string> model;
  auto val = [&]() -> std::string {
    switch (rng() % 4) {
      case 0:
        return std::to_string(static_cast<int64_t>(rng()) - (1LL << 31));
      case 1:
        return std::string(rng() % 70, 'a' + static_cast<char>(rng() % 26));
      case 2:
        return std::string(4000 + rng() % 200, 'L');
      default:
        return std::to_string(rng() % 100);
    }
  };
  for (int step = 0; step < 3000; ++step) {
    size_t n = model.size();
    switch (rng() % 5) {
      case 0: {
        std::string v = val();
        lp = Append(lp, v);
        model.push_back(v);
        break;
      }
      case 1: {
        std::string v = val();
        lp = Prepend(lp, v);
        model.insert(model.begin(), v);
        break;
      }
      case 2:
        if (n > 0) {
          size_t i = rng() % n;
          std::string v = val();
          lp = ReplaceAt(lp, Seek(View(lp), static_cast<int64_t>(i)), v);
          model[i] = v;
        }
        break;
      case 3:
        if (n > 0) {
          size_t i = rng() % n;
          uint32_t c = 1 + rng() % 3;
          lp = DeleteAt(lp, Seek(View(lp), static_cast<int64_t>(i)), c);
          model.erase(model.begin() + static_cast<long>(i),
                      model.begin() + static_cast<long>(std::min(n, i + c)));
        }
        break;
      default:
        if (n > 0) {
          size_t i = rng() % n;
          std::string v = val();
          lp = InsertAt(lp, Seek(View(lp), -static_cast<int64_t>(n - i)), v);
          model.insert(model.begin() + static_cast<long>(i), v);
        }
    }
    ASSERT_TRUE(Validate(View(lp)).ok()) << step;
    ASSERT_EQ(Length(View(lp)), model.size());
    if (step % 100 == 0) {
      ASSERT_EQ(Contents(View(lp)), model);
    }
    for (const std::string& m : model) {
      if (rng() % 50 != 0) continue;
      Entry e;
      size_t off = 0;
      for (size_t k = 0; k < model.size(); ++k) {
        if (model[k] == m) {
          off = Seek(View(lp), static_cast<int64_t>(k));
          break;
        }
      }
      EntryAt(View(lp), off, &e);
      EXPECT_TRUE(EntryEquals(e, m));
    }
  }
  std::free(lp);
}

TEST(Listpack, RejectsCorruption) {
  Builder b;
  b.Append("hello");
  b.Append("12345");
  std::string lp = std::move(b).Finish();
  std::string bad = lp;
  bad[6] = static_cast<char>(0x8f);  // string longer than the blob
  EXPECT_FALSE(Validate(bad).ok());
  bad = lp;
  bad[bad.size() - 2] ^= 1;  // wrong backlen
  EXPECT_FALSE(Validate(bad).ok());
  bad = lp;
  bad[4] = 3;  // header count
  EXPECT_FALSE(Validate(bad).ok());
  EXPECT_FALSE(Validate(lp.substr(0, 5)).ok());
}

}  // namespace
}  // namespace redlink::engine::listpack
