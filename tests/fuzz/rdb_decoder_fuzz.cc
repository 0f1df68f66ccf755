// libFuzzer target for the streaming RDB decoder (engine/rdb). Any byte string is an input; a
// real .rdb file is a good one (seed corpus: tests/data/rdb/*.rdb, see rdb_seed_corpus.sh).
//
// The input is fed in pseudo-random chunk sizes derived from the data itself (so .rdb seeds need
// no prefix): single bytes, small and large chunks, each copied into its own heap buffer that is
// freed right after Feed(), so ASan reports any view the decoder keeps into the caller's bytes.
// The sink reads every byte it is given, takes raw listpacks on some inputs (and iterates them, as
// a keyspace would), and verifies checksums only on some inputs so mutated files reach the end.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

#include "engine/encoding/listpack.h"
#include "engine/rdb/rdb_decoder.h"

namespace {

using namespace redlink::engine;
using namespace redlink::engine::rdb;

class FuzzSink : public RdbSink {
 public:
  explicit FuzzSink(bool raw) : raw_(raw) {}
  uint64_t sum = 0;

  absl::Status OnAux(std::string_view k, std::string_view v) override { return Touch(k, v); }
  absl::Status OnSelectDb(uint64_t) override { return absl::OkStatus(); }
  absl::Status OnFunction(std::string_view code) override { return Touch(code); }
  absl::Status OnEnd() override { return absl::OkStatus(); }
  absl::Status OnString(std::string_view k, const KeyMeta&, std::string_view v) override {
    return Touch(k, v);
  }
  absl::Status BeginList(std::string_view k, const KeyMeta&, uint64_t) override { return Touch(k); }
  absl::Status ListElement(std::string_view v) override { return Touch(v); }
  absl::Status EndList() override { return absl::OkStatus(); }
  absl::Status BeginSet(std::string_view k, const KeyMeta&, uint64_t) override { return Touch(k); }
  absl::Status SetMember(std::string_view v) override { return Touch(v); }
  absl::Status EndSet() override { return absl::OkStatus(); }
  absl::Status BeginZset(std::string_view k, const KeyMeta&, uint64_t) override { return Touch(k); }
  absl::Status ZsetMember(std::string_view v, double) override { return Touch(v); }
  absl::Status EndZset() override { return absl::OkStatus(); }
  absl::Status BeginHash(std::string_view k, const KeyMeta&, uint64_t) override { return Touch(k); }
  absl::Status HashField(std::string_view f, std::string_view v, int64_t) override {
    return Touch(f, v);
  }
  absl::Status EndHash() override { return absl::OkStatus(); }
  absl::Status BeginStream(std::string_view k, const KeyMeta&) override { return Touch(k); }
  absl::Status StreamEntry(StreamId, std::span<const std::string_view> fv) override {
    for (auto s : fv) Add(s);
    return absl::OkStatus();
  }
  absl::Status StreamInfo(const StreamMeta&) override { return absl::OkStatus(); }
  absl::Status StreamGroup(const StreamGroupMeta& g) override { return Touch(g.name); }
  absl::Status StreamGroupPending(const StreamPendingEntry&) override { return absl::OkStatus(); }
  absl::Status StreamConsumer(const StreamConsumerMeta& c) override { return Touch(c.name); }
  absl::Status StreamConsumerPending(StreamId) override { return absl::OkStatus(); }
  absl::Status EndStream() override { return absl::OkStatus(); }
  bool AcceptsListpack(ListpackKind) const override { return raw_; }
  absl::Status OnListpack(ListpackKind, std::string_view lp, StreamId) override {
    // The decoder validated it: iterating must be safe.
    if (!listpack::Validate(lp).ok()) abort();
    listpack::Reader r(lp);
    listpack::Entry e;
    char buf[21];
    while (r.Next(&e)) Add(e.AsString(buf));
    return absl::OkStatus();
  }

 private:
  void Add(std::string_view s) {
    for (char c : s) sum += static_cast<uint8_t>(c);
  }
  absl::Status Touch(std::string_view a, std::string_view b = {}) {
    Add(a);
    Add(b);
    return absl::OkStatus();
  }
  bool raw_;
};

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Derive the feeding pattern from the input: its size and a few of its bytes.
  uint64_t h = Mix(size);
  for (size_t i = 0; i < size && i < 64; ++i) h = Mix(h ^ data[i]);
  if (size > 64) h = Mix(h ^ data[size - 1]);
  const bool raw = (h & 1) != 0;
  const bool verify = (h & 6) == 0;
  const int mode = static_cast<int>((h >> 3) & 3);  // 0: one byte, 1: small, 2: large, 3: mixed
  uint64_t rng = h | 1;
  auto next = [&rng] {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
  };

  FuzzSink sink(raw);
  RdbDecoder dec(&sink, DecoderOptions{.verify_checksum = verify});
  size_t pos = 0;
  while (pos < size) {
    size_t n;
    switch (mode) {
      case 0:
        n = 1;
        break;
      case 1:
        n = 1 + next() % 16;
        break;
      case 2:
        n = 1 + next() % 65536;
        break;
      default:
        n = (next() & 1) ? 1 : 1 + next() % (size_t{1} << (next() % 17));
        break;
    }
    n = n < size - pos ? n : size - pos;
    auto chunk = std::make_unique<char[]>(n);
    std::memcpy(chunk.get(), data + pos, n);
    auto r = dec.Feed(std::string_view(chunk.get(), n));
    chunk.reset();
    if (!r.ok()) break;
    if (*r > n) abort();
    if (dec.done()) break;
    if (*r != n) abort();  // before the end, Feed takes everything
    pos += n;
  }
  absl::Status st = dec.Finish();
  if (dec.done() != st.ok()) abort();
  return 0;
}
