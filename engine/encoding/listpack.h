#pragma once
// Redis's listpack format (github.com/antirez/listpack, protocol doc §6.8), byte-compatible:
// the keyspace stores small hashes, sets, sorted sets, list nodes and stream nodes in it, so an
// RDB listpack can be adopted as it is and DUMP can write it back unchanged.
//
// Layout: <total bytes u32 LE> <count u16 LE, 65535 = unknown> <entry>* <0xFF>
// Entry:  <encoding+data> <backlen: size of encoding+data, 1..5 bytes, readable right-to-left>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace redlink::engine::listpack {

constexpr size_t kHeaderSize = 6;
constexpr uint8_t kEnd = 0xFF;
constexpr uint16_t kUnknownCount = 65535;

// One element: either an integer or a byte string (a view into the listpack).
struct Entry {
  bool is_int = false;
  int64_t ival = 0;
  std::string_view sval;

  // The element as Redis renders it: integers in canonical decimal. `buf` must hold 21 bytes.
  std::string_view AsString(char* buf) const;
};

// Checks a whole listpack from an untrusted source: header length equals the blob size, every
// entry's encoding fits inside the blob, every backlen matches its entry, the terminator is the
// last byte, and the header count matches (unless 65535). Returns the number of entries.
absl::StatusOr<uint32_t> Validate(std::string_view lp);

// Total bytes and count from the header (no validation).
uint32_t TotalBytes(std::string_view lp);
uint32_t HeaderCount(std::string_view lp);

// Forward iteration over a listpack that passed Validate() (or was built by Builder).
class Reader {
 public:
  explicit Reader(std::string_view lp) : lp_(lp), pos_(kHeaderSize) {}
  // Returns false at the terminator.
  bool Next(Entry* entry);
  // Byte offset of the next entry (for in-place edits).
  size_t position() const { return pos_; }

 private:
  std::string_view lp_;
  size_t pos_;
};

// Redis's lpStringToInt64 rules: a string is stored as an integer only if it is the canonical
// decimal form of an int64 ("0", "-5", "300"; not "+1", "007", "-0", " 1").
bool StringToInt64Strict(std::string_view s, int64_t* out);

// Size in bytes of the entry (encoding + data + backlen) for a string or an integer.
size_t EncodedSize(std::string_view s);
size_t EncodedIntSize(int64_t v);
// Appends the encoded entry (encoding + data + backlen) to `out`. Strings that are canonical
// integers are encoded as integers, as Redis does.
void AppendEncoded(std::string* out, std::string_view s);
void AppendEncodedInt(std::string* out, int64_t v);

// Builds a listpack from scratch.
class Builder {
 public:
  Builder();
  void Append(std::string_view s);
  void AppendInt(int64_t v);
  uint32_t count() const { return count_; }
  size_t bytes() const { return buf_.size() + 1; }
  // Writes the header and the terminator and returns the listpack.
  std::string Finish() &&;

 private:
  std::string buf_;
  uint32_t count_ = 0;
};

// ---- Random access and editing ------------------------------------------------------------
// The keyspace keeps listpacks as malloc'd blocks of exactly TotalBytes(lp) bytes ("owned
// listpacks"); these functions read any listpack and edit owned ones. Offsets are byte offsets
// of an entry's first byte; kHeaderSize is the first entry, and an offset whose byte is kEnd is
// the end.

// A malloc'd empty listpack, and a malloc'd copy of `lp`. Free with std::free.
char* NewEmpty();
char* CopyOf(std::string_view lp);
// The whole listpack of an owned block.
inline std::string_view View(const char* lp) { return std::string_view(lp, TotalBytes(lp)); }

// Decodes the entry at `offset`; returns the offset of the next entry (or of the terminator).
size_t EntryAt(std::string_view lp, size_t offset, Entry* entry);
// Offset of the entry before the one at `offset` (offset may be the terminator's); 0 if none.
size_t PrevOffset(std::string_view lp, size_t offset);
// Offset of the last entry, 0 if empty.
size_t LastOffset(std::string_view lp);
inline bool AtEnd(std::string_view lp, size_t offset) {
  return offset >= lp.size() || static_cast<uint8_t>(lp[offset]) == kEnd;
}
// Offset of entry `index` (negative: from the end, -1 = last); 0 if out of range.
size_t Seek(std::string_view lp, int64_t index);
// Number of entries (the header count, or a walk when it is 65535).
uint32_t Length(std::string_view lp);
// True if the entry equals `s` as Redis compares them (integers by their decimal text).
bool EntryEquals(const Entry& e, std::string_view s);

// Replaces `remove_bytes` bytes at `offset` (`remove_count` whole entries) with `encoded`
// (`add_count` entries produced by AppendEncoded*), fixing the header. Returns the listpack,
// which may have moved (realloc); the old pointer is invalid.
char* Splice(char* lp, size_t offset, size_t remove_bytes, uint32_t remove_count,
             std::string_view encoded, uint32_t add_count);
// Convenience wrappers over Splice.
char* Append(char* lp, std::string_view s);
char* Prepend(char* lp, std::string_view s);
char* InsertAt(char* lp, size_t offset, std::string_view s);
// Deletes `count` entries starting at `offset`.
char* DeleteAt(char* lp, size_t offset, uint32_t count);
char* ReplaceAt(char* lp, size_t offset, std::string_view s);

}  // namespace redlink::engine::listpack
