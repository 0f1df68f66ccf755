#pragma once
// LZF decompression (the format of Redis's lzf_d.c, protocol doc §6.4), written from the format
// description with every bound checked: corrupt input gives an error, never an out-of-bounds read
// or write.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace redlink::engine::rdb {

// LZF never expands one input byte into more than 88 output bytes (a 3-byte back-reference
// copies at most 7 + 255 + 2 = 264 bytes), so an announced size above this bound is corrupt and
// is rejected before anything is allocated.
constexpr uint64_t kLzfMaxRatio = 88;

// Decompresses `in` into exactly `out_len` bytes at `out`. Returns false and sets `*error` if the
// input is malformed (truncated run, back-reference before the start of the output) or does not
// produce exactly `out_len` bytes.
bool LzfDecompress(std::string_view in, char* out, size_t out_len, std::string* error);

}  // namespace redlink::engine::rdb
