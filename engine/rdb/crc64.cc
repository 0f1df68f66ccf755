#include "engine/rdb/crc64.h"

#include <array>
#include <cstring>

namespace redlink::engine::rdb {
namespace {

// The reflected form of 0xad93d23594c935a9 (bit order reversed), for right-shifting CRCs.
constexpr uint64_t kReflectedPoly = 0x95ac9329ac4bc9b5ULL;

using Table = std::array<std::array<uint64_t, 256>, 8>;

constexpr Table MakeSliceTables() {
  Table t{};
  for (uint64_t i = 0; i < 256; ++i) {
    uint64_t crc = i;
    for (int b = 0; b < 8; ++b) crc = (crc & 1) ? (crc >> 1) ^ kReflectedPoly : crc >> 1;
    t[0][i] = crc;
  }
  // t[k][i]: the CRC of byte i followed by k zero bytes, so eight bytes fold in one step.
  for (int k = 1; k < 8; ++k) {
    for (int i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
  }
  return t;
}

constexpr Table kSlice = MakeSliceTables();

// Long inputs are split into three lanes of kLane bytes whose CRCs are computed in one
// interleaved loop (three independent dependency chains instead of one), then joined:
// for this CRC (init 0, no final XOR), crc(A|B) = Z(crc(A), |B|) ^ crc(B), where Z(s, n) is the
// state after feeding n zero bytes from state s. Z(., kLane) is linear, so it is a table too.
constexpr size_t kLane = 4096;

constexpr uint64_t ZeroBytes(uint64_t crc, size_t n) {
  for (size_t i = 0; i < n; ++i) crc = kSlice[0][crc & 0xff] ^ (crc >> 8);
  return crc;
}

Table MakeShiftTable() {
  uint64_t basis[64];
  for (int i = 0; i < 64; ++i) basis[i] = ZeroBytes(uint64_t{1} << i, kLane);
  Table t{};
  for (int k = 0; k < 8; ++k) {
    for (int b = 0; b < 256; ++b) {
      uint64_t v = 0;
      for (int j = 0; j < 8; ++j) {
        if (b & (1 << j)) v ^= basis[8 * k + j];
      }
      t[k][b] = v;
    }
  }
  return t;
}

const Table& ShiftTable() {
  static const Table t = MakeShiftTable();
  return t;
}

inline uint64_t Fold8(const Table& t, uint64_t v) {
  return t[7][v & 0xff] ^ t[6][(v >> 8) & 0xff] ^ t[5][(v >> 16) & 0xff] ^ t[4][(v >> 24) & 0xff] ^
         t[3][(v >> 32) & 0xff] ^ t[2][(v >> 40) & 0xff] ^ t[1][(v >> 48) & 0xff] ^ t[0][v >> 56];
}

// The lane shift uses the tables in the opposite order: t[k] covers bits 8k..8k+7.
inline uint64_t Shift(const Table& t, uint64_t v) {
  return t[0][v & 0xff] ^ t[1][(v >> 8) & 0xff] ^ t[2][(v >> 16) & 0xff] ^ t[3][(v >> 24) & 0xff] ^
         t[4][(v >> 32) & 0xff] ^ t[5][(v >> 40) & 0xff] ^ t[6][(v >> 48) & 0xff] ^ t[7][v >> 56];
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);  // little-endian hosts only (x86_64, aarch64)
  return v;
}

}  // namespace

uint64_t Crc64(uint64_t crc, const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  if (len >= 3 * kLane) {
    const Table& shift = ShiftTable();
    while (len >= 3 * kLane) {
      uint64_t a = crc, b = 0, c = 0;
      const uint8_t* pa = p;
      const uint8_t* pb = p + kLane;
      const uint8_t* pc = p + 2 * kLane;
      for (size_t i = 0; i < kLane; i += 8) {
        a = Fold8(kSlice, a ^ Load64(pa + i));
        b = Fold8(kSlice, b ^ Load64(pb + i));
        c = Fold8(kSlice, c ^ Load64(pc + i));
      }
      crc = Shift(shift, Shift(shift, a) ^ b) ^ c;
      p += 3 * kLane;
      len -= 3 * kLane;
    }
  }
  while (len >= 8) {
    crc = Fold8(kSlice, crc ^ Load64(p));
    p += 8;
    len -= 8;
  }
  while (len--) crc = kSlice[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

uint64_t Crc64Bitwise(uint64_t crc, const void* data, size_t len) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < len; ++i) {
    crc ^= p[i];
    for (int b = 0; b < 8; ++b) crc = (crc & 1) ? (crc >> 1) ^ kReflectedPoly : crc >> 1;
  }
  return crc;
}

}  // namespace redlink::engine::rdb
