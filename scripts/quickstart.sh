#!/usr/bin/env bash
# The README's first command: builds redlinkd and redlinkctl, starts a local redis-server master
# and redlinkd on free loopback ports, creates a link, writes keys into the master, and shows the
# link move to STREAMING and the data arrive on redlink's RESP endpoint.
# Everything runs in a temp dir and stops on Ctrl-C (or at once with QUICKSTART_EXIT=1).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
echo "== building redlinkd and redlinkctl (Release)"
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DREDLINK_BUILD_TESTS=OFF >/dev/null
cmake --build build-release --target redlinkd redlinkctl

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d /tmp/redlink-quickstart-XXXXXX)
master_port=$(free_port); grpc_port=$(free_port); resp_port=$(free_port); metrics_port=$(free_port)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM

echo "== starting redis-server (master) on 127.0.0.1:$master_port"
redis-server --port "$master_port" --bind 127.0.0.1 --save '' --dir "$work" \
  --repl-diskless-sync-delay 0 >"$work/redis.log" 2>&1 &
pids+=($!)
until redis-cli -p "$master_port" ping >/dev/null 2>&1; do sleep 0.1; done
for i in 1 2 3; do redis-cli -p "$master_port" set "greeting:$i" "hello $i" >/dev/null; done
redis-cli -p "$master_port" rpush queue a b c >/dev/null
redis-cli -p "$master_port" hset user:1 name ada lang c++ >/dev/null

echo "== starting redlinkd: gRPC :$grpc_port, RESP :$resp_port, metrics :$metrics_port"
build-release/service/redlinkd --grpc_addr=127.0.0.1:$grpc_port --resp_addr=127.0.0.1:$resp_port \
  --metrics_addr=127.0.0.1:$metrics_port --data_dir="$work/data" 2>"$work/redlinkd.log" &
pids+=($!)
ctl() { build-release/service/redlinkctl --addr=127.0.0.1:$grpc_port "$@"; }
until ctl list >/dev/null 2>&1; do sleep 0.1; done

# Watch first (a link that does not exist yet may be watched), so every state change shows.
ctl watch demo >"$work/watch.log" 2>&1 &
pids+=($!)
sleep 0.3
echo "== redlinkctl create demo --master 127.0.0.1:$master_port"
ctl create demo --master "127.0.0.1:$master_port"
deadline=$((SECONDS + 60))
until ctl get demo -o json | grep -q '"LINK_STATE_STREAMING"'; do
  if [ $SECONDS -gt $deadline ]; then echo "link did not reach STREAMING:"; ctl get demo; cat "$work/redlinkd.log"; exit 1; fi
  sleep 0.2
done
echo "== state changes seen by 'redlinkctl watch demo':"
cat "$work/watch.log"
ctl get demo

echo "== writing to the master after the full sync"
redis-cli -p "$master_port" set greeting:4 "written while streaming" >/dev/null
redis-cli -p "$master_port" incr counter >/dev/null
sleep 0.5
echo "== reading through redlink: redis-cli -p $resp_port --user demo --pass any ..."
rc() { redis-cli -p "$resp_port" --user demo --pass any --no-auth-warning "$@"; }
echo "GET greeting:1 -> $(rc get greeting:1)"
echo "GET greeting:4 -> $(rc get greeting:4)"
echo "GET counter    -> $(rc get counter)"
echo "LRANGE queue   -> $(rc lrange queue 0 -1 | tr '\n' ' ')"
echo "DBSIZE         -> $(rc dbsize)"
echo "ROLE           -> $(rc role | tr '\n' ' ')"

if [ "${QUICKSTART_EXIT:-0}" = 1 ]; then exit 0; fi
cat <<MSG

redlink is replicating. Try, in another terminal:
  redis-cli -p $master_port set k v                        # write to the master
  redis-cli -p $resp_port --user demo --pass any get k     # read it from redlink
  build-release/service/redlinkctl --addr=127.0.0.1:$grpc_port get demo
  curl -s 127.0.0.1:$metrics_port/metrics | grep redlink_link_state
Press Ctrl-C to stop everything.
MSG
wait
