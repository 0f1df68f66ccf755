#include "engine/rdb/lzf.h"

#include <cstring>

#include "engine/common/strings.h"

namespace redlink::engine::rdb {

bool LzfDecompress(std::string_view in, char* out, size_t out_len, std::string* error) {
  const auto* ip = reinterpret_cast<const uint8_t*>(in.data());
  const uint8_t* const in_end = ip + in.size();
  char* op = out;
  char* const out_end = out + out_len;
  while (ip < in_end) {
    size_t ctrl = *ip++;
    if (ctrl < 32) {
      // Literal run of ctrl + 1 bytes.
      size_t len = ctrl + 1;
      if (static_cast<size_t>(in_end - ip) < len) {
        *error = "LZF literal run overruns the input";
        return false;
      }
      if (static_cast<size_t>(out_end - op) < len) {
        *error = "LZF output longer than announced";
        return false;
      }
      // Copying a fixed 32 bytes when both sides have room is faster than a variable memcpy;
      // the extra bytes are overwritten by what follows.
      if (static_cast<size_t>(in_end - ip) >= 32 && static_cast<size_t>(out_end - op) >= 32) {
        std::memcpy(op, ip, 32);
      } else {
        std::memcpy(op, ip, len);
      }
      op += len;
      ip += len;
      continue;
    }
    // Back-reference: length in the top 3 bits (7 = one more length byte), 13-bit distance.
    size_t len = ctrl >> 5;
    if (ip >= in_end) {
      *error = "LZF back-reference truncated";
      return false;
    }
    if (len == 7) {
      len += *ip++;
      if (ip >= in_end) {
        *error = "LZF back-reference truncated";
        return false;
      }
    }
    size_t distance = ((ctrl & 0x1f) << 8) + *ip++ + 1;
    len += 2;
    if (distance > static_cast<size_t>(op - out)) {
      *error = StrCat("LZF back-reference to ", distance, " bytes back, only ", op - out,
                      " bytes written");
      return false;
    }
    if (static_cast<size_t>(out_end - op) < len) {
      *error = "LZF output longer than announced";
      return false;
    }
    const char* ref = op - distance;
    if (distance >= 8 && static_cast<size_t>(out_end - op) >= len + 8) {
      // 8-byte steps are exact even when the regions overlap: with distance >= 8 every source
      // byte of a step was written by an earlier step. The last step may write up to 7 bytes
      // past `len` (inside the buffer); they are overwritten later.
      for (size_t i = 0; i < len; i += 8) std::memcpy(op + i, ref + i, 8);
    } else {
      // Short distance: the copy repeats the last `distance` bytes, byte by byte.
      for (size_t i = 0; i < len; ++i) op[i] = ref[i];
    }
    op += len;
  }
  if (op != out_end) {
    *error = StrCat("LZF data decompressed to ", op - out, " bytes, ", out_len, " announced");
    return false;
  }
  return true;
}

}  // namespace redlink::engine::rdb
