// libFuzzer target for the RESP parser: the input is parsed as replies and as commands, whole
// and in chunks whose sizes come from the input, and the two must agree frame for frame.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "engine/protocol/resp_parser.h"

namespace {

using redlink::engine::ParseResult;
using redlink::engine::RespLimits;
using redlink::engine::RespParser;
using redlink::engine::RespValue;

RespLimits Limits() {
  RespLimits l;
  l.max_bulk_len = 1 << 20;
  l.max_inline_len = 4096;
  l.max_depth = 16;
  l.max_array_len = 1 << 16;
  return l;
}

// Parses every frame of `data` delivered in chunks; returns the sequence of frame sizes, and the
// final state (kError or kNeedMore) as -1 / -2.
template <typename ParseOne>
std::vector<long> Frames(std::string_view data, const std::vector<size_t>& chunks, ParseOne parse) {
  std::vector<long> out;
  std::string buf;
  size_t fed = 0, ci = 0;
  for (;;) {
    size_t consumed = 0;
    ParseResult r = parse(std::string_view(buf), &consumed);
    if (r == ParseResult::kOk) {
      if (consumed == 0 || consumed > buf.size()) __builtin_trap();
      out.push_back(static_cast<long>(consumed));
      buf.erase(0, consumed);
      continue;
    }
    if (r == ParseResult::kError) {
      out.push_back(-1);
      return out;
    }
    if (fed == data.size()) {
      out.push_back(-2);
      return out;
    }
    size_t n = chunks.empty() ? data.size() : chunks[ci++ % chunks.size()];
    n = std::min(n, data.size() - fed);
    // A fresh heap copy each time, so that ASan sees views that outlive their buffer.
    buf.append(data.substr(fed, n));
    fed += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  std::vector<size_t> chunks;
  size_t nchunks = data[0] % 8;
  for (size_t i = 0; i < nchunks && 1 + i < size; ++i) chunks.push_back(1 + data[1 + i] % 64);
  std::string_view input(reinterpret_cast<const char*>(data) + 1 + nchunks,
                         size > 1 + nchunks ? size - 1 - nchunks : 0);

  for (bool as_command : {false, true}) {
    auto run = [&](const std::vector<size_t>& c) {
      RespParser parser(Limits());
      RespValue value;
      std::vector<std::string_view> args;
      return Frames(input, c, [&](std::string_view buf, size_t* consumed) {
        if (as_command) {
          ParseResult r = parser.ParseCommand(buf, &args, consumed, /*allow_inline=*/true);
          if (r == ParseResult::kOk) {
            for (auto a : args) {
              // Every argument lies inside the buffer (or the parser's inline storage).
              volatile char sink = a.empty() ? 0 : a[a.size() - 1];
              (void)sink;
            }
          }
          return r;
        }
        return parser.ParseReply(buf, &value, consumed);
      });
    };
    std::vector<long> whole = run({});
    std::vector<long> chunked = run(chunks);
    // Chunking never changes what is parsed (an error may surface at a different frame only if
    // the whole input never completes one; compare the complete frames).
    size_t n = std::min(whole.size(), chunked.size());
    for (size_t i = 0; i + 1 < n; ++i) {
      if (whole[i] != chunked[i]) __builtin_trap();
    }
  }
  return 0;
}
