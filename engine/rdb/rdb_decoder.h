#pragma once
// Streaming RDB decoder (versions 1..12, protocol doc §6). Push-based: the link feeds payload
// bytes as they arrive from the socket; the decoder emits records to an RdbSink as soon as they
// are complete. It never needs the whole payload: it keeps at most the bytes of the element it
// is in the middle of (one string, one listpack), and never allocates a size that the input only
// announced before the bytes are there.
//
// Errors (malformed or truncated input, unsupported module data, checksum mismatch, or an error
// returned by the sink) are sticky: every later call returns the same status. Codes:
// DATA_LOSS for corrupt input ("RDB: <what> [in key '<key>'] at offset <n>[: <detail>]"),
// UNIMPLEMENTED for what cannot be represented (module types and module AUX data, naming the
// module; the 7.0 RC function and 4.0 RC module formats), FAILED_PRECONDITION for an RDB version
// above 12 ("RDB version 13 is newer than 12"). A sink's error is returned unchanged.
//
// Memory: the decoder keeps the bytes of the string in progress (a key, a value, one listpack or
// quicklist node) and a few bytes of a field that straddles two chunks; nothing else grows with
// the payload. Strings are read in place when they arrive whole in one chunk. The decoder copies
// nothing the caller passed to Feed() beyond the call, so the caller may reuse its buffer at once.
//
// Threading: not thread-safe; one owner calls Feed/Finish. Feed must not be called from a sink
// callback. Implementation notes are at the top of rdb_decoder.cc.

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/rdb/rdb_sink.h"

namespace redlink::engine::rdb {

struct DecoderOptions {
  bool verify_checksum = true;  // a stored checksum of 0 is never verified
};

class RdbDecoder {
 public:
  explicit RdbDecoder(RdbSink* sink, DecoderOptions options = {});
  ~RdbDecoder();
  RdbDecoder(const RdbDecoder&) = delete;
  RdbDecoder& operator=(const RdbDecoder&) = delete;

  // Consumes bytes of the payload and returns how many it took: all of them, except that it
  // stops right after the RDB's last byte (EOF opcode + checksum), so the caller can check what
  // follows (the 40-byte mark of a diskless transfer).
  absl::StatusOr<size_t> Feed(std::string_view data);

  // True once the whole RDB (through the checksum) was consumed and OnEnd() returned OK.
  bool done() const;
  // The payload ended (the connection closed or the announced length was reached): an error
  // naming the truncation if the RDB is not complete.
  absl::Status Finish();

  uint64_t bytes_consumed() const;
  int rdb_version() const;  // 0 until the header was read

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace redlink::engine::rdb
