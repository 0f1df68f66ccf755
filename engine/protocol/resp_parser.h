#pragma once
// Incremental, binary-safe RESP2/RESP3 parsing. Pure: no sockets, no allocation of sizes that the
// peer only announced. The caller keeps the bytes in one contiguous buffer and calls a Parse
// function with everything not yet consumed; on kOk it consumes `*consumed` bytes.
//
// Lifetime rule: string_views in a RespValue or in `args` point into the data passed to Parse and
// are valid until the caller consumes or moves those bytes (inline arguments that needed
// unescaping point into the parser and are valid until the next Parse call).
//
// Restart rule: a frame is re-parsed from its first byte when more data arrives. To keep that
// linear for large frames, the parser remembers how many bytes the current frame needs at least
// and answers kNeedMore at once until that many are offered. Call Reset() if the caller offers a
// different frame start without consuming the one it was offered.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace redlink::engine {

enum class RespType : uint8_t {
  kSimpleString,  // +
  kError,         // -
  kInteger,       // :
  kBulkString,    // $
  kArray,         // *
  kNull,          // _  (and RESP2 $-1 / *-1)
  kDouble,        // ,
  kBoolean,       // #
  kBigNumber,     // (
  kBlobError,     // !
  kVerbatim,      // =   str holds the payload after the "txt:" prefix; format holds "txt"
  kMap,           // %   elements hold key, value, key, value...
  kSet,           // ~
  kPush,          // >
};

struct RespValue {
  RespType type = RespType::kNull;
  std::string_view str;
  std::string_view format;  // verbatim strings only
  int64_t integer = 0;      // integers; booleans as 0/1
  double dbl = 0;
  std::vector<RespValue> elements;
  // RESP3 attributes (|) that preceded this value are parsed and dropped.

  bool IsError() const { return type == RespType::kError || type == RespType::kBlobError; }
  bool IsString() const {
    return type == RespType::kSimpleString || type == RespType::kBulkString ||
           type == RespType::kVerbatim;
  }
};

struct RespLimits {
  uint64_t max_bulk_len = 512ull * 1024 * 1024;    // Redis proto-max-bulk-len
  size_t max_inline_len = 64 * 1024;               // Redis PROTO_INLINE_MAX_SIZE: any line
  int64_t max_array_len = (int64_t{1} << 31) - 1;  // elements of one aggregate
  int max_depth = 32;                              // nesting of aggregates (replies only)
};

enum class ParseResult { kOk, kNeedMore, kError };

class RespParser {
 public:
  explicit RespParser(RespLimits limits = {}) : limits_(limits) {}

  // One reply of any RESP2/RESP3 type.
  ParseResult ParseReply(std::string_view data, RespValue* value, size_t* consumed);

  // One command: an array of bulk strings, or (if `allow_inline`) an inline line split on
  // spaces with Redis's quoting rules. An empty line yields a command with no arguments.
  ParseResult ParseCommand(std::string_view data, std::vector<std::string_view>* args,
                           size_t* consumed, bool allow_inline);

  // The sticky error after kError; every later call returns kError until Reset().
  const absl::Status& error() const { return error_; }
  void Reset() {
    error_ = absl::OkStatus();
    need_ = 0;
  }
  const RespLimits& limits() const { return limits_; }

 private:
  enum class Step { kOk, kNeedMore, kError };
  Step ParseValue(std::string_view data, size_t* pos, RespValue* out, int depth);
  Step ReadLine(std::string_view data, size_t* pos, std::string_view* line);
  Step ReadLength(std::string_view data, size_t* pos, int64_t* len, const char* what);
  ParseResult Fail(absl::Status status);
  ParseResult NeedMore(size_t need);

  RespLimits limits_;
  absl::Status error_;
  size_t need_ = 0;                          // the current frame needs at least this many bytes
  size_t need_hint_ = 0;                     // set by the inner steps when they run out
  std::vector<std::string> inline_storage_;  // unescaped inline arguments
};

// Splits an inline command line like Redis's sdssplitargs: spaces separate, "double" quotes with
// \n \r \t \b \a \\ \" \xHH escapes, 'single' quotes with \' only. Returns false on unbalanced
// quotes. Unescaped output is stored in `storage`; `args` point into it or into `line`.
bool SplitInlineArgs(std::string_view line, std::vector<std::string_view>* args,
                     std::vector<std::string>* storage);

}  // namespace redlink::engine
