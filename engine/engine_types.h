#pragma once
// Plain, copyable types shared by the engine and the control plane (service/). No protobuf here:
// service/ translates these to and from redlink.v1 messages.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace redlink::engine {

// The public link state (API.md LinkState without the prefix). Internal states of the link's
// state machine map onto these (replication/link_state.h).
enum class LinkState {
  kUnspecified = 0,
  kConnecting = 1,
  kPinging = 2,
  kAuthenticating = 3,
  kAnnouncing = 4,
  kSyncing = 5,
  kTransferring = 6,
  kStreaming = 7,
  kPaused = 8,
  kBackoff = 9,
  kFailed = 10,
};
constexpr int kNumLinkStates = 11;
// "STREAMING", "BACKOFF", ... (the enum name without LINK_STATE_).
const char* LinkStateName(LinkState state);

// The step of the seven where an error happened (API.md last_error.step).
enum class ErrorStep { kNone = 0, kConnect, kPing, kAuth, kReplconf, kPsync, kTransfer, kStream };
constexpr int kNumErrorSteps = 8;
const char* ErrorStepName(ErrorStep step);  // "CONNECT", ... ("" for kNone)

enum class UnsupportedCommandPolicy { kFail = 0, kSkip = 1 };

struct LinkOptions {
  bool drop_before_load = false;
  UnsupportedCommandPolicy unsupported_commands = UnsupportedCommandPolicy::kFail;
  int repl_timeout_seconds = 60;      // Redis repl-timeout
  int handshake_timeout_seconds = 5;  // each handshake reply (CONFIG_REPL_SYNCIO_TIMEOUT)
  int connect_timeout_seconds = 5;
};

// What the control plane asks for. The password never leaves the engine.
struct LinkSpec {
  std::string id;
  std::string host;
  int port = 6379;
  std::string username;
  std::string password;  // empty: no AUTH
  LinkOptions options;
  bool paused = false;    // start paused (restored from the registry)
  bool declared = false;  // created from --links_file
  absl::Time create_time = absl::InfinitePast();
};

struct LinkError {
  ErrorStep step = ErrorStep::kNone;
  std::string message;
  absl::Time at = absl::InfinitePast();
};

struct DbKeyCount {
  int db = 0;
  uint64_t keys = 0;
  uint64_t expires = 0;
};

// An immutable snapshot of one link, published by the link's loop (on every state change and at
// most every 100 ms while counters move). Read from any thread through LinkStatusPtr.
struct LinkStatus {
  std::string id;
  std::string host;
  int port = 0;
  std::string username;
  bool password_set = false;
  LinkOptions options;
  bool declared = false;

  LinkState state = LinkState::kUnspecified;
  absl::Time state_since = absl::InfinitePast();
  LinkError last_error;
  std::string master_address;  // resolved ip:port of the last connect

  std::string master_replid;
  std::string master_replid2;
  int64_t repl_offset = -1;  // applied offset (what we ACK); -1 before the first sync
  int64_t second_repl_offset = -1;
  uint64_t full_syncs = 0;
  uint64_t partial_syncs = 0;
  uint64_t connect_attempts = 0;
  uint64_t commands_applied = 0;
  uint64_t commands_skipped = 0;
  uint64_t rdb_bytes_expected = 0;  // current transfer; 0 for diskless
  uint64_t rdb_bytes_received = 0;  // current transfer
  uint64_t rdb_bytes_received_total = 0;
  double last_full_sync_duration_seconds = 0;
  uint64_t errors_by_step[kNumErrorSteps] = {};
  std::vector<DbKeyCount> keys;  // databases with keys
  uint64_t dataset_bytes = 0;
  absl::Time last_io_at = absl::InfinitePast();
  absl::Time create_time = absl::InfinitePast();
  uint64_t version = 0;  // increases with every publish of this link
};
using LinkStatusPtr = std::shared_ptr<const LinkStatus>;

// One WatchLinks event.
struct LinkEvent {
  LinkStatusPtr link;
  bool deleted = false;
};

// Changes for UpdateLink: each present field replaces the link's value.
struct LinkUpdate {
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<LinkOptions> options;
};

}  // namespace redlink::engine
