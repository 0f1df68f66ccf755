#pragma once
// Builds RDB byte streams and the legacy encodings inside them (ziplist, zipmap, intset, LZF) for
// the decoder's edge-case tests. Written from the format description (protocol doc §6), not from
// the decoder, so the two check each other.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine/encoding/listpack.h"
#include "engine/rdb/crc64.h"

namespace redlink::engine::rdb::testing {

inline void PutLE(std::string* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void PutBE(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// A very small LZF compressor (greedy, 3-byte hash, 8 KB window): enough to make real
// back-references, including overlapping ones, for the decompressor's tests.
inline std::string LzfCompress(std::string_view in) {
  std::string out;
  std::vector<int64_t> table(1 << 14, -1);
  size_t lit_start = 0;
  auto flush_literals = [&](size_t end) {
    while (lit_start < end) {
      size_t n = std::min<size_t>(32, end - lit_start);
      out.push_back(static_cast<char>(n - 1));
      out.append(in.data() + lit_start, n);
      lit_start += n;
    }
  };
  size_t i = 0;
  while (i + 2 < in.size()) {
    uint32_t h = (static_cast<uint8_t>(in[i]) << 16 | static_cast<uint8_t>(in[i + 1]) << 8 |
                  static_cast<uint8_t>(in[i + 2])) *
                     2654435761u >>
                 18;
    int64_t ref = table[h];
    table[h] = static_cast<int64_t>(i);
    if (ref >= 0 && i - ref <= 8192 && in.compare(ref, 3, in.substr(i, 3)) == 0) {
      size_t len = 3;
      size_t max = std::min<size_t>(264, in.size() - i);
      while (len < max && in[ref + len] == in[i + len]) ++len;
      flush_literals(i);
      size_t off = i - ref - 1;
      size_t l = len - 2;
      if (l < 7) {
        out.push_back(static_cast<char>((l << 5) | (off >> 8)));
      } else {
        out.push_back(static_cast<char>((7 << 5) | (off >> 8)));
        out.push_back(static_cast<char>(l - 7));
      }
      out.push_back(static_cast<char>(off & 0xff));
      i += len;
      lit_start = i;
    } else {
      ++i;
    }
  }
  flush_literals(in.size());
  return out;
}

// A ziplist element: a byte string or an integer (encoded the smallest way, as Redis does).
using ZlItem = std::variant<std::string, int64_t>;

inline std::string BuildZiplist(const std::vector<ZlItem>& items, bool big_prevlen = false) {
  std::string body;
  size_t prev = 0;
  size_t tail = 10;
  for (const auto& it : items) {
    tail = 10 + body.size();
    std::string e;
    if (prev < 254 && !big_prevlen) {
      e.push_back(static_cast<char>(prev));
    } else {
      e.push_back(static_cast<char>(0xFE));
      PutLE(&e, prev, 4);
    }
    if (const auto* s = std::get_if<std::string>(&it)) {
      size_t n = s->size();
      if (n <= 63) {
        e.push_back(static_cast<char>(n));
      } else if (n <= 16383) {
        e.push_back(static_cast<char>(0x40 | (n >> 8)));
        e.push_back(static_cast<char>(n & 0xff));
      } else {
        e.push_back(static_cast<char>(0x80));
        PutBE(&e, n, 4);
      }
      e += *s;
    } else {
      int64_t v = std::get<int64_t>(it);
      if (v >= 0 && v <= 12) {
        e.push_back(static_cast<char>(0xF1 + v));
      } else if (v >= INT8_MIN && v <= INT8_MAX) {
        e.push_back(static_cast<char>(0xFE));
        PutLE(&e, static_cast<uint64_t>(v), 1);
      } else if (v >= INT16_MIN && v <= INT16_MAX) {
        e.push_back(static_cast<char>(0xC0));
        PutLE(&e, static_cast<uint64_t>(v), 2);
      } else if (v >= -(1 << 23) && v < (1 << 23)) {
        e.push_back(static_cast<char>(0xF0));
        PutLE(&e, static_cast<uint64_t>(v), 3);
      } else if (v >= INT32_MIN && v <= INT32_MAX) {
        e.push_back(static_cast<char>(0xD0));
        PutLE(&e, static_cast<uint64_t>(v), 4);
      } else {
        e.push_back(static_cast<char>(0xE0));
        PutLE(&e, static_cast<uint64_t>(v), 8);
      }
    }
    prev = e.size();
    body += e;
  }
  std::string zl;
  PutLE(&zl, 10 + body.size() + 1, 4);
  PutLE(&zl, items.empty() ? 10 : tail, 4);
  PutLE(&zl, items.size() < 65535 ? items.size() : 65535, 2);
  zl += body;
  zl.push_back(static_cast<char>(0xFF));
  return zl;
}

inline std::string BuildIntset(const std::vector<int64_t>& sorted, int width) {
  std::string is;
  PutLE(&is, width, 4);
  PutLE(&is, sorted.size(), 4);
  for (int64_t v : sorted) PutLE(&is, static_cast<uint64_t>(v), width);
  return is;
}

inline std::string BuildZipmap(const std::vector<std::pair<std::string, std::string>>& pairs,
                               int free_bytes = 0) {
  std::string zm;
  zm.push_back(static_cast<char>(pairs.size() < 254 ? pairs.size() : 254));
  auto len = [&zm](size_t n) {
    if (n < 254) {
      zm.push_back(static_cast<char>(n));
    } else {
      zm.push_back(static_cast<char>(254));
      PutLE(&zm, n, 4);
    }
  };
  for (const auto& [f, v] : pairs) {
    len(f.size());
    zm += f;
    len(v.size());
    zm.push_back(static_cast<char>(free_bytes));
    zm += v;
    zm.append(free_bytes, 'Z');
  }
  zm.push_back(static_cast<char>(0xFF));
  return zm;
}

inline std::string BuildListpack(const std::vector<std::string>& items) {
  listpack::Builder b;
  for (const auto& s : items) b.Append(s);
  return std::move(b).Finish();
}

// A module type id: nine characters of A-Z a-z 0-9 - _ then a 10-bit encoding version.
inline uint64_t ModuleId(std::string_view name, int encver) {
  static constexpr std::string_view kCharset =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  uint64_t id = 0;
  for (char c : name) id = (id << 6) | kCharset.find(c);
  return (id << 10) | static_cast<uint64_t>(encver);
}

class RdbBuilder {
 public:
  explicit RdbBuilder(int version = 12) {
    char hdr[16];
    std::snprintf(hdr, sizeof(hdr), "REDIS%04d", version);
    buf_ = hdr;
    version_ = version;
  }
  RdbBuilder& Byte(uint8_t b) {
    buf_.push_back(static_cast<char>(b));
    return *this;
  }
  RdbBuilder& Raw(std::string_view s) {
    buf_ += s;
    return *this;
  }
  RdbBuilder& LE(uint64_t v, int bytes) {
    PutLE(&buf_, v, bytes);
    return *this;
  }
  RdbBuilder& BE(uint64_t v, int bytes) {
    PutBE(&buf_, v, bytes);
    return *this;
  }
  // Length encoding, the smallest form (or a forced one: 1, 2, 5 or 9 bytes).
  RdbBuilder& Len(uint64_t v, int force = 0) {
    if ((force == 0 && v < 64) || force == 1) {
      Byte(static_cast<uint8_t>(v));
    } else if ((force == 0 && v < 16384) || force == 2) {
      Byte(static_cast<uint8_t>(0x40 | (v >> 8)));
      Byte(static_cast<uint8_t>(v & 0xff));
    } else if ((force == 0 && v <= UINT32_MAX) || force == 5) {
      Byte(0x80);
      BE(v, 4);
    } else {
      Byte(0x81);
      BE(v, 8);
    }
    return *this;
  }
  RdbBuilder& Str(std::string_view s) {
    Len(s.size());
    return Raw(s);
  }
  // Integer-encoded string: width 1, 2 or 4.
  RdbBuilder& IntStr(int64_t v, int width) {
    Byte(static_cast<uint8_t>(0xC0 | (width == 1 ? 0 : width == 2 ? 1 : 2)));
    return LE(static_cast<uint64_t>(v), width);
  }
  RdbBuilder& LzfStr(std::string_view s) {
    std::string c = LzfCompress(s);
    Byte(0xC3);
    Len(c.size());
    Len(s.size());
    return Raw(c);
  }
  RdbBuilder& Double(double d) {
    uint64_t u;
    std::memcpy(&u, &d, 8);
    return LE(u, 8);
  }
  RdbBuilder& Aux(std::string_view k, std::string_view v) {
    Byte(0xFA);
    Str(k);
    return Str(v);
  }
  RdbBuilder& SelectDb(uint64_t db) {
    Byte(0xFE);
    return Len(db);
  }
  RdbBuilder& ResizeDb(uint64_t a, uint64_t b) {
    Byte(0xFB);
    Len(a);
    return Len(b);
  }
  RdbBuilder& ExpireMs(int64_t ms) {
    Byte(0xFC);
    return LE(static_cast<uint64_t>(ms), 8);
  }
  RdbBuilder& ExpireSec(int32_t s) {
    Byte(0xFD);
    return LE(static_cast<uint32_t>(s), 4);
  }
  RdbBuilder& Key(uint8_t type, std::string_view key) {
    Byte(type);
    return Str(key);
  }
  RdbBuilder& StreamId(uint64_t ms, uint64_t seq) {
    BE(ms, 8);
    return BE(seq, 8);
  }
  // EOF opcode and (version >= 5) the checksum: the real one, or `forced`.
  std::string Finish(bool checksum = true) {
    Byte(0xFF);
    if (version_ >= 5) {
      uint64_t crc = checksum ? Crc64(0, buf_.data(), buf_.size()) : 0;
      LE(crc, 8);
    }
    return buf_;
  }
  std::string FinishWithCrc(uint64_t crc) {
    Byte(0xFF);
    LE(crc, 8);
    return buf_;
  }
  const std::string& bytes() const { return buf_; }
  size_t size() const { return buf_.size(); }

 private:
  std::string buf_;
  int version_;
};

}  // namespace redlink::engine::rdb::testing
