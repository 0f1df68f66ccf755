#pragma once
// A scriptable fake Redis master for tests: what a real one will not do on demand (garbage,
// silence, replies split into single bytes, huge announced lengths). Each accepted connection
// runs the script on its own thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace redlink::testing {

class FakeConnection {
 public:
  explicit FakeConnection(int fd) : fd_(fd) {}
  // Reads one RESP command (array of bulk strings); empty on timeout or close.
  std::vector<std::string> ReadCommand(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool Send(std::string_view bytes);
  // Sends one byte at a time with `gap` between bytes.
  bool SendSlowly(std::string_view bytes, std::chrono::milliseconds gap);
  // Waits until the peer closes the connection, reading (and keeping) what it sends; false if
  // it is still open after `wait`.
  bool PeerClosed(std::chrono::milliseconds wait = std::chrono::milliseconds(100));
  // Everything received so far (raw).
  const std::string& received() const { return received_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  std::string buf_;
  std::string received_;
};

class FakeMaster {
 public:
  using Script = std::function<void(FakeConnection&)>;
  explicit FakeMaster(Script script);
  ~FakeMaster();
  int port() const { return port_; }
  int connections() const { return connections_.load(); }
  void Stop();

 private:
  void Accept();
  Script script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> connections_{0};
  std::thread acceptor_;
  std::mutex mu_;
  std::vector<std::thread> workers_;
  std::vector<int> fds_;
};

// The minimal valid RDB (version 9, no keys, CRC disabled).
std::string EmptyRdb();
// A handshake a well-behaved master performs: answers PING, REPLCONFs (and AUTH) with +OK, and
// PSYNC with +FULLRESYNC <replid> <offset> followed by `rdb` as a $<len> payload. Returns false
// if the replica deviated.
bool ServeFullSync(FakeConnection& c, const std::string& rdb, const std::string& replid,
                   int64_t offset);

}  // namespace redlink::testing
