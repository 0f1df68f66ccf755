#include "service/validation.h"

#include "engine/common/strings.h"

namespace redlink::service {
namespace {

// Quotes a user-supplied value for an error message, cut to a readable length and with
// control characters escaped.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (unsigned char c : s.substr(0, 80)) {
    if (c < 0x20 || c == 0x7f) {
      StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > 80) out += "...";
  return out + "'";
}

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

absl::Status ValidateLinkId(std::string_view id) {
  bool ok = !id.empty() && id.size() <= 63 && IsLowerAlnum(id.front()) && IsLowerAlnum(id.back());
  for (char c : id) ok = ok && (IsLowerAlnum(c) || c == '-');
  if (ok) return absl::OkStatus();
  if (id.empty()) {
    return absl::InvalidArgumentError(
        "link_id is required: 1-63 characters of [a-z0-9-], starting and ending with a letter "
        "or digit (a DNS label)");
  }
  return absl::InvalidArgumentError(
      StrCat("link_id must match [a-z0-9-]{1,63} and start and end with a letter or digit (a "
             "DNS label): got ",
             Quote(id)));
}

absl::Status ValidateMaster(const redlink::v1::Master& master, std::string_view field) {
  const std::string& host = master.host();
  if (host.empty()) return absl::InvalidArgumentError(StrCat(field, ".host is required"));
  if (host.size() > 253) {
    return absl::InvalidArgumentError(
        StrCat(field, ".host is longer than 253 characters: ", Quote(host)));
  }
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == ':' || c == '_' || c == '%';
    if (!ok) {
      return absl::InvalidArgumentError(StrCat(
          field, ".host must be a host name or an IP address (letters, digits, '-', '.', ':'): got ",
          Quote(host)));
    }
  }
  if (master.port() < 1 || master.port() > 65535) {
    return absl::InvalidArgumentError(
        StrCat(field, ".port must be 1..65535: got ", master.port()));
  }
  return absl::OkStatus();
}

absl::Status ValidateAuth(const redlink::v1::Auth& auth) {
  if (auth.username().size() > 256) {
    return absl::InvalidArgumentError("auth.username is longer than 256 bytes");
  }
  for (char c : auth.username()) {
    if (static_cast<unsigned char>(c) <= ' ') {
      return absl::InvalidArgumentError("auth.username must not contain spaces or control characters");
    }
  }
  if (auth.password().size() > 4096) {
    return absl::InvalidArgumentError("auth.password is longer than 4096 bytes");
  }
  if (!auth.username().empty() && auth.password().empty()) {
    return absl::InvalidArgumentError(
        "auth.username needs auth.password (AUTH <username> <password>)");
  }
  return absl::OkStatus();
}

absl::Status ValidateOptions(const redlink::v1::LinkOptions& o) {
  auto check = [](const char* name, int value) -> absl::Status {
    if (value < 0 || value > 86400) {
      return absl::InvalidArgumentError(
          StrCat("options.", name, " must be 0 (default) to 86400 seconds: got ", value));
    }
    return absl::OkStatus();
  };
  if (auto s = check("repl_timeout_seconds", o.repl_timeout_seconds()); !s.ok()) return s;
  if (auto s = check("handshake_timeout_seconds", o.handshake_timeout_seconds()); !s.ok()) return s;
  if (auto s = check("connect_timeout_seconds", o.connect_timeout_seconds()); !s.ok()) return s;
  if (!redlink::v1::UnsupportedCommandPolicy_IsValid(o.unsupported_commands())) {
    return absl::InvalidArgumentError(StrCat(
        "options.unsupported_commands must be FAIL or SKIP: got ", o.unsupported_commands()));
  }
  return absl::OkStatus();
}

absl::Status ValidateState(int state) {
  if (!redlink::v1::LinkState_IsValid(state)) {
    return absl::InvalidArgumentError(StrCat("state must be a LinkState: got ", state));
  }
  return absl::OkStatus();
}

}  // namespace redlink::service
