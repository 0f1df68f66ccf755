#pragma once
// Request validation with messages a person can act on. Every check returns INVALID_ARGUMENT.

#include <string_view>

#include "absl/status/status.h"
#include "redlink/v1/link_service.pb.h"

namespace redlink::service {

absl::Status ValidateLinkId(std::string_view id);
absl::Status ValidateMaster(const redlink::v1::Master& master, std::string_view field = "master");
absl::Status ValidateAuth(const redlink::v1::Auth& auth);
absl::Status ValidateOptions(const redlink::v1::LinkOptions& options);
absl::Status ValidateState(int state);

}  // namespace redlink::service
