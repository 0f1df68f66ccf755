#pragma once
// Test support for the metrics and logging tests: a tiny HTTP GET, a parser of the Prometheus
// text exposition format, running tools (promtool) and a redlinkd holding links in several
// states (STREAMING from a real redis-server, BACKOFF to a closed port, PAUSED, FAILED from a
// fake master sending a command nothing can apply), and a real Prometheus server scraping it.
// Header-only; tests only (the users link nlohmann_json).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/testing/fake_master.h"
#include "tests/testing/redlinkd_process.h"
#include "tests/testing/test_util.h"

namespace redlink::testing::metrics {

// GET http://127.0.0.1:<port><path>. Returns the body; `*status` gets the HTTP status code
// (0 on a connection error or timeout).
// GET `path`; the body ("" on failure). `extra_headers` are "Name: value\r\n" lines; the
// response's status line and headers go to `headers` when given.
inline std::string HttpGet(int port, const std::string& path, int* status = nullptr,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10),
                           const std::string& extra_headers = "", std::string* headers = nullptr) {
  if (status) *status = 0;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
                    extra_headers + "\r\n";
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return "";
  }
  std::string resp;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[65536];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) {
      close(fd);
      return "";
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      close(fd);
      return "";
    }
    if (n == 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  close(fd);
  size_t body = resp.find("\r\n\r\n");
  if (body == std::string::npos) return "";
  if (status) {
    int code = 0;
    if (sscanf(resp.c_str(), "HTTP/%*s %d", &code) == 1) *status = code;
  }
  if (headers) *headers = resp.substr(0, body);
  return resp.substr(body + 4);
}

inline std::string UrlEncode(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      char b[4];
      snprintf(b, sizeof(b), "%%%02X", c);
      out += b;
    }
  }
  return out;
}

// One sample of the text exposition format.
struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Exposition {
  std::vector<Sample> samples;
  std::map<std::string, int> help_lines;  // family name -> HELP lines seen
  std::map<std::string, std::string> types;
  std::vector<std::string> errors;  // lines this parser could not read

  // Samples of `name` whose labels include every pair of `match`.
  std::vector<Sample> Find(const std::string& name,
                           const std::map<std::string, std::string>& match = {}) const {
    std::vector<Sample> out;
    for (const auto& s : samples) {
      if (s.name != name) continue;
      bool ok = true;
      for (const auto& [k, v] : match) {
        auto it = s.labels.find(k);
        ok = ok && it != s.labels.end() && it->second == v;
      }
      if (ok) out.push_back(s);
    }
    return out;
  }
  // The value of the one matching sample, or NaN when there is not exactly one.
  double Value(const std::string& name,
               const std::map<std::string, std::string>& match = {}) const {
    auto found = Find(name, match);
    return found.size() == 1 ? found[0].value : std::numeric_limits<double>::quiet_NaN();
  }
  std::set<std::string> SampleNames() const {
    std::set<std::string> out;
    for (const auto& s : samples) out.insert(s.name);
    return out;
  }
  // Label values of `label` over the samples of `name`.
  std::set<std::string> LabelValues(const std::string& name, const std::string& label) const {
    std::set<std::string> out;
    for (const auto& s : Find(name)) {
      auto it = s.labels.find(label);
      if (it != s.labels.end()) out.insert(it->second);
    }
    return out;
  }
};

inline Exposition ParseExposition(const std::string& text) {
  Exposition e;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0) {
      std::string rest = line.substr(7);
      e.help_lines[rest.substr(0, rest.find(' '))]++;
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream t(line.substr(7));
      std::string name, type;
      t >> name >> type;
      e.types[name] = type;
      continue;
    }
    if (line[0] == '#') continue;
    Sample s;
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        size_t eq = line.find('=', i);
        if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') break;
        std::string key = line.substr(i, eq - i);
        std::string value;
        size_t j = eq + 2;
        for (; j < line.size() && line[j] != '"'; ++j) {
          if (line[j] == '\\' && j + 1 < line.size()) {
            ++j;
            value.push_back(line[j] == 'n' ? '\n' : line[j]);
          } else {
            value.push_back(line[j]);
          }
        }
        s.labels[key] = value;
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size() || line[i] != '}') {
        e.errors.push_back(line);
        continue;
      }
      ++i;
    }
    std::istringstream v(line.substr(i));
    std::string value;
    v >> value;
    char* end = nullptr;
    s.value = strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0') {
      e.errors.push_back(line);
      continue;
    }
    e.samples.push_back(std::move(s));
  }
  return e;
}

// Runs `command` through /bin/sh; returns its exit code and puts stdout+stderr in `*output`.
inline int RunShell(const std::string& command, std::string* output) {
  std::string cmd = command + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  output->clear();
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) output->append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

inline void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// `promtool check metrics` on `exposition`: returns its exit code, `*problems` its output.
inline int PromtoolCheckMetrics(const std::string& exposition, std::string* problems) {
  TempDir dir;
  WriteFile(dir.File("scrape.txt"), exposition);
  return RunShell("promtool check metrics < " + ShellQuote(dir.File("scrape.txt")), problems);
}

inline const std::string kReplid = "0123456789abcdef0123456789abcdef01234567";

// A redlinkd with links in several states:
//   "streaming-a", "streaming-b"  STREAMING from a real redis-server (with a few keys)
//   "backoff"                     BACKOFF: its master's port is closed
//   "paused"                      PAUSED by the operator (master: the real redis-server)
//   "failed"                      FAILED: a fake master streams a command nothing can apply
// Construction waits for each state (ok() tells whether they were all reached; what() why not).
class LinksInSeveralStates {
 public:
  explicit LinksInSeveralStates(RedlinkdProcess::Options options = {})
      : redlink_(std::move(options)), failing_master_([](FakeConnection& c) {
          if (!ServeFullSync(c, EmptyRdb(), kReplid, 100)) return;
          c.ReadCommand(std::chrono::seconds(2));  // the first REPLCONF ACK
          c.Send("*2\r\n$17\r\nNOT-A-REAL-CMD-XY\r\n$1\r\nx\r\n");
          c.PeerClosed(std::chrono::seconds(30));
        }) {
    ok_ = Setup();
  }

  bool ok() const { return ok_; }
  const std::string& what() const { return what_; }
  RedlinkdProcess& redlink() { return redlink_; }
  RedisServer& master() { return master_; }
  int closed_port() const { return closed_port_; }
  // Link ids by the state they were brought to.
  static std::map<std::string, std::string> Expected() {
    return {{"streaming-a", "STREAMING"},
            {"streaming-b", "STREAMING"},
            {"backoff", "BACKOFF"},
            {"paused", "PAUSED"},
            {"failed", "FAILED"}};
  }

 private:
  bool Fail(std::string why) {
    what_ = std::move(why);
    return false;
  }
  bool Setup() {
    if (!redlink_.ok()) return Fail("redlinkd did not start: " + redlink_.log());
    if (!master_.ok()) return Fail("redis-server did not start");
    for (int i = 0; i < 20; ++i) {
      master_.Cmd({"SET", "key:" + std::to_string(i), "value"});
    }
    closed_port_ = FreePort();
    v1::Link link;
    for (const char* id : {"streaming-a", "streaming-b", "paused"}) {
      auto s = redlink_.CreateLink(id, master_.port());
      if (!s.ok()) return Fail(std::string("CreateLink ") + id + ": " + s.error_message());
    }
    if (!redlink_.CreateLink("backoff", closed_port_).ok()) return Fail("CreateLink backoff");
    if (!redlink_.CreateLink("failed", failing_master_.port()).ok()) {
      return Fail("CreateLink failed");
    }
    {
      v1::PauseLinkRequest req;
      req.set_link_id("paused");
      auto ctx = redlink_.Context();
      auto s = redlink_.stub().PauseLink(ctx.get(), req, &link);
      if (!s.ok()) return Fail("PauseLink: " + s.error_message());
    }
    bool all = true;
    for (const auto& [id, state] : Expected()) {
      v1::LinkState want = v1::LINK_STATE_UNSPECIFIED;
      v1::LinkState_Parse("LINK_STATE_" + state, &want);
      if (!redlink_.WaitState(id, want, std::chrono::seconds(30), &link)) {
        what_ += id + " did not reach " + state + ": " + link.ShortDebugString() + "\n";
        all = false;
      }
    }
    return all;
  }

  RedlinkdProcess redlink_;
  RedisServer master_;
  FakeMaster failing_master_;
  int closed_port_ = 0;
  bool ok_ = false;
  std::string what_;
};

// Prometheus in its own temp dir, scraping 127.0.0.1:<target_port>/metrics every second.
class PrometheusServer {
 public:
  explicit PrometheusServer(int target_port) : port_(FreePort()) {
    WriteFile(dir_.File("prometheus.yml"),
              "global:\n"
              "  scrape_interval: 1s\n"
              "  evaluation_interval: 1s\n"
              "scrape_configs:\n"
              "  - job_name: redlink\n"
              "    static_configs:\n"
              "      - targets: ['127.0.0.1:" +
                  std::to_string(target_port) + "']\n");
    proc_ = std::make_unique<Process>(
        std::vector<std::string>{"prometheus", "--config.file=" + dir_.File("prometheus.yml"),
                                 "--storage.tsdb.path=" + dir_.File("tsdb"),
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                 "--log.level=warn"},
        dir_.File("prometheus.log"));
    ok_ = WaitFor(
              [&] {
                int status = 0;
                HttpGet(port_, "/-/ready", &status, std::chrono::seconds(1));
                return status == 200 || !proc_->running();
              },
              std::chrono::seconds(60)) &&
          proc_->running();
  }
  bool ok() const { return ok_; }
  std::string log() const { return proc_->ReadLog(); }

  // GET /api/v1/<path>; the parsed "data" member, or null when the call failed.
  nlohmann::json Api(const std::string& path) {
    int status = 0;
    std::string body = HttpGet(port_, "/api/v1/" + path, &status);
    nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (status != 200 || j.is_discarded() || j.value("status", "") != "success") {
      last_error_ = std::to_string(status) + " " + body;
      return nullptr;
    }
    return j["data"];
  }
  // An instant query; the "result" vector (empty on error).
  nlohmann::json Query(const std::string& promql) {
    nlohmann::json data = Api("query?query=" + UrlEncode(promql));
    return data.is_null() ? nlohmann::json::array() : data["result"];
  }
  const std::string& last_error() const { return last_error_; }

 private:
  TempDir dir_;
  int port_;
  std::unique_ptr<Process> proc_;
  bool ok_ = false;
  std::string last_error_;
};

}  // namespace redlink::testing::metrics
