#!/usr/bin/env bash
# The end-to-end load runs recorded in docs/benchmarks.md. Each scenario gets a fresh in-memory Azurite of its own (on
# ports of its own, so a shared Azurite and its other users are neither used nor measured) and a fresh local host
# (Release, counting its storage operations). The load tool reports each rate with its cost per operation: host CPU,
# Azurite CPU (both from /proc/<pid>/stat of the processes started here) and storage operations. Bounded: every run
# stops by itself.
#   bash scripts/load.sh [seconds=10] [paired=10000] [only=calls|handshakes|handshakes-8|handshakes-paired|handshakes-paced|spawn]
# handshakes-paced runs 8 and then the paired count of devices at the same LOAD_RATE handshakes/s (default 10), so the
# host's fixed per-second work weighs the same on both and their cost per handshake compares the handshakes alone.
# LOAD_WARMUP (30 s) is the warm-up before each measured window: a fresh host recompiles its hot methods for tens of
# seconds, and that CPU would otherwise land in the window. LOAD_RATE paces handshakes-8 and handshakes-paced.
# LOAD_HOST_ENV="NAME=value ..." passes extra environment to the local host (e.g. to compare a runtime setting);
# LOAD_HOST_DLL runs another build of the local host (a copy of an earlier bin/ folder, for before/after pairs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
seconds="${1:-10}"; paired="${2:-10000}"; only="${3:-all}"
port="${LOAD_PORT:-7171}"; az_port="${LOAD_AZURITE_PORT:-10100}"   # Azurite: blob, queue and table on az_port..az_port+2
export Gateway__SharedToken="load-shared-token-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export Gateway__AdminKey="load-admin-key-$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export GATEWAY_SHARED_TOKEN="$Gateway__SharedToken" GATEWAY_ADMIN_KEY="$Gateway__AdminKey"
# Azurite's well-known development account, on this script's ports.
key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
base="http://127.0.0.1"
export AzureWebJobsStorage="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=$base:$az_port/devstoreaccount1;QueueEndpoint=$base:$((az_port + 1))/devstoreaccount1;TableEndpoint=$base:$((az_port + 2))/devstoreaccount1;"
state="$root/.azurite/load"; mkdir -p "$state"

dotnet build FunctionsGateway.sln -c Release -nologo -v q >/dev/null
[ -x "$root/node_modules/.bin/azurite" ] || npm ci --no-audit --no-fund --loglevel=error
host_pid=""; az_pid=""
# Stops a process this script started, by its pid, and waits until it has exited.
stop_pid() {
  local pid="$1"
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
stop_all() { stop_pid "$host_pid"; host_pid=""; stop_pid "$az_pid"; az_pid=""; }
fresh() {
  stop_all
  "$root/node_modules/.bin/azurite" --silent --inMemoryPersistence --skipApiVersionCheck --loose \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    --blobPort "$az_port" --queuePort $((az_port + 1)) --tablePort $((az_port + 2)) >"$state/azurite.log" 2>&1 &
  az_pid=$!
  for _ in $(seq 1 120); do curl -s -o /dev/null -m 2 "$base:$((az_port + 2))/devstoreaccount1/Tables" && break; sleep 0.5; done
  # shellcheck disable=SC2086
  env ${LOAD_HOST_ENV:-} dotnet "${LOAD_HOST_DLL:-src/FunctionsGateway.LocalHost/bin/Release/net10.0/FunctionsGateway.LocalHost.dll}" --urls "$base:$port" \
    --Logging:LogLevel:Default=Warning --LocalHost:CountStorage=true >"$state/host.log" 2>&1 &
  host_pid=$!
  for _ in $(seq 1 60); do curl -s -o /dev/null -X POST "$base:$port/api/negotiate" && break; sleep 0.5; done
}
load() {
  dotnet tools/FunctionsGateway.Load/bin/Release/net10.0/FunctionsGateway.Load.dll "$@" --url "$base:$port" --duration "$seconds" \
    --host-pid "$host_pid" --azurite-pid "$az_pid" --warmup "${LOAD_WARMUP:-30}"
}
trap stop_all EXIT

want() { [ "$only" = all ] || [ "$only" = "$1" ]; }
if want calls; then
  echo "== read calls (status), 16 connections, JSON";        fresh; load calls --connections 16
  echo "== read calls (status), 16 connections, MessagePack"; fresh; load calls --connections 16 --msgpack
fi
if want handshakes || want handshakes-8; then
  echo "== handshakes, 8 workers, 8 paired devices";          fresh; load handshakes --connections 8 ${LOAD_RATE:+--rate $LOAD_RATE}
fi
if want handshakes || want handshakes-paired; then
  echo "== handshakes, 8 workers, $paired paired devices";    fresh; load handshakes --connections 8 --paired "$paired"
fi
if want handshakes-paced; then
  rate="${LOAD_RATE:-10}"
  echo "== handshakes at $rate/s, 8 workers, 8 paired devices";          fresh; load handshakes --connections 8 --rate "$rate"
  echo "== handshakes at $rate/s, 8 workers, $paired paired devices";    fresh; load handshakes --connections 8 --rate "$rate" --paired "$paired"
fi
if want spawn; then
  echo "== spawn, 100 sub-agents one after another, one echo worker"; fresh; load spawn --count 100
fi
