#pragma once
// Redis's intset (protocol doc §6.8), byte-compatible so RDB type 11 is adopted as is and DUMP
// writes it back unchanged: <encoding u32 LE: 2|4|8> <length u32 LE> <sorted int LE>*.
// Owned intsets are malloc'd blocks of exactly Bytes() bytes.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace redlink::engine::intset {

constexpr size_t kHeaderSize = 8;

char* NewEmpty();
char* CopyOf(std::string_view is);
// Checks an untrusted intset: header, size, encoding, strictly ascending contents.
bool Validate(std::string_view is);

uint32_t Length(const char* is);
size_t Bytes(const char* is);
inline std::string_view View(const char* is) { return std::string_view(is, Bytes(is)); }
int64_t Get(const char* is, uint32_t pos);
bool Find(const char* is, int64_t v, uint32_t* pos = nullptr);
int64_t Min(const char* is);
int64_t Max(const char* is);

// Adds `v` (upgrading the encoding if needed); *added says whether it was new. May realloc.
char* Add(char* is, int64_t v, bool* added);
// Removes `v`; *removed says whether it was there. May realloc.
char* Remove(char* is, int64_t v, bool* removed);

}  // namespace redlink::engine::intset
