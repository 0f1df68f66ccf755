// CRC64, LZF and the legacy encodings only the RDB uses (ziplist, intset, zipmap): known values,
// every encoding, and corrupt inputs (every one must be rejected or read safely, never crash).

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "engine/rdb/crc64.h"
#include "engine/rdb/intset.h"
#include "engine/rdb/lzf.h"
#include "engine/rdb/ziplist.h"
#include "engine/rdb/zipmap.h"
#include "tests/engine/rdb/rdb_builder.h"

namespace redlink::engine::rdb {
namespace {

using testing::BuildIntset;
using testing::BuildZiplist;
using testing::BuildZipmap;
using testing::LzfCompress;
using testing::ZlItem;

std::string RandomBytes(std::mt19937* rng, size_t n) {
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>((*rng)() & 0xff);
  return s;
}

TEST(Crc64, CheckValue) {
  EXPECT_EQ(Crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64Bitwise(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
  EXPECT_EQ(Crc64(0, "", 0), 0u);
}

TEST(Crc64, TableMatchesBitwiseAtEveryLengthAndSplit) {
  std::mt19937 rng(1);
  std::string data = RandomBytes(&rng, 4096);
  for (size_t len = 0; len < 300; ++len) {
    for (size_t off = 0; off < 8; ++off) {
      ASSERT_EQ(Crc64(0, data.data() + off, len), Crc64Bitwise(0, data.data() + off, len))
          << len << " " << off;
    }
  }
  // Long inputs take the three-lane path (>= 12 KB): compare around its boundaries.
  std::string big = RandomBytes(&rng, 100000);
  for (size_t len : {12287, 12288, 12289, 24576, 30000, 99999}) {
    for (size_t off = 0; off < 3; ++off) {
      ASSERT_EQ(Crc64(0, big.data() + off, len), Crc64Bitwise(0, big.data() + off, len)) << len;
      ASSERT_EQ(Crc64(12345, big.data() + off, len), Crc64Bitwise(12345, big.data() + off, len));
    }
  }
  uint64_t whole = Crc64(0, data.data(), data.size());
  for (size_t split = 0; split <= data.size(); split += 37) {
    uint64_t c = Crc64(Crc64(0, data.data(), split), data.data() + split, data.size() - split);
    ASSERT_EQ(c, whole) << split;
  }
}

TEST(Lzf, RoundTrip) {
  std::mt19937 rng(2);
  std::vector<std::string> inputs = {
      std::string(200, 'a'),
      "abcabcabcabcabcabcabcabcabcabcabcabcabcabcabc",
      std::string(100000, 'x') + RandomBytes(&rng, 1000) + std::string(5000, 'y'),
      RandomBytes(&rng, 5000),
  };
  std::string words;
  for (int i = 0; i < 3000; ++i) words += "word" + std::to_string(i % 97) + " ";
  inputs.push_back(words);
  for (const auto& in : inputs) {
    std::string c = LzfCompress(in);
    std::string out(in.size(), '\0');
    std::string err;
    ASSERT_TRUE(LzfDecompress(c, out.data(), out.size(), &err)) << err;
    EXPECT_EQ(out, in);
    EXPECT_LE((in.size() + kLzfMaxRatio - 1) / kLzfMaxRatio, c.size());
  }
}

TEST(Lzf, RejectsMalformedInput) {
  std::string err;
  char out[64];
  // Back-reference before the start of the output.
  EXPECT_FALSE(LzfDecompress(std::string("\x00"
                                         "a"
                                         "\x20\x05",
                                         4),
                             out, 4, &err));
  EXPECT_NE(err.find("back-reference"), std::string::npos) << err;
  // Back-reference as the very first thing.
  EXPECT_FALSE(LzfDecompress(std::string("\x20\x00", 2), out, 3, &err));
  // Literal run longer than the input.
  EXPECT_FALSE(LzfDecompress(std::string("\x05"
                                         "ab",
                                         3),
                             out, 6, &err));
  // Truncated back-reference (missing distance byte; missing length byte).
  EXPECT_FALSE(LzfDecompress(std::string("\x01"
                                         "ab"
                                         "\x20",
                                         4),
                             out, 5, &err));
  EXPECT_FALSE(LzfDecompress(std::string("\x01"
                                         "ab"
                                         "\xe0",
                                         4),
                             out, 20, &err));
  EXPECT_FALSE(LzfDecompress(std::string("\x01"
                                         "ab"
                                         "\xe0\x01",
                                         5),
                             out, 20, &err));
  // Output shorter / longer than announced.
  EXPECT_FALSE(LzfDecompress(std::string("\x01"
                                         "ab",
                                         3),
                             out, 3, &err));
  EXPECT_FALSE(LzfDecompress(std::string("\x02"
                                         "abc",
                                         4),
                             out, 2, &err));
  EXPECT_FALSE(LzfDecompress(std::string("\x00"
                                         "a"
                                         "\x20\x00",
                                         4),
                             out, 3, &err));
  // A valid overlapping back-reference: "a" then copy 3 from 1 back = "aaaa".
  ASSERT_TRUE(LzfDecompress(std::string("\x00"
                                        "a"
                                        "\x20\x00",
                                        4),
                            out, 4, &err))
      << err;
  EXPECT_EQ(std::string(out, 4), "aaaa");
}

TEST(Lzf, RandomInputNeverOverruns) {
  std::mt19937 rng(3);
  std::string err;
  for (int i = 0; i < 20000; ++i) {
    std::string in = RandomBytes(&rng, rng() % 40);
    size_t out_len = rng() % 200;
    std::string out(out_len, '\0');
    LzfDecompress(in, out.data(), out.size(), &err);  // ASan checks the bounds
  }
}

std::vector<std::string> ZiplistStrings(std::string_view zl) {
  std::vector<std::string> out;
  ziplist::Reader r(zl);
  listpack::Entry e;
  char buf[21];
  while (r.Next(&e)) out.emplace_back(e.AsString(buf));
  return out;
}

TEST(Ziplist, DecodesEveryEncoding) {
  std::string s14(300, 'm');
  std::string s32(20000, 'L');
  std::vector<ZlItem> items = {std::string("a"),
                               std::string(""),
                               int64_t{0},
                               int64_t{12},
                               int64_t{13},
                               int64_t{-1},
                               int64_t{-128},
                               int64_t{127},
                               int64_t{300},
                               int64_t{-30000},
                               int64_t{8000000},
                               int64_t{-8388608},
                               int64_t{2000000000},
                               int64_t{-2147483648LL},
                               int64_t{6000000000},
                               int64_t{INT64_MIN},
                               int64_t{INT64_MAX},
                               s14,
                               s32,
                               std::string("tail")};
  std::vector<std::string> expected = {"a",
                                       "",
                                       "0",
                                       "12",
                                       "13",
                                       "-1",
                                       "-128",
                                       "127",
                                       "300",
                                       "-30000",
                                       "8000000",
                                       "-8388608",
                                       "2000000000",
                                       "-2147483648",
                                       "6000000000",
                                       "-9223372036854775808",
                                       "9223372036854775807",
                                       s14,
                                       s32,
                                       "tail"};
  for (bool big_prevlen : {false, true}) {
    std::string zl = BuildZiplist(items, big_prevlen);
    auto n = ziplist::Validate(zl);
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(*n, items.size());
    EXPECT_EQ(ZiplistStrings(zl), expected);
  }
  auto empty = ziplist::Validate(BuildZiplist({}));
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_EQ(*empty, 0u);
}

TEST(Ziplist, CountOf65535MeansUnknown) {
  std::vector<ZlItem> items(70000, int64_t{5});
  std::string zl = BuildZiplist(items);
  auto n = ziplist::Validate(zl);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 70000u);
}

TEST(Ziplist, RejectsCorruption) {
  std::string good = BuildZiplist({std::string("abc"), int64_t{7}, std::string("xyz")});
  ASSERT_TRUE(ziplist::Validate(good).ok());
  auto bad = [&](auto mutate) {
    std::string zl = good;
    mutate(&zl);
    return !ziplist::Validate(zl).ok();
  };
  EXPECT_TRUE(bad([](std::string* z) { (*z)[0] ^= 1; }));     // zlbytes
  EXPECT_TRUE(bad([](std::string* z) { (*z)[4] = 11; }));     // zltail not the last
  EXPECT_TRUE(bad([](std::string* z) { (*z)[4] = 100; }));    // zltail out of range
  EXPECT_TRUE(bad([](std::string* z) { (*z)[8] = 2; }));      // count
  EXPECT_TRUE(bad([](std::string* z) { z->back() = 0; }));    // terminator
  EXPECT_TRUE(bad([](std::string* z) { (*z)[10] = 3; }));     // first prevlen
  EXPECT_TRUE(bad([](std::string* z) { (*z)[11] = 0x3f; }));  // string overruns
  EXPECT_TRUE(bad([](std::string* z) { (*z)[11] = static_cast<char>(0xC1); }));  // bad encoding
  EXPECT_TRUE(bad([](std::string* z) { (*z)[15] = static_cast<char>(0xFF); }));  // early end
  EXPECT_TRUE(ziplist::Validate(good.substr(0, 5)).status().code() == absl::StatusCode::kDataLoss);
  // Every single-byte change either fails validation or reads safely.
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string zl = good;
      zl[i] ^= static_cast<char>(1 << bit);
      if (ziplist::Validate(zl).ok()) ZiplistStrings(zl);
    }
  }
}

TEST(Intset, ValidatesAndReads) {
  for (int width : {2, 4, 8}) {
    std::vector<int64_t> v = {-5, 0, 7, 300};
    if (width >= 4) v.push_back(70000);
    if (width == 8) v.push_back(6000000000);
    std::string is = BuildIntset(v, width);
    auto n = intset::Validate(is);
    ASSERT_TRUE(n.ok()) << n.status();
    ASSERT_EQ(*n, v.size());
    for (uint32_t i = 0; i < *n; ++i) EXPECT_EQ(intset::Get(is, i), v[i]);
  }
  EXPECT_FALSE(intset::Validate(BuildIntset({}, 2)).ok());            // empty
  EXPECT_FALSE(intset::Validate(BuildIntset({3, 2}, 2)).ok());        // unsorted
  EXPECT_FALSE(intset::Validate(BuildIntset({2, 2}, 4)).ok());        // duplicate
  EXPECT_FALSE(intset::Validate(BuildIntset({1, 2}, 3)).ok());        // width
  EXPECT_FALSE(intset::Validate(BuildIntset({1, 2}, 2) + "x").ok());  // size
  EXPECT_FALSE(intset::Validate("abc").ok());
  std::string huge = BuildIntset({1}, 8);
  huge[4] = static_cast<char>(0xff);  // count 255 elements in a 16-byte blob
  EXPECT_FALSE(intset::Validate(huge).ok());
}

TEST(Zipmap, ValidatesAndReads) {
  std::string big(300, 'v');
  std::vector<std::pair<std::string, std::string>> pairs = {
      {"f1", "v1"}, {"", "empty field"}, {"f3", ""}, {"big", big}};
  for (int free_bytes : {0, 3}) {
    std::string zm = BuildZipmap(pairs, free_bytes);
    auto n = zipmap::Validate(zm);
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(*n, pairs.size());
    zipmap::Reader r(zm);
    std::string_view f, v;
    for (const auto& [ef, ev] : pairs) {
      ASSERT_TRUE(r.Next(&f, &v));
      EXPECT_EQ(f, ef);
      EXPECT_EQ(v, ev);
    }
    EXPECT_FALSE(r.Next(&f, &v));
  }
  EXPECT_FALSE(zipmap::Validate(BuildZipmap({})).ok());  // empty, as zipmapValidateIntegrity
  std::string zm = BuildZipmap({{"a", "b"}});
  std::string bad = zm;
  bad[0] = 5;  // count
  EXPECT_FALSE(zipmap::Validate(bad).ok());
  bad = zm;
  bad[1] = 100;  // field overruns
  EXPECT_FALSE(zipmap::Validate(bad).ok());
  bad = zm;
  bad[4] = 50;  // free padding overruns
  EXPECT_FALSE(zipmap::Validate(bad).ok());
  EXPECT_FALSE(zipmap::Validate(zm.substr(0, zm.size() - 1)).ok());
  for (size_t i = 0; i < zm.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string z = zm;
      z[i] ^= static_cast<char>(1 << bit);
      if (zipmap::Validate(z).ok()) {
        zipmap::Reader r(z);
        std::string_view f, v;
        while (r.Next(&f, &v)) {
        }
      }
    }
  }
}

}  // namespace
}  // namespace redlink::engine::rdb
