#pragma once
// The link registry: the definitions of all links (master, options, credentials, pause state)
// as the operator left them, so a restart brings every link back. The service keeps the
// authoritative copy in memory and hands every change to a Registry to make it durable.

#include <memory>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/engine_types.h"

namespace redlink::service {

// One link's definition. `spec.password` is stored (the registry file is mode 0600) but never
// returned over the API or logged.
struct LinkRecord {
  engine::LinkSpec spec;  // spec.paused and spec.declared included
};

class Registry {
 public:
  using Done = absl::AnyInvocable<void(absl::Status)>;
  virtual ~Registry() = default;
  // Every record stored, in id order.
  virtual absl::StatusOr<std::vector<LinkRecord>> Load() = 0;
  // Makes `records` (the whole set of links) durable, then calls `done` (from any thread).
  // Successive calls may be coalesced; each `done` runs once a state at least as new as its
  // call is on disk.
  virtual void Store(std::vector<LinkRecord> records, Done done) = 0;
};

// Keeps nothing (tests, or when no data dir is wanted).
class NullRegistry : public Registry {
 public:
  absl::StatusOr<std::vector<LinkRecord>> Load() override { return std::vector<LinkRecord>{}; }
  void Store(std::vector<LinkRecord>, Done done) override { done(absl::OkStatus()); }
};

}  // namespace redlink::service
