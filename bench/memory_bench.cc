// Memory (BENCHMARKS.md "Memory"): what does a link's keyspace cost, beside a real redis-server
// replica holding the same data?
//
// One real redis-server master is filled with the 1,000,000-key dataset of
// tests/integration/large_sync_test.cc (strings, integers, hashes, lists, sets, sorted sets,
// streams with consumer groups; a tenth of the keys with a TTL; 1% of the collections big enough
// to leave the compact encodings). Then, one after the other (so each full sync has the machine
// to itself):
//   1. an empty redis-server is made a replica (REPLICAOF) and timed until it is up and loaded;
//   2. a link of one redlinkd is created (CreateLink) and timed until STREAMING.
// With both holding the data, reported:
//   link_dataset_bytes        Link.dataset_bytes from GetLink (= redlink_link_dataset_bytes): the
//                             malloc usable size of every block of the keyspace plus its tables
//   redlinkd_rss_growth       VmRSS of redlinkd now minus before CreateLink
//   redlinkd_peak_rss         VmHWM of redlinkd (peak, includes the load)
//   replica_used_memory_growth  INFO used_memory of the replica now minus before REPLICAOF
//   replica_used_memory_dataset INFO used_memory_dataset (excludes the per-key dict entries and
//                             robj headers, which Redis counts as overhead)
//   replica_keyspace_bytes    used_memory growth minus mem_replication_backlog: the keyspace alone
//   replica_rss_growth, replica_peak_rss   the same /proc readings for the replica process
//   ratios: link_dataset_bytes / replica_keyspace_bytes, redlinkd_rss_growth / replica_rss_growth
//   replica_sync_s, link_sync_s: full-sync time of each (from REPLICAOF / CreateLink)
//
// Environment: REDLINK_BENCH_THREADS (redlinkd --threads, 2), REDLINK_BIN_DIR (the build dir).
// Run: build-bench/bench/memory_bench   (about a minute; one iteration)

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "bench/bench_util.h"
#include "tests/testing/datasets.h"
#include "tests/testing/redlinkd_process.h"
#include "tests/testing/test_util.h"

namespace redlink::bench {

using redlink::testing::RedisServer;
using redlink::testing::RedlinkdProcess;
using redlink::testing::RespClient;

struct Result {
  int64_t keys_master = 0, keys_replica = 0, keys_link = 0;
  int64_t master_used_memory = 0, rdb_bytes = 0;
  int64_t link_dataset_bytes = 0, redlinkd_rss_before = 0, redlinkd_rss_after = 0,
          redlinkd_peak_rss = 0;
  int64_t replica_used_memory_before = 0, replica_used_memory_after = 0,
          replica_used_memory_dataset = 0, replica_used_memory_overhead = 0, replica_backlog = 0,
          replica_rss_before = 0, replica_rss_after = 0, replica_peak_rss = 0,
          replica_used_memory_rss = 0;
  double populate_s = 0, replica_sync_s = 0, link_sync_s = 0, link_reported_sync_s = 0;
};

std::string RunOnce(Result* r) {
  RedisServer master({"--repl-diskless-sync-delay", "0", "--lua-time-limit", "0"});
  if (!master.ok()) return "master did not start";
  auto t0 = Clock::now();
  std::string err = testing::PopulateMixedDataset(master);
  if (!err.empty()) return err;
  r->populate_s = Seconds(Clock::now() - t0);
  RespClient mc = master.Client();
  r->keys_master = atoll(mc.Command({"DBSIZE"}).c_str());
  r->master_used_memory = InfoInt(Info(mc, "memory"), "used_memory");

  // 1. The real replica, alone.
  RedisServer replica;
  if (!replica.ok()) return "replica did not start";
  RespClient rc = replica.Client();
  const pid_t replica_pid = static_cast<pid_t>(InfoInt(Info(rc, "server"), "process_id"));
  auto mem0 = Info(rc, "memory");
  r->replica_used_memory_before = InfoInt(mem0, "used_memory");
  r->replica_rss_before = ProcStatusBytes(replica_pid, "VmRSS");
  t0 = Clock::now();
  if (rc.Command({"REPLICAOF", "127.0.0.1", std::to_string(master.port())}) != "OK") {
    return "REPLICAOF failed";
  }
  bool up = redlink::testing::WaitFor(
      [&] {
        auto rep = Info(rc, "replication");
        auto pers = Info(rc, "persistence");
        return rep["master_link_status"] == "up" && InfoInt(rep, "master_sync_in_progress") == 0 &&
               InfoInt(pers, "loading") == 0;
      },
      std::chrono::seconds(300));
  if (!up) return "replica not synced after 300 s";
  r->replica_sync_s = Seconds(Clock::now() - t0);

  // 2. The link, alone.
  RedlinkdProcess::Options options;
  options.threads = static_cast<int>(EnvInt64("REDLINK_BENCH_THREADS", 2));
  RedlinkdProcess redlink(options);
  if (!redlink.ok()) return "redlinkd did not start: " + redlink.log();
  const pid_t pid = redlink.process().pid();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  r->redlinkd_rss_before = ProcStatusBytes(pid, "VmRSS");
  t0 = Clock::now();
  if (!redlink.CreateLink("mem", master.port()).ok()) return "CreateLink failed";
  v1::Link link;
  if (!redlink.WaitState("mem", v1::LINK_STATE_STREAMING, std::chrono::seconds(300), &link)) {
    return "link not STREAMING after 300 s: " + link.DebugString();
  }
  r->link_sync_s = Seconds(Clock::now() - t0);

  // Settle (status snapshots are published at most every 100 ms), then read everything.
  std::this_thread::sleep_for(std::chrono::seconds(1));
  if (!redlink.GetLink("mem", &link).ok()) return "GetLink failed";
  r->link_dataset_bytes = static_cast<int64_t>(link.dataset_bytes());
  r->rdb_bytes = static_cast<int64_t>(link.rdb_bytes_received_total());
  r->link_reported_sync_s = link.last_full_sync_duration_seconds();
  r->redlinkd_rss_after = ProcStatusBytes(pid, "VmRSS");
  r->redlinkd_peak_rss = ProcStatusBytes(pid, "VmHWM");
  RespClient lc = redlink.ReadClient("mem");
  r->keys_link = atoll(lc.Command({"DBSIZE"}).c_str());
  auto mem1 = Info(rc, "memory");
  r->replica_used_memory_after = InfoInt(mem1, "used_memory");
  r->replica_used_memory_dataset = InfoInt(mem1, "used_memory_dataset");
  r->replica_used_memory_overhead = InfoInt(mem1, "used_memory_overhead");
  r->replica_used_memory_rss = InfoInt(mem1, "used_memory_rss");
  r->replica_backlog = InfoInt(mem1, "mem_replication_backlog");
  r->replica_rss_after = ProcStatusBytes(replica_pid, "VmRSS");
  r->replica_peak_rss = ProcStatusBytes(replica_pid, "VmHWM");
  r->keys_replica = atoll(rc.Command({"DBSIZE"}).c_str());
  if (r->keys_link != r->keys_master || r->keys_replica != r->keys_master) {
    return "key counts differ: master " + std::to_string(r->keys_master) + ", replica " +
           std::to_string(r->keys_replica) + ", link " + std::to_string(r->keys_link);
  }
  return "";
}

double Ratio(int64_t a, int64_t b) {
  return b == 0 ? 0 : static_cast<double>(a) / static_cast<double>(b);
}

void BM_Memory(benchmark::State& state) {
  for (auto _ : state) {
    Result r;
    std::string err = RunOnce(&r);
    if (!err.empty()) {
      state.SkipWithError(err.c_str());
      return;
    }
    const int64_t link_rss = r.redlinkd_rss_after - r.redlinkd_rss_before;
    const int64_t replica_used = r.replica_used_memory_after - r.replica_used_memory_before;
    const int64_t replica_keyspace = replica_used - r.replica_backlog;
    const int64_t replica_rss = r.replica_rss_after - r.replica_rss_before;
    printf(
        "\n== memory_bench: %lld keys (master used_memory %lld, RDB %lld bytes; populated in "
        "%.2f s)\n",
        static_cast<long long>(r.keys_master), static_cast<long long>(r.master_used_memory),
        static_cast<long long>(r.rdb_bytes), r.populate_s);
    printf("  %-52s %14s %14s %8s\n", "", "redlink link", "redis replica", "ratio");
    auto row = [](const char* what, int64_t a, int64_t b) {
      printf("  %-52s %14lld %14lld %8.3f\n", what, static_cast<long long>(a),
             static_cast<long long>(b), Ratio(a, b));
    };
    row("keyspace (A: dataset_bytes, B: used_mem +, -backlog)", r.link_dataset_bytes,
        replica_keyspace);
    row("A, B: used_memory growth", r.link_dataset_bytes, replica_used);
    row("A, B: used_memory_dataset", r.link_dataset_bytes, r.replica_used_memory_dataset);
    row("process RSS growth", link_rss, replica_rss);
    row("process RSS after sync", r.redlinkd_rss_after, r.replica_rss_after);
    row("process peak RSS (VmHWM)", r.redlinkd_peak_rss, r.replica_peak_rss);
    printf(
        "  replica: used_memory before %lld after %lld, used_memory_overhead %lld, "
        "mem_replication_backlog %lld, used_memory_rss %lld\n",
        static_cast<long long>(r.replica_used_memory_before),
        static_cast<long long>(r.replica_used_memory_after),
        static_cast<long long>(r.replica_used_memory_overhead),
        static_cast<long long>(r.replica_backlog),
        static_cast<long long>(r.replica_used_memory_rss));
    printf("  redlinkd: VmRSS before CreateLink %lld, after %lld\n",
           static_cast<long long>(r.redlinkd_rss_before),
           static_cast<long long>(r.redlinkd_rss_after));
    printf("  full sync: link %.3f s (link reports %.3f s), replica %.3f s, ratio %.3f\n\n",
           r.link_sync_s, r.link_reported_sync_s, r.replica_sync_s,
           r.replica_sync_s > 0 ? r.link_sync_s / r.replica_sync_s : 0);
    fflush(stdout);
    state.counters["keys"] = static_cast<double>(r.keys_master);
    state.counters["link_dataset_MB"] = static_cast<double>(r.link_dataset_bytes) / 1e6;
    state.counters["replica_keyspace_MB"] = static_cast<double>(replica_keyspace) / 1e6;
    state.counters["dataset_ratio"] = Ratio(r.link_dataset_bytes, replica_keyspace);
    state.counters["link_rss_growth_MB"] = static_cast<double>(link_rss) / 1e6;
    state.counters["replica_rss_growth_MB"] = static_cast<double>(replica_rss) / 1e6;
    state.counters["rss_ratio"] = Ratio(link_rss, replica_rss);
    state.counters["link_sync_s"] = r.link_sync_s;
    state.counters["replica_sync_s"] = r.replica_sync_s;
    state.SetIterationTime(r.link_sync_s);
  }
}
BENCHMARK(BM_Memory)->Iterations(1)->UseManualTime()->Unit(benchmark::kSecond);

}  // namespace redlink::bench

int main(int argc, char** argv) { return redlink::bench::BenchMain(argc, argv); }
