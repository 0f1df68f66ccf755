#pragma once
// Applies the write commands a master propagates (protocol doc §5.7/§5.8) to a link's keyspace.
// The link itself handles the stream-control commands (PING, SELECT, REPLCONF, MULTI, EXEC) and
// the offset; everything else comes here. Loop thread only.

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "engine/keyspace/keyspace.h"

namespace redlink::engine {

// Where PUBLISH messages go (the RESP read endpoint's subscribers of this link).
class PubSubSink {
 public:
  virtual ~PubSubSink() = default;
  virtual void Publish(std::string_view channel, std::string_view message) = 0;
};

struct ApplyContext {
  int db = 0;                    // the stream's selected database (SELECT changes it)
  int64_t now_ms = 0;            // wall clock (for relative forms a master never sends)
  PubSubSink* pubsub = nullptr;  // may be null
};

// Applies one command (args[0] is its name, any case). Returns:
//   OK                 applied (or a no-op a real replica would also accept, e.g. PFCOUNT);
//   UNIMPLEMENTED      the command is not supported: the message names it;
//   other errors       the command could not be applied (wrong type, bad argument, ...): the
//                      message says why, in Redis's words where Redis has them.
// On error the keyspace is unchanged.
absl::Status ApplyCommand(Keyspace& keyspace, ApplyContext& ctx,
                          std::span<const std::string_view> args);

// True if ApplyCommand knows the command `name` (any case). The link checks every command of a
// MULTI/EXEC block before applying any, so an unsupported command never leaves half a
// transaction applied.
bool IsSupportedCommand(std::string_view name);

}  // namespace redlink::engine
