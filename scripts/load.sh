#!/usr/bin/env bash
# The end-to-end load runs recorded in docs/benchmarks.md. Each scenario gets a fresh in-memory Azurite and a fresh
# local host (Release), so earlier runs' rows do not skew the next. Bounded: every run stops by itself.
#   bash scripts/load.sh [seconds=10] [paired=10000] [only=calls|handshakes|spawn]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-10}"; paired="${2:-10000}"; only="${3:-all}"; port=7171
export Gateway__SharedToken="load-shared-token-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export Gateway__AdminKey="load-admin-key-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export GATEWAY_SHARED_TOKEN="$Gateway__SharedToken" GATEWAY_ADMIN_KEY="$Gateway__AdminKey"
export AzureWebJobsStorage="UseDevelopmentStorage=true"

dotnet build FunctionsGateway.sln -c Release -nologo -v q >/dev/null
host_pid=""
# Stops the local host this script started, and waits until it has exited.
stop_host() {
  [ -n "$host_pid" ] || return 0
  kill "$host_pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$host_pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$host_pid" 2>/dev/null && kill -9 "$host_pid" 2>/dev/null || true
  wait "$host_pid" 2>/dev/null || true
  host_pid=""
}
fresh() {
  stop_host
  # A fresh in-memory Azurite per scenario: ours is stopped (by pid) and started again. One the user started is
  # left alone, and then scenarios share it.
  bash scripts/azurite.sh stop >/dev/null
  bash scripts/azurite.sh start >/dev/null
  dotnet src/FunctionsGateway.LocalHost/bin/Release/net10.0/FunctionsGateway.LocalHost.dll --urls "http://127.0.0.1:$port" \
    --Logging:LogLevel:Default=Warning >"$root/.azurite/load-host.log" 2>&1 &
  host_pid=$!
  for _ in $(seq 1 60); do curl -s -o /dev/null -X POST "http://127.0.0.1:$port/api/negotiate" && break; sleep 0.5; done
}
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }   # user+system clock ticks of a process
# Runs the load tool and adds the CPU the gateway host and Azurite spent per operation in the measured window.
load() {
  local az; az=$(cat .azurite/pid)
  local h0="" a0="" out
  out=$(dotnet tools/FunctionsGateway.Load/bin/Release/net10.0/FunctionsGateway.Load.dll "$@" --url "http://127.0.0.1:$port" --duration "$seconds" |
    while IFS= read -r line; do
      case "$line" in
        "measure: start") h0=$(cpu "$host_pid"); a0=$(cpu "$az") ;;
        "measure: end") echo "cpu-ticks: host=$(( $(cpu "$host_pid") - h0 )) azurite=$(( $(cpu "$az") - a0 ))" ;;
        *) echo "$line" ;;
      esac
    done)
  echo "$out"
  local ok host az_ticks hz
  hz=$(getconf CLK_TCK)
  ok=$(echo "$out" | sed -nE 's/^result: ([0-9]+) ok.*/\1/p')
  host=$(echo "$out" | sed -nE 's/^cpu-ticks: host=([0-9]+).*/\1/p'); az_ticks=$(echo "$out" | sed -nE 's/.*azurite=([0-9]+)$/\1/p')
  [ -n "$ok" ] && [ "$ok" -gt 0 ] && awk -v o="$ok" -v h="$host" -v a="$az_ticks" -v hz="$hz" \
    'BEGIN { printf "cpu per operation: gateway host %.2f ms, azurite %.2f ms\n", h*1000/hz/o, a*1000/hz/o }'
}
trap 'stop_host; bash scripts/azurite.sh stop >/dev/null' EXIT

want() { [ "$only" = all ] || [ "$only" = "$1" ]; }
if want calls; then
  echo "== read calls (status), 16 connections, JSON";        fresh; load calls --connections 16
  echo "== read calls (status), 16 connections, MessagePack"; fresh; load calls --connections 16 --msgpack
fi
if want handshakes; then
  echo "== handshakes, 8 workers, 8 paired devices";          fresh; load handshakes --connections 8
  echo "== handshakes, 8 workers, $paired paired devices";    fresh; load handshakes --connections 8 --paired "$paired"
fi
if want spawn; then
  echo "== spawn, 100 sub-agents one after another, one echo worker"; fresh; load spawn --count 100
fi
