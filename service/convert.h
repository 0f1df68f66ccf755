#pragma once
// Translation between the engine's plain types and redlink.v1 messages, and absl::Status to
// grpc::Status (the one place where that happens).

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "engine/engine_types.h"
#include "redlink/v1/link_service.pb.h"

namespace redlink::service {

grpc::Status ToGrpcStatus(const absl::Status& status);

// Never copies a password: the Link message only says whether one is set.
void ToProto(const engine::LinkStatus& status, redlink::v1::Link* out);
redlink::v1::LinkState ToProto(engine::LinkState state);
engine::LinkState FromProto(redlink::v1::LinkState state);

// Options from a request; 0 / UNSPECIFIED fields take the defaults.
engine::LinkOptions FromProto(const redlink::v1::LinkOptions& options);
void ToProto(const engine::LinkOptions& options, redlink::v1::LinkOptions* out);

}  // namespace redlink::service
