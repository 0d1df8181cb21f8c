#!/usr/bin/env bash
# Starts Azurite (tables, queues, blobs) on 127.0.0.1 with in-memory storage unless one already answers.
# Usage: scripts/azurite.sh start|stop|wait   (the pid is kept in .azurite/pid)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="$root/.azurite"
mkdir -p "$state"

answering() {
  # Any HTTP status means the table endpoint is up (it answers 403/400 to an unsigned request).
  curl -s -o /dev/null -m 2 "http://127.0.0.1:10002/devstoreaccount1/Tables" && \
  curl -s -o /dev/null -m 2 "http://127.0.0.1:10001/devstoreaccount1?comp=list"
}

case "${1:-start}" in
  start)
    if answering; then echo "azurite: already answering on 127.0.0.1:10000-10002"; exit 0; fi
    if [ ! -x "$root/node_modules/.bin/azurite" ]; then (cd "$root" && npm ci --no-audit --no-fund --loglevel=error); fi
    # AZURITE_LOCATION keeps data across restarts (the start script uses it); tests run in memory.
    if [ -n "${AZURITE_LOCATION:-}" ]; then storage=(--location "$AZURITE_LOCATION"); else storage=(--inMemoryPersistence); fi
    nohup "$root/node_modules/.bin/azurite" --silent "${storage[@]}" --skipApiVersionCheck --loose \
      --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 >"$state/azurite.log" 2>&1 &
    echo $! >"$state/pid"
    "$0" wait
    ;;
  wait)
    for _ in $(seq 1 120); do
      if answering; then echo "azurite: ready"; exit 0; fi
      sleep 0.5
    done
    echo "azurite: did not answer within 60 s; log:" >&2; cat "$state/azurite.log" >&2 || true; exit 1
    ;;
  stop)
    # Only the Azurite this script started (by its pid), and only once it has really exited: SIGTERM, a grace
    # period, then SIGKILL, so the ports are free when this returns.
    if [ -f "$state/pid" ]; then
      pid="$(cat "$state/pid")"
      if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid" 2>/dev/null || true; for _ in $(seq 1 25); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done; fi
      fi
      rm -f "$state/pid"; echo "azurite: stopped"
    fi
    ;;
  *) echo "usage: $0 start|stop|wait" >&2; exit 2 ;;
esac
