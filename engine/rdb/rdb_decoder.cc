// Placeholder until the streaming decoder lands: rejects every payload.
#include "engine/rdb/rdb_decoder.h"

namespace redlink::engine::rdb {

class RdbDecoder::Impl {
 public:
  absl::Status error = absl::UnimplementedError("RDB decoding is not implemented yet");
};

RdbDecoder::RdbDecoder(RdbSink* sink, DecoderOptions options) : impl_(std::make_unique<Impl>()) {}
RdbDecoder::~RdbDecoder() = default;
absl::StatusOr<size_t> RdbDecoder::Feed(std::string_view data) { return impl_->error; }
bool RdbDecoder::done() const { return false; }
absl::Status RdbDecoder::Finish() { return impl_->error; }
uint64_t RdbDecoder::bytes_consumed() const { return 0; }
int RdbDecoder::rdb_version() const { return 0; }

}  // namespace redlink::engine::rdb
