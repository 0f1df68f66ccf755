#!/usr/bin/env bash
# The container image's build, without Docker: scripts/build-release.sh into a temporary
# directory (configure, build redlinkd/redlinkctl in Release, install, check-runtime-libs.sh),
# then a smoke run of the installed redlinkd configured the way the image configures it, through
# REDLINK_* environment variables. Slow (a full Release build): CTest has it only when configured
# with -DREDLINK_TEST_RELEASE_BUILD=ON (scripts/test.sh does), which sets REDLINK_TEST_RELEASE_BUILD=1.
set -euo pipefail

if [ "${REDLINK_TEST_RELEASE_BUILD:-}" != 1 ]; then
  echo "release_build: set REDLINK_TEST_RELEASE_BUILD=1 to build the release binaries" >&2
  exit 2
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

start=$SECONDS
"$root/scripts/build-release.sh" --build-dir "$tmp/build" "$tmp/bin"
echo "release_build: build-release.sh took $((SECONDS - start)) s"
test -x "$tmp/bin/redlinkd"

# Smoke run: the image's environment, on loopback ports picked free.
read -r grpc metrics resp < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in socks])')
REDLINK_GRPC_ADDR=127.0.0.1:$grpc REDLINK_METRICS_ADDR=127.0.0.1:$metrics \
  REDLINK_RESP_ADDR=127.0.0.1:$resp REDLINK_DATA_DIR="$tmp/data" \
  "$tmp/bin/redlinkd" >"$tmp/log" 2>&1 &
pid=$!
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 100); do
  listening "$grpc" && break
  kill -0 "$pid" 2>/dev/null || { echo "release_build: redlinkd exited:"; cat "$tmp/log"; exit 1; }
  sleep 0.1
done
for port in "$grpc" "$resp" "$metrics"; do
  listening "$port" || { echo "release_build: nothing listens on 127.0.0.1:$port"; cat "$tmp/log"; exit 1; }
done
curl -sf "http://127.0.0.1:$metrics/metrics" -o "$tmp/metrics" || {
  echo "release_build: GET /metrics failed"; cat "$tmp/log"; exit 1; }
grep -q '^process_start_time_seconds' "$tmp/metrics" || {
  echo "release_build: /metrics has no process_start_time_seconds"; exit 1; }
test -d "$tmp/data" || { echo "release_build: REDLINK_DATA_DIR was not created"; exit 1; }
kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then echo "release_build: redlinkd ignored SIGTERM for 10 s"; exit 1; fi
pid=""
echo "release_build: OK in $((SECONDS - start)) s"
