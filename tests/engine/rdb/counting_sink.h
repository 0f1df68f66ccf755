#pragma once
// An RdbSink that only counts what it receives (no allocation): for throughput measurements, the
// fuzzer, and tests that must not be disturbed by the sink's own memory use.

#include <cstdint>
#include <span>
#include <string_view>

#include "engine/rdb/rdb_sink.h"

namespace redlink::engine::rdb::testing {

class CountingSink : public RdbSink {
 public:
  explicit CountingSink(bool accept_raw = false) : accept_raw_(accept_raw) {}

  uint64_t keys = 0;
  uint64_t elements = 0;
  uint64_t bytes = 0;  // of every string handed over
  uint64_t raw = 0;
  uint64_t ends = 0;

  absl::Status OnAux(std::string_view k, std::string_view v) override { return Add(k, v); }
  absl::Status OnSelectDb(uint64_t) override { return absl::OkStatus(); }
  absl::Status OnFunction(std::string_view code) override { return Add(code); }
  absl::Status OnEnd() override {
    ++ends;
    return absl::OkStatus();
  }
  absl::Status OnString(std::string_view key, const KeyMeta&, std::string_view v) override {
    ++keys;
    return Add(key, v);
  }
  absl::Status BeginList(std::string_view key, const KeyMeta&, uint64_t) override {
    ++keys;
    return Add(key);
  }
  absl::Status ListElement(std::string_view v) override { return Elem(v); }
  absl::Status EndList() override { return absl::OkStatus(); }
  absl::Status BeginSet(std::string_view key, const KeyMeta&, uint64_t) override {
    ++keys;
    return Add(key);
  }
  absl::Status SetMember(std::string_view v) override { return Elem(v); }
  absl::Status EndSet() override { return absl::OkStatus(); }
  absl::Status BeginZset(std::string_view key, const KeyMeta&, uint64_t) override {
    ++keys;
    return Add(key);
  }
  absl::Status ZsetMember(std::string_view v, double) override { return Elem(v); }
  absl::Status EndZset() override { return absl::OkStatus(); }
  absl::Status BeginHash(std::string_view key, const KeyMeta&, uint64_t) override {
    ++keys;
    return Add(key);
  }
  absl::Status HashField(std::string_view f, std::string_view v, int64_t) override {
    ++elements;
    return Add(f, v);
  }
  absl::Status EndHash() override { return absl::OkStatus(); }
  absl::Status BeginStream(std::string_view key, const KeyMeta&) override {
    ++keys;
    return Add(key);
  }
  absl::Status StreamEntry(StreamId, std::span<const std::string_view> fv) override {
    ++elements;
    for (auto s : fv) bytes += s.size();
    return absl::OkStatus();
  }
  absl::Status StreamInfo(const StreamMeta&) override { return absl::OkStatus(); }
  absl::Status StreamGroup(const StreamGroupMeta& g) override { return Add(g.name); }
  absl::Status StreamGroupPending(const StreamPendingEntry&) override { return absl::OkStatus(); }
  absl::Status StreamConsumer(const StreamConsumerMeta& c) override { return Add(c.name); }
  absl::Status StreamConsumerPending(StreamId) override { return absl::OkStatus(); }
  absl::Status EndStream() override { return absl::OkStatus(); }
  bool AcceptsListpack(ListpackKind) const override { return accept_raw_; }
  absl::Status OnListpack(ListpackKind, std::string_view lp, StreamId) override {
    ++raw;
    return Add(lp);
  }

 private:
  absl::Status Add(std::string_view a, std::string_view b = {}) {
    bytes += a.size() + b.size();
    return absl::OkStatus();
  }
  absl::Status Elem(std::string_view v) {
    ++elements;
    return Add(v);
  }
  bool accept_raw_;
};

}  // namespace redlink::engine::rdb::testing
