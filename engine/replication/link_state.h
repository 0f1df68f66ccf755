#pragma once
// The internal states of a replica link, mirroring Redis's repl_state (server.h), and their
// mapping onto the public LinkState of API.md.
//
// Happy path: kResolving → kConnecting → kAwaitPong → [kAwaitAuth] → kAwaitReplconf →
//             kAwaitPsync → (kAwaitRdbPreamble → kLoadingRdb) or (+CONTINUE) → kStreaming
// Off the path: kBackoff (retry after a delay), kPaused (operator), kFailed (cannot apply),
//               kStopped (being deleted).

#include "engine/engine_types.h"

namespace redlink::engine {

enum class LinkPhase {
  kIdle,  // created, not started yet
  // The handshake states are contiguous and in wire order (as Redis's REPL_STATE_*).
  kResolving,         // resolving the master's host name off the loop      (CONNECTING)
  kConnecting,        // non-blocking connect in progress                   (CONNECTING)
  kAwaitPong,         // PING sent alone, waiting for its reply              (PINGING)
  kAwaitAuth,         // AUTH + REPLCONFs sent, waiting for the AUTH reply   (AUTHENTICATING)
  kAwaitReplconf,     // waiting for the REPLCONF listening-port/capa replies (ANNOUNCING)
  kAwaitPsync,        // PSYNC sent alone, waiting for +FULLRESYNC/+CONTINUE  (SYNCING)
  kAwaitRdbPreamble,  // +FULLRESYNC read, waiting for $<len> / $EOF:<mark>   (TRANSFERRING)
  kLoadingRdb,        // feeding the RDB payload to the decoder              (TRANSFERRING)
  kStreaming,         // applying the command stream                         (STREAMING)
  kBackoff,           // waiting to retry                                    (BACKOFF)
  kPaused,            // stopped by the operator, position kept              (PAUSED)
  kFailed,            // stopped on what retrying cannot fix                 (FAILED)
  kStopped,           // torn down; the link is about to be destroyed
};

const char* LinkPhaseName(LinkPhase phase);
LinkState PublicState(LinkPhase phase);

}  // namespace redlink::engine
