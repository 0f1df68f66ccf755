// Apply throughput and lag (BENCHMARKS.md "Apply throughput and lag"): with redis-benchmark
// driving the master flat out, how far behind does a link fall, and how soon after the load stops
// is it caught up, beside a real redis-server replica of the same master in the same run?
//
// Processes (started once): a redis-server master with default replication settings (apart from
// --repl-diskless-sync-delay 0), a redis-server replica (REPLICAOF) and one link of one redlinkd;
// the measurements start once a probe write reaches both followers (see Env).
// Each iteration runs
//   redis-benchmark -p <master> -P 16 -n <N> -r 100000 -t set,lpush,incr,hset,sadd,zadd -q
// and, while it runs, a sampler thread takes one sample every 10 ms: INFO replication of the
// master (master_repl_offset), then of one follower (slave_repl_offset), then of the master again,
// then of the other follower; the follower order alternates from sample to sample. Each
// follower's lag is the master offset read just before it minus its offset (negative values, a
// follower that moved past the earlier master reading, count as 0). Both followers are read the
// same way: the link through redlinkd's RESP read endpoint, whose INFO replication answers on the
// link's own event loop with its live offset (GetLink and the metric are snapshots published at
// most every 100 ms, so they are not used for the lag).
// When redis-benchmark exits the master offset is read once more (M_end) and both followers are
// polled every millisecond until their offset reaches M_end: catchup_ms is that time.
// Reported per iteration (one row each; use --benchmark_repetitions):
//   master_ops_per_s      commands redis-benchmark completed / load duration
//   link_ops_per_s        Link.commands_applied delta / (load duration + link catch-up)
//   replica_ops_per_s     write commands the replica processed (INFO commandstats, the tested
//                         commands only) / (load duration + replica catch-up)
//   {link,replica}_lag_{p50,p99,max}_bytes, {link,replica}_catchup_ms, samples
// Once both caught up, DBSIZE and the sizes of redis-benchmark's list, set, hash and sorted set
// must agree on the master and both followers (an error otherwise; BM_Drain checks the same).
// With REDLINK_BENCH_LAG_CSV=<file> every sample of the last iteration is written to <file> (t_s,
// link_lag_bytes, replica_lag_bytes, link_offset, replica_offset).
//
// Under that load both followers apply as fast as the master produces, so their ops/s is the
// master's. BM_Drain measures how fast each can apply when it is behind: both followers are
// stopped (SIGSTOP), the same redis-benchmark runs with REDLINK_BENCH_DRAIN_REQUESTS per command
// (150000: about 40 MB of stream, under the master's 64 MB soft output-buffer limit for
// replicas), then the link alone is resumed (SIGCONT) and timed until its offset reaches the
// master's, then the replica alone likewise. Reported: {link,replica}_drain_ops_per_s (commands
// applied / drain time) and {link,replica}_drain_MB_per_s (stream bytes / drain time).
//
// Environment: REDLINK_BENCH_REQUESTS (-n, per command; 1000000), REDLINK_BENCH_TESTS (-t; the
// list above), REDLINK_BENCH_PIPELINE (-P; 16), REDLINK_BENCH_CLIENTS (-c; 50),
// REDLINK_BENCH_THREADS (redlinkd --threads; 2), REDLINK_BIN_DIR (the build dir).
// Run: build-bench/bench/lag_bench --benchmark_repetitions=3

#include <benchmark/benchmark.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_util.h"
#include "tests/testing/redlinkd_process.h"
#include "tests/testing/test_util.h"

namespace redlink::bench {

using redlink::testing::RedisServer;
using redlink::testing::RedlinkdProcess;
using redlink::testing::RespClient;

constexpr char kLinkId[] = "lag";

// The replication offset in one INFO replication reply; -1 on failure.
int64_t Offset(RespClient& c, const char* field) {
  std::string text = c.Command({"INFO", "replication"});
  size_t at = text.find(std::string(field) + ":");
  if (at == std::string::npos) return -1;
  return atoll(text.c_str() + at + strlen(field) + 1);
}

// The processes, started once for every iteration of the run.
struct Env {
  std::unique_ptr<RedisServer> master;
  std::unique_ptr<RedisServer> replica;
  std::unique_ptr<RedlinkdProcess> redlink;
  std::string error;

  Env() {
    master =
        std::make_unique<RedisServer>(std::vector<std::string>{"--repl-diskless-sync-delay", "0"});
    if (!master->ok()) {
      error = "redis-server master did not start";
      return;
    }
    RedlinkdProcess::Options options;
    options.threads = static_cast<int>(EnvInt64("REDLINK_BENCH_THREADS", 2));
    redlink = std::make_unique<RedlinkdProcess>(options);
    if (!redlink->ok()) {
      error = "redlinkd did not start: " + redlink->log();
      return;
    }
    if (!redlink->CreateLink(kLinkId, master->port()).ok()) {
      error = "CreateLink failed";
      return;
    }
    replica = std::make_unique<RedisServer>(
        std::vector<std::string>{"--replicaof", "127.0.0.1", std::to_string(master->port())});
    v1::Link link;
    if (!redlink->WaitState(kLinkId, v1::LINK_STATE_STREAMING, std::chrono::seconds(60), &link)) {
      error = "link not STREAMING: " + link.DebugString();
      return;
    }
    if (!redlink::testing::WaitFor(
            [&] { return replica->InfoField("replication", "master_link_status") == "up"; },
            std::chrono::seconds(60))) {
      error = "replica not up";
    }
    if (!error.empty()) return;
    // After a diskless full sync, a Redis 7 master holds the command stream until the follower's
    // first REPLCONF ACK is seen with the follower online; an ACK that arrives before that is
    // ignored and the stream starts with the next one (up to a second later). Measure from the
    // moment the stream flows to both, so that the first iteration does not include this.
    RespClient mc = master->Client();
    RespClient rc = replica->Client();
    RespClient lc = redlink->ReadClient(kLinkId);
    auto t0 = Clock::now();
    double link_ms = -1, replica_ms = -1;
    redlink::testing::WaitFor(
        [&] {
          mc.Command({"SET", "lag-bench-probe", "1"});
          int64_t m = Offset(mc, "master_repl_offset");
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          double ms = Seconds(Clock::now() - t0) * 1e3;
          if (link_ms < 0 && Offset(lc, "slave_repl_offset") >= m) link_ms = ms;
          if (replica_ms < 0 && Offset(rc, "slave_repl_offset") >= m) replica_ms = ms;
          return link_ms >= 0 && replica_ms >= 0;
        },
        std::chrono::seconds(10));
    if (link_ms < 0 || replica_ms < 0) {
      error = "the stream does not reach both followers 10 s after the sync";
      return;
    }
    fprintf(stderr,
            "after the syncs, the stream reached the link after %.0f ms, the replica %.0f ms\n",
            link_ms, replica_ms);
  }
};

std::unique_ptr<Env>& EnvSlot() {
  static auto* slot = new std::unique_ptr<Env>();
  return *slot;
}
Env& GetEnv() {
  if (!EnvSlot()) EnvSlot() = std::make_unique<Env>();
  return *EnvSlot();
}

struct Sample {
  double t;  // seconds since the load started
  int64_t link_lag, replica_lag;
  int64_t link_offset, replica_offset;
};

// Calls of the tested commands in INFO commandstats ("cmdstat_set:calls=123,...").
int64_t WriteCalls(RespClient& c, const std::string& tests) {
  std::string text = c.Command({"INFO", "commandstats"});
  int64_t total = 0;
  std::istringstream in(tests);
  std::string name;
  while (std::getline(in, name, ',')) {
    std::string key = "cmdstat_" + name + ":calls=";
    size_t at = text.find(key);
    if (at != std::string::npos) total += atoll(text.c_str() + at + key.size());
  }
  return total;
}

// Cross-check once caught up: the counts of what redis-benchmark writes (DBSIZE and the sizes of
// its list, set, hash and sorted set) agree on the master, the replica and the link; "" if so.
std::string Mismatch(RespClient& master, RespClient& replica, RespClient& link) {
  std::string out;
  for (std::vector<std::string> cmd : {std::vector<std::string>{"DBSIZE"},
                                       {"LLEN", "mylist"},
                                       {"SCARD", "myset"},
                                       {"HLEN", "myhash"},
                                       {"ZCARD", "myzset"}}) {
    std::string m = master.Command(cmd), r = replica.Command(cmd), l = link.Command(cmd);
    if (m != r || m != l) out += cmd[0] + ": master " + m + ", replica " + r + ", link " + l + "; ";
  }
  return out;
}

void BM_Lag(benchmark::State& state) {
  Env& env = GetEnv();
  if (!env.error.empty()) {
    state.SkipWithError(env.error.c_str());
    return;
  }
  const int64_t requests = EnvInt64("REDLINK_BENCH_REQUESTS", 1000000);
  const std::string tests = EnvString("REDLINK_BENCH_TESTS", "set,lpush,incr,hset,sadd,zadd");
  const int64_t pipeline = EnvInt64("REDLINK_BENCH_PIPELINE", 16);
  const int64_t clients = EnvInt64("REDLINK_BENCH_CLIENTS", 50);
  const std::string csv = EnvString("REDLINK_BENCH_LAG_CSV", "");
  int64_t n_tests = 1;
  for (char ch : tests) n_tests += ch == ',';

  for (auto _ : state) {
    RespClient mc = env.master->Client();
    RespClient rc = env.replica->Client();
    RespClient lc = env.redlink->ReadClient(kLinkId);
    v1::Link link0, link1;
    // GetLink is a snapshot published at most every 100 ms: let it catch up with what came before.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (!env.redlink->GetLink(kLinkId, &link0).ok()) {
      state.SkipWithError("GetLink failed");
      return;
    }
    const int64_t replica_calls0 = WriteCalls(rc, tests);
    const int64_t master_full0 = InfoInt(Info(mc, "stats"), "sync_full");

    std::atomic<bool> stop{false};
    std::vector<Sample> samples;
    const auto start = Clock::now();
    std::thread sampler([&] {
      auto next = start;
      for (int i = 0; !stop; ++i) {
        Sample s{Seconds(Clock::now() - start), 0, 0, 0, 0};
        for (int half = 0; half < 2; ++half) {
          bool link_turn = (i + half) % 2 == 0;
          int64_t m = Offset(mc, "master_repl_offset");
          int64_t f = link_turn ? Offset(lc, "slave_repl_offset") : Offset(rc, "slave_repl_offset");
          (link_turn ? s.link_lag : s.replica_lag) = std::max<int64_t>(0, m - f);
          (link_turn ? s.link_offset : s.replica_offset) = f;
        }
        samples.push_back(s);
        next += std::chrono::milliseconds(10);
        auto now = Clock::now();
        if (next > now) {
          std::this_thread::sleep_for(next - now);
        } else {
          next = now;  // behind: do not burst
        }
      }
    });
    const std::string cmd = "redis-benchmark -p " + std::to_string(env.master->port()) + " -P " +
                            std::to_string(pipeline) + " -c " + std::to_string(clients) + " -n " +
                            std::to_string(requests) + " -r 100000 -t " + tests + " -q";
    const std::string out = RunCommand(cmd);
    const auto load_end = Clock::now();
    stop = true;
    sampler.join();
    const double load_s = Seconds(load_end - start);

    // Catch-up: poll both followers every millisecond until they reach the final master offset.
    const int64_t m_end = Offset(mc, "master_repl_offset");
    double link_catchup = -1, replica_catchup = -1;
    const auto deadline = load_end + std::chrono::seconds(60);
    while ((link_catchup < 0 || replica_catchup < 0) && Clock::now() < deadline) {
      if (link_catchup < 0 && Offset(lc, "slave_repl_offset") >= m_end) {
        link_catchup = Seconds(Clock::now() - load_end);
      }
      if (replica_catchup < 0 && Offset(rc, "slave_repl_offset") >= m_end) {
        replica_catchup = Seconds(Clock::now() - load_end);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (link_catchup < 0 || replica_catchup < 0) {
      std::string why = std::string("not caught up 60 s after the load: link offset ") +
                        std::to_string(Offset(lc, "slave_repl_offset")) + ", replica offset " +
                        std::to_string(Offset(rc, "slave_repl_offset")) + ", master " +
                        std::to_string(m_end);
      fprintf(stderr, "%s\n", why.c_str());
      state.SkipWithError(why.c_str());
      return;
    }
    // Let the link publish its counters (every 100 ms at most).
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (!env.redlink->GetLink(kLinkId, &link1).ok()) {
      state.SkipWithError("GetLink failed");
      return;
    }
    const std::string mismatch = Mismatch(mc, rc, lc);
    if (!mismatch.empty()) {
      fprintf(stderr, "followers differ from the master: %s\n", mismatch.c_str());
      state.SkipWithError(("followers differ from the master: " + mismatch).c_str());
      return;
    }
    const int64_t replica_calls = WriteCalls(rc, tests) - replica_calls0;
    const int64_t link_applied =
        static_cast<int64_t>(link1.commands_applied() - link0.commands_applied());
    const int64_t master_full = InfoInt(Info(mc, "stats"), "sync_full") - master_full0;
    const int64_t link_full = static_cast<int64_t>(link1.full_syncs() - link0.full_syncs());

    std::vector<double> link_lag, replica_lag;
    for (const Sample& s : samples) {
      link_lag.push_back(static_cast<double>(s.link_lag));
      replica_lag.push_back(static_cast<double>(s.replica_lag));
    }
    if (!csv.empty()) {
      if (FILE* f = fopen(csv.c_str(), "w")) {
        fprintf(f, "t_s,link_lag_bytes,replica_lag_bytes,link_offset,replica_offset\n");
        for (const Sample& s : samples) {
          fprintf(f, "%.4f,%lld,%lld,%lld,%lld\n", s.t, static_cast<long long>(s.link_lag),
                  static_cast<long long>(s.replica_lag), static_cast<long long>(s.link_offset),
                  static_cast<long long>(s.replica_offset));
        }
        fclose(f);
      }
    }
    const double master_ops = static_cast<double>(requests * n_tests) / load_s;
    const double link_ops = static_cast<double>(link_applied) / (load_s + link_catchup);
    const double replica_ops = static_cast<double>(replica_calls) / (load_s + replica_catchup);
    // redis-benchmark -q redraws a progress line with \r; keep its final lines only.
    std::string summary;
    {
      std::string line;
      for (char ch : out + "\n") {
        if (ch == '\r' || ch == '\n') {
          if (line.find("requests per second") != std::string::npos) summary += " " + line + "\n";
          line.clear();
        } else {
          line += ch;
        }
      }
    }
    printf("\n== lag_bench: %s\n%s", cmd.c_str(), summary.c_str());
    printf(
        "  load %.3f s, %lld commands, %.0f ops/s on the master; %zu samples; master offset "
        "at end %lld; full syncs during the run: master sync_full +%lld, link +%lld\n",
        load_s, static_cast<long long>(requests * n_tests), master_ops, samples.size(),
        static_cast<long long>(m_end), static_cast<long long>(master_full),
        static_cast<long long>(link_full));
    printf("  %-34s %14s %14s %8s\n", "", "redlink link", "redis replica", "ratio");
    auto row = [](const char* what, double a, double b) {
      printf("  %-34s %14.0f %14.0f %8.3f\n", what, a, b, b == 0 ? 0 : a / b);
    };
    row("commands applied", static_cast<double>(link_applied), static_cast<double>(replica_calls));
    row("applied ops/s", link_ops, replica_ops);
    row("lag p50 (bytes)", Percentile(link_lag, 0.5), Percentile(replica_lag, 0.5));
    row("lag p99 (bytes)", Percentile(link_lag, 0.99), Percentile(replica_lag, 0.99));
    row("lag max (bytes)", Percentile(link_lag, 1.0), Percentile(replica_lag, 1.0));
    printf("  %-34s %14.1f %14.1f %8.3f\n\n", "catch-up after the load (ms)", link_catchup * 1e3,
           replica_catchup * 1e3, replica_catchup > 0 ? link_catchup / replica_catchup : 0);
    fflush(stdout);

    state.SetIterationTime(load_s);
    state.counters["master_ops_per_s"] = master_ops;
    state.counters["link_ops_per_s"] = link_ops;
    state.counters["replica_ops_per_s"] = replica_ops;
    state.counters["link_lag_p50_bytes"] = Percentile(link_lag, 0.5);
    state.counters["link_lag_p99_bytes"] = Percentile(link_lag, 0.99);
    state.counters["link_lag_max_bytes"] = Percentile(link_lag, 1.0);
    state.counters["replica_lag_p50_bytes"] = Percentile(replica_lag, 0.5);
    state.counters["replica_lag_p99_bytes"] = Percentile(replica_lag, 0.99);
    state.counters["replica_lag_max_bytes"] = Percentile(replica_lag, 1.0);
    state.counters["link_catchup_ms"] = link_catchup * 1e3;
    state.counters["replica_catchup_ms"] = replica_catchup * 1e3;
    state.counters["samples"] = static_cast<double>(samples.size());
  }
}
BENCHMARK(BM_Lag)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// Polls `c` every millisecond until its offset reaches `target`; the seconds since `from`, -1 after
// 60 s.
double WaitOffset(RespClient& c, int64_t target, Clock::time_point from) {
  while (Clock::now() < from + std::chrono::seconds(60)) {
    if (Offset(c, "slave_repl_offset") >= target) return Seconds(Clock::now() - from);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return -1;
}

void BM_Drain(benchmark::State& state) {
  Env& env = GetEnv();
  if (!env.error.empty()) {
    state.SkipWithError(env.error.c_str());
    return;
  }
  const int64_t requests = EnvInt64("REDLINK_BENCH_DRAIN_REQUESTS", 150000);
  const std::string tests = EnvString("REDLINK_BENCH_TESTS", "set,lpush,incr,hset,sadd,zadd");
  const int64_t pipeline = EnvInt64("REDLINK_BENCH_PIPELINE", 16);
  const int64_t clients = EnvInt64("REDLINK_BENCH_CLIENTS", 50);
  for (auto _ : state) {
    RespClient mc = env.master->Client();
    RespClient rc = env.replica->Client();
    RespClient lc = env.redlink->ReadClient(kLinkId);
    const pid_t link_pid = env.redlink->process().pid();
    const pid_t replica_pid = static_cast<pid_t>(InfoInt(Info(rc, "server"), "process_id"));
    v1::Link link0, link1;
    // GetLink is a snapshot published at most every 100 ms: let it catch up with what came before.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (!env.redlink->GetLink(kLinkId, &link0).ok()) {
      state.SkipWithError("GetLink failed");
      return;
    }
    const int64_t replica_calls0 = WriteCalls(rc, tests);
    const int64_t link_offset0 = Offset(lc, "slave_repl_offset");
    const int64_t replica_offset0 = Offset(rc, "slave_repl_offset");
    kill(link_pid, SIGSTOP);
    kill(replica_pid, SIGSTOP);
    const std::string cmd = "redis-benchmark -p " + std::to_string(env.master->port()) + " -P " +
                            std::to_string(pipeline) + " -c " + std::to_string(clients) + " -n " +
                            std::to_string(requests) + " -r 100000 -t " + tests + " -q";
    RunCommand(cmd);
    const int64_t m_end = Offset(mc, "master_repl_offset");
    auto t0 = Clock::now();
    kill(link_pid, SIGCONT);
    const double link_s = WaitOffset(lc, m_end, t0);
    auto t1 = Clock::now();
    kill(replica_pid, SIGCONT);
    const double replica_s = WaitOffset(rc, m_end, t1);
    if (link_s < 0 || replica_s < 0) {
      state.SkipWithError("a follower did not drain in 60 s");
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (!env.redlink->GetLink(kLinkId, &link1).ok()) {
      state.SkipWithError("GetLink failed");
      return;
    }
    const std::string mismatch = Mismatch(mc, rc, lc);
    if (!mismatch.empty()) {
      fprintf(stderr, "followers differ from the master: %s\n", mismatch.c_str());
      state.SkipWithError(("followers differ from the master: " + mismatch).c_str());
      return;
    }
    const double link_cmds =
        static_cast<double>(link1.commands_applied() - link0.commands_applied());
    const double replica_cmds = static_cast<double>(WriteCalls(rc, tests) - replica_calls0);
    const double link_mb = static_cast<double>(m_end - link_offset0) / 1e6;
    const double replica_mb = static_cast<double>(m_end - replica_offset0) / 1e6;
    const int64_t link_full = static_cast<int64_t>(link1.full_syncs() - link0.full_syncs());
    printf("\n== lag_bench drain: both followers stopped during: %s\n", cmd.c_str());
    printf(
        "  backlog: link %.1f MB / %.0f commands, replica %.1f MB / %.0f commands; link full "
        "syncs +%lld\n",
        link_mb, link_cmds, replica_mb, replica_cmds, static_cast<long long>(link_full));
    printf("  %-34s %14s %14s %8s\n", "", "redlink link", "redis replica", "ratio");
    printf("  %-34s %14.1f %14.1f %8.3f\n", "drain time (ms)", link_s * 1e3, replica_s * 1e3,
           link_s / replica_s);
    printf("  %-34s %14.0f %14.0f %8.3f\n", "drain ops/s", link_cmds / link_s,
           replica_cmds / replica_s, (link_cmds / link_s) / (replica_cmds / replica_s));
    printf("  %-34s %14.1f %14.1f %8.3f\n\n", "drain MB/s", link_mb / link_s,
           replica_mb / replica_s, (link_mb / link_s) / (replica_mb / replica_s));
    fflush(stdout);
    state.SetIterationTime(link_s);
    state.counters["link_drain_ops_per_s"] = link_cmds / link_s;
    state.counters["replica_drain_ops_per_s"] = replica_cmds / replica_s;
    state.counters["link_drain_MB_per_s"] = link_mb / link_s;
    state.counters["replica_drain_MB_per_s"] = replica_mb / replica_s;
  }
}
BENCHMARK(BM_Drain)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace redlink::bench

int main(int argc, char** argv) {
  return redlink::bench::BenchMain(argc, argv, [] { redlink::bench::EnvSlot().reset(); });
}
