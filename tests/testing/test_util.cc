#include "tests/testing/test_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_split.h"
#include "engine/common/strings.h"
#include "engine/protocol/resp_writer.h"

namespace redlink::testing {

using Ms = std::chrono::milliseconds;

namespace {

// The kernel's ephemeral range, which outgoing connections (and bind to port 0) draw from.
std::pair<int, int> EphemeralRange() {
  std::ifstream f("/proc/sys/net/ipv4/ip_local_port_range");
  int lo = 32768, hi = 60999;
  f >> lo >> hi;
  return {lo, hi};
}

bool Bindable(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

// A port below the ephemeral range: a port the kernel handed out there could be taken again, by
// the time the server binds it, as the local end of some client's connection (tests run in
// parallel). Random, so that parallel test processes rarely try the same one; never the same
// twice in one process.
int FreePort() {
  static std::mutex mu;
  static std::set<int> given;
  static std::mt19937 rng(std::random_device{}() ^ static_cast<unsigned>(getpid()));
  std::lock_guard<std::mutex> lock(mu);
  auto [lo, hi] = EphemeralRange();
  const int first = 15000, last = lo - 1;
  if (last - first > 1000) {
    std::uniform_int_distribution<int> pick(first, last);
    for (int attempt = 0; attempt < 200; ++attempt) {
      int port = pick(rng);
      if (given.count(port) || !Bindable(port)) continue;
      given.insert(port);
      return port;
    }
  }
  // No room below the ephemeral range: let the kernel choose.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

TempDir::TempDir() {
  const char* base = getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/redlink-test-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  char* p = mkdtemp(buf.data());
  path_ = p ? p : "/tmp";
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

bool WaitFor(const std::function<bool()>& cond, Ms timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return cond();
    std::this_thread::sleep_for(Ms(10));
  }
}

Process::Process(std::vector<std::string> argv, std::string log_path,
                 std::map<std::string, std::string> env)
    : log_path_(std::move(log_path)) {
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    if (!log_path_.empty()) {
      int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
        close(fd);
      }
    }
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execvp(args[0], args.data());
    fprintf(stderr, "exec %s: %s\n", args[0], strerror(errno));
    _exit(127);
  }
}

Process::~Process() {
  if (pid_ > 0 && !reaped_) Kill();
}

bool Process::running() {
  if (pid_ <= 0 || reaped_) return false;
  int status;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = status;
    return false;
  }
  return true;
}

int Process::Stop(int sig, Ms timeout) {
  if (pid_ <= 0) return -1;
  if (reaped_) return status_;
  kill(pid_, sig);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = status;
      return status;
    }
    std::this_thread::sleep_for(Ms(5));
  }
  return -1;
}

void Process::Kill() {
  if (pid_ <= 0 || reaped_) return;
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  reaped_ = true;
  status_ = status;
}

std::string Process::ReadLog() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

RespClient::~RespClient() { Close(); }

RespClient::RespClient(RespClient&& other) noexcept : fd_(other.fd_), buf_(std::move(other.buf_)) {
  other.fd_ = -1;
}

void RespClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  buf_.clear();
}

bool RespClient::Connect(const std::string& host, int port, Ms timeout) {
  Close();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host.c_str(), &addr.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      fd_ = fd;
      return true;
    }
    close(fd);
    std::this_thread::sleep_for(Ms(20));
  }
  return false;
}

bool RespClient::SendRaw(std::string_view bytes) {
  if (fd_ < 0) return false;
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

std::string RespClient::ReadReplyRaw(Ms timeout) {
  if (fd_ < 0) return "";
  auto deadline = std::chrono::steady_clock::now() + timeout;
  engine::RespLimits limits;
  limits.max_bulk_len = uint64_t{1} << 40;
  engine::RespParser parser(limits);
  for (;;) {
    engine::RespValue v;
    size_t consumed = 0;
    auto r = parser.ParseReply(buf_, &v, &consumed);
    if (r == engine::ParseResult::kOk) {
      std::string out = buf_.substr(0, consumed);
      buf_.erase(0, consumed);
      return out;
    }
    if (r == engine::ParseResult::kError) return "";
    auto left = std::chrono::duration_cast<Ms>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return "";
    pollfd pfd{fd_, POLLIN, 0};
    int pr = poll(&pfd, 1, static_cast<int>(left.count()));
    if (pr <= 0) continue;
    char tmp[65536];
    ssize_t n = recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return "";
    }
    buf_.append(tmp, static_cast<size_t>(n));
  }
}

std::string RespClient::CommandRaw(const std::vector<std::string>& args, Ms timeout) {
  std::string out;
  std::vector<std::string_view> views(args.begin(), args.end());
  engine::AppendCommand(&out, std::span<const std::string_view>(views));
  if (!SendRaw(out)) return "";
  return ReadReplyRaw(timeout);
}

namespace {
std::string Flatten(const engine::RespValue& v) {
  switch (v.type) {
    case engine::RespType::kNull:
      return "(nil)";
    case engine::RespType::kError:
    case engine::RespType::kBlobError:
      return StrCat("-", v.str);
    case engine::RespType::kInteger:
      return StrCat(v.integer);
    case engine::RespType::kArray:
    case engine::RespType::kSet:
    case engine::RespType::kMap:
    case engine::RespType::kPush: {
      std::string out = "[";
      for (size_t i = 0; i < v.elements.size(); ++i) {
        if (i) out += ",";
        out += Flatten(v.elements[i]);
      }
      return out + "]";
    }
    default:
      return std::string(v.str);
  }
}
}  // namespace

std::string RespClient::Command(const std::vector<std::string>& args) {
  std::string raw = CommandRaw(args);
  if (raw.empty()) return "(no reply)";
  engine::RespLimits limits;
  limits.max_bulk_len = uint64_t{1} << 40;
  engine::RespParser parser(limits);
  engine::RespValue v;
  size_t consumed;
  if (parser.ParseReply(raw, &v, &consumed) != engine::ParseResult::kOk) return "(bad reply)";
  return Flatten(v);
}

std::string Describe(std::string_view raw) {
  std::string out;
  for (unsigned char c : raw) {
    if (c == '\r')
      out += "\\r";
    else if (c == '\n')
      out += "\\n";
    else if (c < 0x20 || c >= 0x7f)
      out += StrCat("\\x", absl::Hex(c, absl::kZeroPad2));
    else
      out.push_back(static_cast<char>(c));
  }
  return out;
}

RedisServer::RedisServer(std::vector<std::string> extra_args, int port)
    : port_(port ? port : FreePort()), args_(std::move(extra_args)) {
  ok_ = Start();
}

RedisServer::~RedisServer() { Kill(); }

bool RedisServer::Start() {
  const char* bin = getenv("REDLINK_REDIS_SERVER");
  std::vector<std::string> argv = {bin != nullptr && *bin != '\0' ? bin : "redis-server",
                                   "--port",
                                   std::to_string(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--dir",
                                   dir_.path(),
                                   "--daemonize",
                                   "no",
                                   "--protected-mode",
                                   "no"};
  argv.insert(argv.end(), args_.begin(), args_.end());
  proc_ = std::make_unique<Process>(argv, dir_.File("redis.log"));
  client_.reset();
  RespClient c;
  if (!c.Connect("127.0.0.1", port_, std::chrono::seconds(10))) return false;
  // Wait until it answers (it may be loading).
  bool up = WaitFor([&] {
    std::string r = c.CommandRaw({"PING"}, Ms(1000));
    return r == "+PONG\r\n" || r.rfind("-NOAUTH", 0) == 0;
  });
  return up;
}

RespClient RedisServer::Client() {
  RespClient c;
  c.Connect("127.0.0.1", port_);
  return c;
}

std::string RedisServer::Cmd(const std::vector<std::string>& args) {
  if (!client_ || !client_->connected()) {
    client_.emplace();
    client_->Connect("127.0.0.1", port_);
  }
  return client_->Command(args);
}

std::string RedisServer::InfoField(const std::string& section, const std::string& field) {
  std::string info = Cmd({"INFO", section});
  for (absl::string_view line : absl::StrSplit(info, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > field.size() && line.substr(0, field.size()) == field &&
        line[field.size()] == ':') {
      return std::string(line.substr(field.size() + 1));
    }
  }
  return "";
}

void RedisServer::Kill() {
  client_.reset();
  if (proc_) proc_->Kill();
}

bool RedisServer::Restart(std::vector<std::string> extra_args) {
  Kill();
  if (!extra_args.empty()) args_ = std::move(extra_args);
  ok_ = Start();
  return ok_;
}

std::string RedisServer::log() const { return proc_ ? proc_->ReadLog() : ""; }

std::string BinDir() {
  const char* d = getenv("REDLINK_BIN_DIR");
  return d ? d : REDLINK_DEFAULT_BIN_DIR;
}

std::string SourceDir() {
  const char* d = getenv("REDLINK_SOURCE_DIR");
  return d ? d : REDLINK_DEFAULT_SOURCE_DIR;
}

std::string RdbVectorDir() {
  // The project's own copy (tests/data/rdb) wins; the steering repo's shared vectors are the
  // fallback when working beside it.
  if (const char* d = getenv("REDLINK_RDB_VECTORS")) return d;
  std::string own = SourceDir() + "/tests/data/rdb";
  if (std::filesystem::exists(own + "/encodings.rdb")) return own;
  return SourceDir() + "/../shared/testdata/rdb";
}

}  // namespace redlink::testing
