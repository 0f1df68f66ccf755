// Handlers not written yet.
#include "engine/keyspace/cmd_common.h"

namespace redlink::engine::cmd {
#define TODO(name) \
  void name(Ctx& c) { c.Error("ERR not implemented"); }
TODO(GeoposCmd)
TODO(GeodistCmd)
TODO(GeohashCmd) TODO(GeosearchCmd) TODO(GeoradiusRoCmd) TODO(GeoradiusbymemberRoCmd)
}  // namespace redlink::engine::cmd
