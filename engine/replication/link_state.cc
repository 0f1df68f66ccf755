#include "engine/replication/link_state.h"

namespace redlink::engine {

const char* LinkStateName(LinkState state) {
  switch (state) {
    case LinkState::kUnspecified:
      return "UNSPECIFIED";
    case LinkState::kConnecting:
      return "CONNECTING";
    case LinkState::kPinging:
      return "PINGING";
    case LinkState::kAuthenticating:
      return "AUTHENTICATING";
    case LinkState::kAnnouncing:
      return "ANNOUNCING";
    case LinkState::kSyncing:
      return "SYNCING";
    case LinkState::kTransferring:
      return "TRANSFERRING";
    case LinkState::kStreaming:
      return "STREAMING";
    case LinkState::kPaused:
      return "PAUSED";
    case LinkState::kBackoff:
      return "BACKOFF";
    case LinkState::kFailed:
      return "FAILED";
  }
  return "UNSPECIFIED";
}

const char* ErrorStepName(ErrorStep step) {
  switch (step) {
    case ErrorStep::kNone:
      return "";
    case ErrorStep::kConnect:
      return "CONNECT";
    case ErrorStep::kPing:
      return "PING";
    case ErrorStep::kAuth:
      return "AUTH";
    case ErrorStep::kReplconf:
      return "REPLCONF";
    case ErrorStep::kPsync:
      return "PSYNC";
    case ErrorStep::kTransfer:
      return "TRANSFER";
    case ErrorStep::kStream:
      return "STREAM";
  }
  return "";
}

const char* LinkPhaseName(LinkPhase phase) {
  switch (phase) {
    case LinkPhase::kIdle:
      return "idle";
    case LinkPhase::kResolving:
      return "resolving";
    case LinkPhase::kConnecting:
      return "connecting";
    case LinkPhase::kAwaitPong:
      return "await-pong";
    case LinkPhase::kAwaitAuth:
      return "await-auth";
    case LinkPhase::kAwaitReplconf:
      return "await-replconf";
    case LinkPhase::kAwaitPsync:
      return "await-psync";
    case LinkPhase::kAwaitRdbPreamble:
      return "await-rdb-preamble";
    case LinkPhase::kLoadingRdb:
      return "loading-rdb";
    case LinkPhase::kStreaming:
      return "streaming";
    case LinkPhase::kBackoff:
      return "backoff";
    case LinkPhase::kPaused:
      return "paused";
    case LinkPhase::kFailed:
      return "failed";
    case LinkPhase::kStopped:
      return "stopped";
  }
  return "?";
}

LinkState PublicState(LinkPhase phase) {
  switch (phase) {
    case LinkPhase::kIdle:
    case LinkPhase::kResolving:
    case LinkPhase::kConnecting:
      return LinkState::kConnecting;
    case LinkPhase::kAwaitPong:
      return LinkState::kPinging;
    case LinkPhase::kAwaitAuth:
      return LinkState::kAuthenticating;
    case LinkPhase::kAwaitReplconf:
      return LinkState::kAnnouncing;
    case LinkPhase::kAwaitPsync:
      return LinkState::kSyncing;
    case LinkPhase::kAwaitRdbPreamble:
    case LinkPhase::kLoadingRdb:
      return LinkState::kTransferring;
    case LinkPhase::kStreaming:
      return LinkState::kStreaming;
    case LinkPhase::kBackoff:
    case LinkPhase::kStopped:
      return LinkState::kBackoff;
    case LinkPhase::kPaused:
      return LinkState::kPaused;
    case LinkPhase::kFailed:
      return LinkState::kFailed;
  }
  return LinkState::kUnspecified;
}

}  // namespace redlink::engine
