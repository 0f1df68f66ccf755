#pragma once
// Test support: free ports, temp dirs, child processes (real redis-server, redlinkd), a small
// blocking RESP client, and polling with a deadline instead of sleeps.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/protocol/resp_parser.h"

namespace redlink::testing {

// A TCP port on 127.0.0.1 that was free a moment ago.
int FreePort();

// A fresh directory under $TMPDIR, removed (recursively) by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

// Polls `cond` every 10 ms until it is true or `timeout` passes. Returns the last result.
bool WaitFor(const std::function<bool()>& cond,
             std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A child process; killed (SIGKILL) and reaped by the destructor unless already stopped.
class Process {
 public:
  // argv[0] is looked up in PATH. stdout/stderr go to `log_path` if not empty.
  Process(std::vector<std::string> argv, std::string log_path = "",
          std::map<std::string, std::string> env = {});
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends `sig` and waits up to `timeout` for the exit. Returns the exit status (as waitpid) or
  // -1 if it did not exit in time.
  int Stop(int sig, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void Kill();
  const std::string& log_path() const { return log_path_; }
  std::string ReadLog() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string log_path_;
};

// A blocking RESP client for tests (never used by the product).
class RespClient {
 public:
  RespClient() = default;
  ~RespClient();
  RespClient(RespClient&& other) noexcept;
  RespClient& operator=(RespClient&&) = delete;

  bool Connect(const std::string& host, int port,
               std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool connected() const { return fd_ >= 0; }
  void Close();
  // Sends a command and returns the raw bytes of one reply ("" on error/timeout).
  std::string CommandRaw(const std::vector<std::string>& args,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Sends raw bytes.
  bool SendRaw(std::string_view bytes);
  // Reads one complete reply (raw bytes), "" on timeout/close.
  std::string ReadReplyRaw(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Convenience: the reply decoded into a string (simple/bulk/integer/error with '-' prefix,
  // "(nil)" for null).
  std::string Command(const std::vector<std::string>& args);
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::string buf_;
};

// Renders a raw RESP reply readably for assertion messages.
std::string Describe(std::string_view raw_reply);

// A real redis-server on a free loopback port, in its own temp dir, with persistence off unless
// `extra_args` turn it on. Stopped by the destructor. REDLINK_REDIS_SERVER names another binary
// (e.g. a Redis 7.4 or Valkey build) to run the same tests against.
class RedisServer {
 public:
  explicit RedisServer(std::vector<std::string> extra_args = {}, int port = 0);
  ~RedisServer();
  int port() const { return port_; }
  bool ok() const { return ok_; }
  RespClient Client();
  std::string Cmd(const std::vector<std::string>& args);  // decoded, via a cached client
  // "role:master"-style field of INFO <section>.
  std::string InfoField(const std::string& section, const std::string& field);
  void Kill();
  // Starts again on the same port with the same args (data from its dir if it saved any).
  bool Restart(std::vector<std::string> extra_args = {});
  const std::string& dir() const { return dir_.path(); }
  std::string log() const;

 private:
  bool Start();
  TempDir dir_;
  int port_;
  std::vector<std::string> args_;
  std::unique_ptr<Process> proc_;
  std::optional<RespClient> client_;
  bool ok_ = false;
};

// The directory of the build tree (REDLINK_BIN_DIR set by CTest) and of the sources.
std::string BinDir();
std::string SourceDir();
// ../shared/testdata/rdb relative to the source dir.
std::string RdbVectorDir();

}  // namespace redlink::testing
