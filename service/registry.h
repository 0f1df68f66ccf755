#pragma once
// The link registry: the definitions of all links (master, options, credentials, pause state,
// declared flag, create time) as the operator left them, so a restart brings every link back.
// The service keeps the authoritative copy in memory (LinkServiceImpl::records_) and hands every
// change to a Registry to make it durable; an RPC that changes a link finishes from the change's
// `done` callback, i.e. after the change is on disk.

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
  engine::LinkSpec spec;  // spec.paused, spec.declared and spec.create_time included
};

// Every method is safe from any thread. Changes are made durable in the order of the calls;
// successive changes may be coalesced into one write. Each `done` runs exactly once, from any
// thread (typically the registry's writer thread), once a state that includes its change is
// durable, or with the error that prevented it. `done` must not block; it may be called inline
// (e.g. by a NullRegistry or after Stop), so callers must not hold a lock `done` takes.
class Registry {
 public:
  using Done = absl::AnyInvocable<void(absl::Status)>;
  virtual ~Registry() = default;

  // Every record stored, in id order. Call once, before any change.
  virtual absl::StatusOr<std::vector<LinkRecord>> Load() = 0;
  // Replaces the whole set of records (startup reconciliation).
  virtual void Store(std::vector<LinkRecord> records, Done done) = 0;
  // Adds or replaces the record of `record.spec.id`.
  virtual void Put(LinkRecord record, Done done) = 0;
  // Removes the record of `id` (no error if there is none).
  virtual void Remove(std::string id, Done done) = 0;
  // Makes every change made so far durable and stops; later changes fail with UNAVAILABLE.
  // Blocks (shutdown only, never on a loop or a gRPC callback thread). Idempotent.
  virtual void Stop() {}
};

// Keeps nothing (tests, or when no data dir is wanted).
class NullRegistry : public Registry {
 public:
  absl::StatusOr<std::vector<LinkRecord>> Load() override { return std::vector<LinkRecord>{}; }
  void Store(std::vector<LinkRecord>, Done done) override { done(absl::OkStatus()); }
  void Put(LinkRecord, Done done) override { done(absl::OkStatus()); }
  void Remove(std::string, Done done) override { done(absl::OkStatus()); }
};

}  // namespace redlink::service
