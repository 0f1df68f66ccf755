#include "tests/testing/fake_master.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "engine/protocol/resp_parser.h"

namespace redlink::testing {

std::vector<std::string> FakeConnection::ReadCommand(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  engine::RespParser parser;
  for (;;) {
    std::vector<std::string_view> args;
    size_t consumed = 0;
    auto r = parser.ParseCommand(buf_, &args, &consumed, true);
    if (r == engine::ParseResult::kOk) {
      std::vector<std::string> out(args.begin(), args.end());
      buf_.erase(0, consumed);
      if (out.empty()) continue;  // bare newline (a replica's keep-alive while loading)
      return out;
    }
    if (r == engine::ParseResult::kError) return {};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return {};
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char tmp[16384];
    ssize_t n = recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return {};
    buf_.append(tmp, static_cast<size_t>(n));
    received_.append(tmp, static_cast<size_t>(n));
  }
}

bool FakeConnection::Send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

bool FakeConnection::SendSlowly(std::string_view bytes, std::chrono::milliseconds gap) {
  for (char c : bytes) {
    if (!Send(std::string_view(&c, 1))) return false;
    std::this_thread::sleep_for(gap);
  }
  return true;
}

bool FakeConnection::PeerClosed(std::chrono::milliseconds wait) {
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char tmp[4096];
    ssize_t n = recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return true;
    received_.append(tmp, static_cast<size_t>(n));
  }
}

FakeMaster::FakeMaster(Script script) : script_(std::move(script)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  listen(listen_fd_, 128);
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

FakeMaster::~FakeMaster() { Stop(); }

void FakeMaster::Stop() {
  if (stop_.exchange(true)) return;
  shutdown(listen_fd_, SHUT_RDWR);
  close(listen_fd_);
  acceptor_.join();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : fds_) shutdown(fd, SHUT_RDWR);
  }
  for (auto& t : workers_) t.join();
}

void FakeMaster::Accept() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    connections_.fetch_add(1);
    std::lock_guard<std::mutex> lock(mu_);
    fds_.push_back(fd);
    workers_.emplace_back([this, fd] {
      FakeConnection c(fd);
      script_(c);
      close(fd);
    });
  }
}

std::string EmptyRdb() {
  std::string rdb = "REDIS0009";
  rdb.push_back(static_cast<char>(0xFF));
  rdb.append(8, '\0');
  return rdb;
}

bool ServeFullSync(FakeConnection& c, const std::string& rdb, const std::string& replid,
                   int64_t offset) {
  for (;;) {
    auto cmd = c.ReadCommand();
    if (cmd.empty()) return false;
    std::string name = cmd[0];
    for (auto& ch : name) ch = static_cast<char>(tolower(ch));
    if (name == "ping") {
      c.Send("+PONG\r\n");
    } else if (name == "auth" || name == "replconf") {
      c.Send("+OK\r\n");
    } else if (name == "psync") {
      c.Send("+FULLRESYNC " + replid + " " + std::to_string(offset) + "\r\n");
      c.Send("$" + std::to_string(rdb.size()) + "\r\n" + rdb);
      return true;
    } else {
      c.Send("-ERR unexpected\r\n");
    }
  }
}

}  // namespace redlink::testing
