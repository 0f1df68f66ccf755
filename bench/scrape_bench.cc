// Scrape cost (BENCHMARKS.md "Scrape cost"): does serving /metrics slow the links down?
//
// One real redis-server master, driven by redis-benchmark (SET, pipelined), replicated by N links
// of one redlinkd (default 100) and, for reference, by one real redis-server replica. Each
// iteration writes a batch on the master and ends when every link (and the replica) has applied
// it, while a scraper GETs /metrics at `scrape_hz` (0 = no scraping, 100 = 100 per second, from
// eight client threads, so that scrapes slower than 10 ms do not lower the rate), plain text or
// gzip-compressed.
// Reported per run:
//   link_cmds_per_s     commands applied per second, summed over the links (the apply rate)
//   master_cmds_per_s   what redis-benchmark got from the master
//   catchup_ms          from the end of the batch on the master to the last link caught up
//   replica_catchup_ms  the same for the redis-server replica
//   redlinkd_cpu_ns_per_cmd   redlinkd's CPU time per applied command (all its threads)
//   scrapes_per_s (achieved), scrape_p50_ms, scrape_p99_ms
// BM_Scrape measures one scrape alone (latency, bytes, redlinkd CPU per scrape) with N links,
// plain and gzip-compressed (what a Prometheus server asks for).
//
// Environment: REDLINK_BENCH_LINKS (100), REDLINK_BENCH_COMMANDS per iteration (200000),
// REDLINK_BENCH_THREADS (redlinkd --threads, 2), REDLINK_BIN_DIR (the build dir).
// Run: ninja -C build-bench scrape_bench &&
//      build-bench/bench/scrape_bench --benchmark_repetitions=3
//        --benchmark_enable_random_interleaving=true

#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "bench/bench_util.h"
#include "tests/testing/redlinkd_process.h"
#include "tests/testing/test_util.h"

// One executable: no anonymous namespace, so main() reaches EnvSlot().
namespace redlink::bench {

using redlink::testing::RedisServer;
using redlink::testing::RedlinkdProcess;
int EnvInt(const char* name, int fallback) {
  const char* v = getenv(name);
  return v && *v ? atoi(v) : fallback;
}

// utime + stime of a process, in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));
  std::string f;
  double utime = 0, stime = 0;
  for (int field = 3; rest >> f; ++field) {
    if (field == 14) utime = atof(f.c_str());
    if (field == 15) {
      stime = atof(f.c_str());
      break;
    }
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// GET /metrics (asking for gzip as Prometheus does, if `gzip`); the response size, 0 on failure.
size_t Scrape(int port, bool gzip) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return 0;
  }
  const std::string request = std::string("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n") +
                              (gzip ? "Accept-Encoding: gzip\r\n" : "") +
                              "Connection: close\r\n\r\n";
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    close(fd);
    return 0;
  }
  size_t total = 0;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    total += static_cast<size_t>(n);
  }
  close(fd);
  return total;
}

// GETs /metrics `hz` times a second until destroyed, from kThreads threads with interleaved
// schedules (as several Prometheus servers would), so a slow scrape does not lower the rate (up
// to kThreads / hz seconds per scrape); keeps the latencies.
class Scraper {
 public:
  static constexpr int kThreads = 8;
  Scraper(int port, int hz, bool gzip) {
    if (hz <= 0) return;
    auto period = std::chrono::microseconds(1000000 * kThreads / hz);
    auto start = Clock::now();
    for (int t = 0; t < kThreads; ++t) {
      threads_.emplace_back([this, port, period, t, start, gzip] {
        auto next = start + period * t / kThreads;
        std::vector<double> mine;
        while (!stop_) {
          auto now = Clock::now();
          if (next > now) std::this_thread::sleep_for(next - now);
          auto t0 = Clock::now();
          if (Scrape(port, gzip) > 0) mine.push_back(Seconds(Clock::now() - t0) * 1e3);
          next += period;
          if (next < Clock::now()) next = Clock::now();  // behind: do not burst
        }
        std::lock_guard<std::mutex> lock(mu_);
        latencies_ms_.insert(latencies_ms_.end(), mine.begin(), mine.end());
      });
    }
  }
  ~Scraper() { Stop(); }
  void Stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  // After Stop().
  std::vector<double>& latencies_ms() { return latencies_ms_; }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::vector<double> latencies_ms_;
};

struct Totals {
  uint64_t applied = 0;
  int64_t min_offset = INT64_MAX;
  int streaming = 0;
  int links = 0;
  std::string problem;  // a link not streaming, and why
};

Totals LinkTotals(RedlinkdProcess& r) {
  Totals t;
  std::string token;
  do {
    v1::ListLinksRequest req;
    req.set_page_size(1000);
    req.set_page_token(token);
    v1::ListLinksResponse resp;
    auto ctx = r.Context();
    if (!r.stub().ListLinks(ctx.get(), req, &resp).ok()) {
      t.problem = "ListLinks failed";
      return t;
    }
    for (const auto& l : resp.links()) {
      ++t.links;
      t.applied += l.commands_applied();
      t.min_offset = std::min<int64_t>(t.min_offset, l.master_repl_offset());
      if (l.state() == v1::LINK_STATE_STREAMING) {
        ++t.streaming;
      } else if (t.problem.empty()) {
        t.problem = l.link_id() + " is " + redlink::testing::StateName(l.state()) + ": " +
                    l.last_error().step() + " " + l.last_error().message();
      }
    }
    token = resp.next_page_token();
  } while (!token.empty());
  return t;
}

int64_t InfoInt(RedisServer& s, const std::string& field) {
  return atoll(s.InfoField("replication", field).c_str());
}

// The processes, started once for every benchmark of the run.
struct Env {
  std::unique_ptr<RedisServer> master;
  std::unique_ptr<RedisServer> replica;
  std::unique_ptr<RedlinkdProcess> redlink;
  int links = 0;
  std::string error;

  Env() {
    links = EnvInt("REDLINK_BENCH_LINKS", 100);
    // 100 replicas of one master: no output-buffer limit for them (a slow link is measured, not
    // dropped), and a backlog big enough for a batch.
    master = std::make_unique<RedisServer>(std::vector<std::string>{
        "--client-output-buffer-limit", "replica 0 0 0", "--repl-backlog-size", "256mb",
        "--repl-diskless-sync-delay", "1"});
    if (!master->ok()) {
      error = "redis-server master did not start";
      return;
    }
    RedlinkdProcess::Options options;
    options.threads = EnvInt("REDLINK_BENCH_THREADS", 2);
    redlink = std::make_unique<RedlinkdProcess>(options);
    if (!redlink->ok()) {
      error = "redlinkd did not start: " + redlink->log();
      return;
    }
    for (int i = 0; i < links; ++i) {
      auto s = redlink->CreateLink("bench-" + std::to_string(i), master->port());
      if (!s.ok()) {
        error = "CreateLink: " + s.error_message();
        return;
      }
    }
    replica = std::make_unique<RedisServer>(
        std::vector<std::string>{"--replicaof", "127.0.0.1", std::to_string(master->port())});
    Totals t;
    bool up = redlink::testing::WaitFor(
        [&] {
          t = LinkTotals(*redlink);
          return t.streaming == links &&
                 replica->InfoField("replication", "master_link_status") == "up";
        },
        std::chrono::seconds(180));
    if (!up) error = "links not all STREAMING after 180 s: " + t.problem;
  }
};

// Built by the first benchmark that runs; destroyed (processes stopped) before exit.
std::unique_ptr<Env>& EnvSlot() {
  static auto* slot = new std::unique_ptr<Env>();
  return *slot;
}
Env& GetEnv() {
  if (!EnvSlot()) EnvSlot() = std::make_unique<Env>();
  return *EnvSlot();
}

// Waits until every link and the replica reached `offset`; returns the times (since `from`).
bool WaitCaughtUp(Env& env, int64_t offset, Clock::time_point from, double* links_s,
                  double* replica_s, Totals* totals, std::string* why) {
  bool links_done = false, replica_done = false;
  auto deadline = Clock::now() + std::chrono::seconds(300);
  while (Clock::now() < deadline) {
    if (!links_done) {
      *totals = LinkTotals(*env.redlink);
      if (totals->streaming < env.links) {
        *why = totals->problem;
        return false;
      }
      if (totals->min_offset >= offset) {
        links_done = true;
        *links_s = Seconds(Clock::now() - from);
      }
    }
    if (!replica_done && InfoInt(*env.replica, "slave_repl_offset") >= offset) {
      replica_done = true;
      *replica_s = Seconds(Clock::now() - from);
    }
    if (links_done && replica_done) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  *why = "not caught up after 300 s";
  return false;
}

void BM_ApplyRate(benchmark::State& state) {
  Env& env = GetEnv();
  if (!env.error.empty()) {
    state.SkipWithError(env.error.c_str());
    return;
  }
  const int hz = static_cast<int>(state.range(0));
  const bool gzip = state.range(1) != 0;
  const int commands = EnvInt("REDLINK_BENCH_COMMANDS", 200000);
  const pid_t pid = env.redlink->process().pid();
  double applied = 0, seconds = 0, master_seconds = 0, catchup = 0, replica_catchup = 0, cpu = 0;
  std::vector<double> latencies;
  int64_t scrapes = 0;
  for (auto _ : state) {
    Totals before = LinkTotals(*env.redlink);
    double cpu0 = CpuSeconds(pid);
    Scraper scraper(env.redlink->metrics_port(), hz, gzip);
    auto t0 = Clock::now();
    std::string out;
    std::string cmd = "redis-benchmark -p " + std::to_string(env.master->port()) + " -t set -n " +
                      std::to_string(commands) + " -c 8 -P 32 -d 16 -r 10000 -q 2>&1";
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char buf[4096];
      size_t n;
      while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
      pclose(p);
    }
    auto t_master = Clock::now();
    int64_t target = InfoInt(*env.master, "master_repl_offset");
    double links_s = 0, replica_s = 0;
    Totals after;
    std::string why;
    if (!WaitCaughtUp(env, target, t_master, &links_s, &replica_s, &after, &why)) {
      state.SkipWithError(("links did not catch up: " + why).c_str());
      return;
    }
    auto t1 = t_master +
              std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(links_s));
    scraper.Stop();
    double cpu1 = CpuSeconds(pid);
    state.SetIterationTime(Seconds(t1 - t0));
    applied += static_cast<double>(after.applied - before.applied);
    seconds += Seconds(t1 - t0);
    master_seconds += Seconds(t_master - t0);
    catchup += links_s;
    replica_catchup += replica_s;
    cpu += cpu1 - cpu0;
    scrapes += static_cast<int64_t>(scraper.latencies_ms().size());
    latencies.insert(latencies.end(), scraper.latencies_ms().begin(), scraper.latencies_ms().end());
  }
  double iterations = static_cast<double>(state.iterations());
  state.counters["links"] = env.links;
  state.counters["link_cmds_per_s"] = applied / seconds;
  state.counters["master_cmds_per_s"] = commands * iterations / master_seconds;
  state.counters["catchup_ms"] = catchup / iterations * 1e3;
  state.counters["replica_catchup_ms"] = replica_catchup / iterations * 1e3;
  state.counters["redlinkd_cpu_ns_per_cmd"] = applied > 0 ? cpu / applied * 1e9 : 0;
  state.counters["scrapes_per_s"] = static_cast<double>(scrapes) / seconds;
  state.counters["scrape_p50_ms"] = Percentile(latencies, 0.5);
  state.counters["scrape_p99_ms"] = Percentile(latencies, 0.99);
}
BENCHMARK(BM_ApplyRate)
    ->ArgNames({"scrape_hz", "gzip"})
    ->Args({0, 0})
    ->Args({100, 0})
    ->Args({100, 1})
    ->Iterations(3)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// One scrape with the links idle: latency, page size, and redlinkd's CPU per scrape.
void BM_Scrape(benchmark::State& state) {
  Env& env = GetEnv();
  if (!env.error.empty()) {
    state.SkipWithError(env.error.c_str());
    return;
  }
  const pid_t pid = env.redlink->process().pid();
  double cpu0 = CpuSeconds(pid);
  const bool gzip = state.range(0) != 0;
  size_t bytes = 0;
  for (auto _ : state) bytes = Scrape(env.redlink->metrics_port(), gzip);
  double cpu = CpuSeconds(pid) - cpu0;
  state.counters["links"] = env.links;
  state.counters["response_bytes"] = static_cast<double>(bytes);
  state.counters["redlinkd_cpu_us_per_scrape"] =
      cpu / static_cast<double>(state.iterations()) * 1e6;
}
BENCHMARK(BM_Scrape)->ArgName("gzip")->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->MinTime(3);

}  // namespace redlink::bench

int main(int argc, char** argv) {
  return redlink::bench::BenchMain(argc, argv, [] { redlink::bench::EnvSlot().reset(); });
}
