#pragma once
// CRC-64 "Jones" as used by Redis for RDB trailers (crc64.c): polynomial 0xad93d23594c935a9,
// reflected input and output, initial value 0, no final XOR. Check value of "123456789" is
// 0xe9c6d914c4b8d9ca. Table-driven (slice-by-8), and long inputs run as three interleaved lanes
// joined with a precomputed shift, so checksumming never bottlenecks a full sync.

#include <cstddef>
#include <cstdint>

namespace redlink::engine::rdb {

// Continues `crc` over `len` bytes. Start with 0; Crc64(Crc64(0, a), b) == Crc64(0, a + b).
uint64_t Crc64(uint64_t crc, const void* data, size_t len);

// Bit-at-a-time reference implementation (slow; for tests).
uint64_t Crc64Bitwise(uint64_t crc, const void* data, size_t len);

}  // namespace redlink::engine::rdb
