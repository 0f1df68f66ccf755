#pragma once
// Redis's legacy ziplist (ziplist.c, protocol doc §6.8), read-only: RDB types 10, 12, 13 and the
// nodes of type 14 store one. Only the RDB decoder uses it; a loaded ziplist is turned into
// per-element sink calls, never kept.
//
// Layout: <zlbytes u32 LE> <zltail u32 LE> <zllen u16 LE, 65535 = unknown> <entry>* <0xFF>
// Entry:  <prevlen: 1 byte if < 254, else 0xFE + u32 LE> <encoding> <data>

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"
#include "engine/encoding/listpack.h"

namespace redlink::engine::rdb::ziplist {

constexpr size_t kHeaderSize = 10;

// Checks a whole ziplist from an untrusted source, as Redis's ziplistValidateIntegrity() with deep
// validation: header size equals the blob size, the terminator is the last byte, every entry's
// encoding is valid and fits, every prevlen equals the previous entry's size, zltail points at
// the last entry and the header count matches (unless 65535). Returns the number of entries.
absl::StatusOr<uint32_t> Validate(std::string_view zl);

// Forward iteration over a ziplist that passed Validate(). Entries use the listpack Entry type
// (integer or a view of the ziplist's bytes).
class Reader {
 public:
  explicit Reader(std::string_view zl) : zl_(zl), pos_(kHeaderSize) {}
  // Returns false at the terminator.
  bool Next(listpack::Entry* entry);

 private:
  std::string_view zl_;
  size_t pos_;
};

}  // namespace redlink::engine::rdb::ziplist
