#include "service/validation.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <string>

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

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// An IPv4 or IPv6 literal (an IPv6 zone like fe80::1%eth0 is allowed), or a DNS name: labels of
// 1-63 letters, digits, '-' and '_' (not starting or ending with '-'), an optional final dot.
bool IsValidHost(const std::string& host) {
  std::string addr = host.substr(0, host.find('%'));
  unsigned char buf[sizeof(struct in6_addr)];
  if (host.find(':') != std::string::npos) return inet_pton(AF_INET6, addr.c_str(), buf) == 1;
  if (inet_pton(AF_INET, host.c_str(), buf) == 1) return true;
  std::string_view rest = host;
  if (rest.back() == '.') rest.remove_suffix(1);
  if (rest.empty()) return false;
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find('.', start);
    if (end == std::string_view::npos) end = rest.size();
    std::string_view label = rest.substr(start, end - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsAlnum(c) && c != '-' && c != '_') return false;
    }
    start = end + 1;
  }
  return true;
}

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
  std::string why;
  if (id.size() > 63) {
    why = StrCat(" (", id.size(), " characters)");
  } else if (!IsLowerAlnum(id.front()) || !IsLowerAlnum(id.back())) {
    bool chars_ok = true;
    for (char c : id) chars_ok = chars_ok && (IsLowerAlnum(c) || c == '-');
    if (chars_ok) why = " (it must start and end with a letter or digit)";
  }
  return absl::InvalidArgumentError(
      StrCat("link_id must match [a-z0-9-]{1,63}, starting and ending with a letter or digit "
             "(a DNS label): got ",
             Quote(id), why));
}

absl::Status ValidateMaster(const redlink::v1::Master& master, std::string_view field) {
  const std::string& host = master.host();
  if (host.empty()) {
    return absl::InvalidArgumentError(
        StrCat(field, ".host is required: a host name or an IP address"));
  }
  if (host.size() > 253) {
    return absl::InvalidArgumentError(
        StrCat(field, ".host is longer than 253 characters: ", Quote(host)));
  }
  if (!IsValidHost(host)) {
    return absl::InvalidArgumentError(
        StrCat(field,
               ".host must be a host name (labels of letters, digits, '-' and '_' separated by "
               "dots) or an IPv4/IPv6 address without brackets: got ",
               Quote(host)));
  }
  if (master.port() < 1 || master.port() > 65535) {
    return absl::InvalidArgumentError(StrCat(field, ".port must be 1..65535: got ", master.port()));
  }
  return absl::OkStatus();
}

absl::Status ValidateAuth(const redlink::v1::Auth& auth) {
  if (auth.username().size() > 256) {
    return absl::InvalidArgumentError("auth.username is longer than 256 bytes");
  }
  for (char c : auth.username()) {
    if (static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f) {
      return absl::InvalidArgumentError(
          "auth.username must be printable ASCII without spaces (a Redis ACL user name)");
    }
  }
  if (auth.password().size() > 4096) {
    return absl::InvalidArgumentError(
        StrCat("auth.password is longer than 4096 bytes (", auth.password().size(), " bytes)"));
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
