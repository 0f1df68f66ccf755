// Handlers not written yet.
#include "engine/keyspace/cmd_common.h"

namespace redlink::engine::cmd {
#define TODO(name) \
  void name(Ctx& c) { c.Error("ERR not implemented"); }
TODO(ZrangeCmd)
TODO(ZrangebyscoreCmd) TODO(ZrevrangebyscoreCmd) TODO(ZrangebylexCmd) TODO(ZrevrangebylexCmd)
    TODO(ZrevrangeCmd) TODO(ZscoreCmd) TODO(ZmscoreCmd) TODO(ZrankCmd) TODO(ZrevrankCmd)
        TODO(ZcardCmd) TODO(ZcountCmd) TODO(ZlexcountCmd) TODO(ZscanCmd) TODO(ZrandmemberCmd)
            TODO(ZunionCmd) TODO(ZinterCmd) TODO(ZdiffCmd) TODO(ZintercardCmd) TODO(HgetCmd)
                TODO(HmgetCmd) TODO(HgetallCmd) TODO(HkeysCmd) TODO(HvalsCmd) TODO(HlenCmd)
                    TODO(HexistsCmd) TODO(HstrlenCmd) TODO(HscanCmd) TODO(HrandfieldCmd)
                        TODO(HttlCmd) TODO(HpttlCmd) TODO(HexpiretimeCmd) TODO(HpexpiretimeCmd)
                            TODO(XrangeCmd) TODO(XrevrangeCmd) TODO(XlenCmd) TODO(XreadCmd)
                                TODO(XinfoHelpCmd) TODO(XinfoStreamCmd) TODO(XinfoGroupsCmd)
                                    TODO(XinfoConsumersCmd) TODO(XpendingCmd) TODO(PfcountCmd)
                                        TODO(FunctionListCmd) TODO(FunctionHelpCmd) TODO(SortRoCmd)
                                            TODO(GeoposCmd) TODO(GeodistCmd) TODO(GeohashCmd)
                                                TODO(GeosearchCmd) TODO(GeoradiusRoCmd)
                                                    TODO(GeoradiusbymemberRoCmd)
}  // namespace redlink::engine::cmd

namespace redlink::engine {
std::string DumpPayload(const KeyEntry*, int, int64_t) { return ""; }
}  // namespace redlink::engine
