#!/usr/bin/env bash
# Builds the benchmarks and runs the three figures of BENCHMARKS.md, printing the machine first.
# Usage: bench/run_benchmarks.sh [build-dir] [memory|lag|scrape ...]   (default: build-bench, all)
# Each figure prints its exact command line before its output.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$src/build-bench}"
shift || true
figures=("$@")
[ ${#figures[@]} -eq 0 ] && figures=(memory lag scrape)

cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DREDLINK_BUILD_BENCH=ON >/dev/null
cmake --build "$build" -j 2 --target redlinkd memory_bench lag_bench scrape_bench

echo "== machine"
echo "nproc: $(nproc)"
grep -m1 'model name' /proc/cpuinfo
echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GiB"
redis-server --version
redis-benchmark --version 2>/dev/null || true
echo "git: $(git -C "$src" rev-parse --short HEAD) ($(git -C "$src" status --porcelain | wc -l) files changed)"
uptime

run() {
  echo
  echo "== \$ $*"
  "$@"
}

for f in "${figures[@]}"; do
  case "$f" in
    memory) run "$build/bench/memory_bench" --benchmark_repetitions=3 ;;
    lag) run env REDLINK_BENCH_LAG_CSV=/tmp/lag_bench.csv "$build/bench/lag_bench" \
      --benchmark_repetitions=3 ;;
    scrape) run env REDLINK_BENCH_COMMANDS=100000 "$build/bench/scrape_bench" \
      --benchmark_repetitions=3 --benchmark_enable_random_interleaving=true ;;
    *) echo "unknown figure $f" >&2; exit 2 ;;
  esac
done
