#include "engine/io/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "engine/common/strings.h"

namespace redlink::engine {

std::string SocketAddress::ToString() const {
  char host[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    return StrCat(host, ":", ntohs(a->sin_port));
  }
  if (addr.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    return StrCat("[", host, "]:", ntohs(a->sin6_port));
  }
  return "?";
}

absl::Status SplitHostPort(std::string_view hostport, std::string* host, int* port) {
  std::string_view h, p;
  if (!hostport.empty() && hostport.front() == '[') {
    auto close = hostport.find(']');
    if (close == std::string_view::npos || close + 1 >= hostport.size() ||
        hostport[close + 1] != ':') {
      return absl::InvalidArgumentError(
          StrCat("bad address '", hostport, "': expected [ipv6]:port"));
    }
    h = hostport.substr(1, close - 1);
    p = hostport.substr(close + 2);
  } else {
    auto colon = hostport.rfind(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(StrCat("bad address '", hostport, "': expected host:port"));
    }
    h = hostport.substr(0, colon);
    p = hostport.substr(colon + 1);
  }
  int value;
  if (!SimpleAtoi(p, &value) || value < 0 || value > 65535) {
    return absl::InvalidArgumentError(StrCat("bad port in '", hostport, "': must be 0..65535"));
  }
  *host = std::string(h);
  *port = value;
  return absl::OkStatus();
}

absl::StatusOr<SocketAddress> ParseNumericAddress(std::string_view host, int port) {
  SocketAddress out;
  std::string h(host);
  if (h.empty() || h == "0.0.0.0" || h == "*") h = "0.0.0.0";
  auto* a4 = reinterpret_cast<sockaddr_in*>(&out.addr);
  if (inet_pton(AF_INET, h.c_str(), &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(static_cast<uint16_t>(port));
    out.len = sizeof(sockaddr_in);
    return out;
  }
  auto* a6 = reinterpret_cast<sockaddr_in6*>(&out.addr);
  if (inet_pton(AF_INET6, h.c_str(), &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    out.len = sizeof(sockaddr_in6);
    return out;
  }
  return absl::NotFoundError(StrCat("'", host, "' is not a numeric address"));
}

absl::StatusOr<SocketAddress> ResolveBlocking(const std::string& host, int port) {
  auto numeric = ParseNumericAddress(host, port);
  if (numeric.ok()) return numeric;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  std::string service = StrCat(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    return absl::UnavailableError(StrCat("cannot resolve '", host, "': ", gai_strerror(rc)));
  }
  SocketAddress out;
  // Prefer IPv4 when both are offered (what most Redis deployments listen on).
  addrinfo* pick = res;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      pick = ai;
      break;
    }
  }
  std::memcpy(&out.addr, pick->ai_addr, pick->ai_addrlen);
  out.len = pick->ai_addrlen;
  freeaddrinfo(res);
  return out;
}

absl::StatusOr<int> StartConnect(const SocketAddress& address) {
  int fd = socket(address.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(StrCat("socket: ", strerror(errno)));
  SetNoDelay(fd);
  int keepalive = 1;
  setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive, sizeof(keepalive));
  if (connect(fd, reinterpret_cast<const sockaddr*>(&address.addr), address.len) != 0 &&
      errno != EINPROGRESS) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(StrCat("connect to ", address.ToString(), ": ", strerror(err)));
  }
  return fd;
}

absl::Status SocketError(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err == 0) return absl::OkStatus();
  return absl::UnavailableError(strerror(err));
}

absl::StatusOr<int> ListenTcp(std::string_view hostport, bool reuse_port, int backlog) {
  std::string host;
  int port;
  if (auto s = SplitHostPort(hostport, &host, &port); !s.ok()) return s;
  auto addr = ResolveBlocking(host, port);
  if (!addr.ok()) return addr.status();
  int fd = socket(addr->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::InternalError(StrCat("socket: ", strerror(errno)));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (reuse_port) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<const sockaddr*>(&addr->addr), addr->len) != 0) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(StrCat("bind ", hostport, ": ", strerror(err)));
  }
  if (listen(fd, backlog) != 0) {
    int err = errno;
    close(fd);
    return absl::UnavailableError(StrCat("listen ", hostport, ": ", strerror(err)));
  }
  return fd;
}

int LocalPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return -1;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return -1;
}

IoResult ReadSome(int fd, IoBuffer* buf, size_t max_bytes, size_t* n, int* err) {
  *n = 0;
  size_t room = buf->WriteRoom();
  if (room > max_bytes) room = max_bytes;
  for (;;) {
    ssize_t r = read(fd, buf->WritePtr(), room);
    if (r > 0) {
      buf->Commit(static_cast<size_t>(r));
      *n = static_cast<size_t>(r);
      return IoResult::kOk;
    }
    if (r == 0) return IoResult::kClosed;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult::kAgain;
    *err = errno;
    return IoResult::kError;
  }
}

IoResult WriteSome(int fd, std::string_view data, size_t* n, int* err) {
  *n = 0;
  while (*n < data.size()) {
    ssize_t w = send(fd, data.data() + *n, data.size() - *n, MSG_NOSIGNAL);
    if (w > 0) {
      *n += static_cast<size_t>(w);
      continue;
    }
    if (w < 0 && errno == EINTR) continue;
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return IoResult::kAgain;
    *err = errno;
    return IoResult::kError;
  }
  return IoResult::kOk;
}

void CloseFd(int fd) {
  if (fd >= 0) close(fd);
}

void SetNoDelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

}  // namespace redlink::engine
