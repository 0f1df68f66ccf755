#pragma once
// Non-blocking socket helpers. None of them blocks; all errors come back as absl::Status.

#include <sys/socket.h>

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "engine/io/io_buffer.h"

namespace redlink::engine {

struct SocketAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string ToString() const;  // "10.0.0.5:6379" or "[::1]:6379"
};

// Parses "host:port" or "[v6]:port" (the host may be a name). Port must be 0..65535.
absl::Status SplitHostPort(std::string_view hostport, std::string* host, int* port);

// A numeric IPv4/IPv6 address, or NOT_FOUND-like error when `host` is a name needing DNS.
absl::StatusOr<SocketAddress> ParseNumericAddress(std::string_view host, int port);
// Blocking DNS resolution: call only off the event loops (the Resolver does).
absl::StatusOr<SocketAddress> ResolveBlocking(const std::string& host, int port);

// Starts a non-blocking connect; the fd becomes writable when it completes (check SocketError).
absl::StatusOr<int> StartConnect(const SocketAddress& address);
// The pending error of a socket (SO_ERROR) as a status; OK when connected.
absl::Status SocketError(int fd);

// A non-blocking listening socket with SO_REUSEADDR (and SO_REUSEPORT when `reuse_port`).
absl::StatusOr<int> ListenTcp(std::string_view hostport, bool reuse_port = false,
                              int backlog = 511);
// The port a socket is bound to.
int LocalPort(int fd);

enum class IoResult { kOk, kAgain, kClosed, kError };

// Reads what is available (up to `max_bytes`) into `buf`. kOk with *n > 0 on data.
IoResult ReadSome(int fd, IoBuffer* buf, size_t max_bytes, size_t* n, int* err);
// Writes as much of `data` as the socket takes; *n = bytes written. Never raises SIGPIPE.
IoResult WriteSome(int fd, std::string_view data, size_t* n, int* err);

void CloseFd(int fd);
void SetNoDelay(int fd);

}  // namespace redlink::engine
