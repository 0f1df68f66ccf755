// Placeholder until the command applier lands.
#include "engine/replication/command_applier.h"

#include "engine/common/strings.h"

namespace redlink::engine {

absl::Status ApplyCommand(Keyspace& keyspace, ApplyContext& ctx,
                          std::span<const std::string_view> args) {
  return absl::UnimplementedError(StrCat("unsupported command '", args[0], "'"));
}

bool IsSupportedCommand(std::string_view name) { return false; }

}  // namespace redlink::engine
