#!/usr/bin/env bash
# The test command: installs what is missing (npm packages), starts Azurite if none is running,
# runs every test project, and ends with one line "N passed, M failed".
# The operator console's browser tests need /usr/bin/chromium (apt-get install -y chromium; .ci/run installs it).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# The build embeds the SignalR browser client from node_modules in the operator console; the tests use Azurite from there too.
if [ ! -x node_modules/.bin/azurite ] || [ ! -f node_modules/@microsoft/signalr/dist/browser/signalr.min.js ]; then
  npm ci --no-audit --no-fund --loglevel=error || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
fi

started=0
if ! curl -s -o /dev/null -m 2 "http://127.0.0.1:10002/devstoreaccount1/Tables"; then
  bash scripts/azurite.sh start || { echo "0 passed, 1 failed"; exit 1; }
  started=1
fi
cleanup() { if [ "$started" = 1 ]; then bash scripts/azurite.sh stop >/dev/null; fi; }
trap cleanup EXIT

log="$(mktemp)"
dotnet build FunctionsGateway.sln -c Release -nologo -v q 2>&1 | tee "$log" | tail -n 20
build=${PIPESTATUS[0]}
if [ "$build" != 0 ]; then echo "build failed"; echo "0 passed, 1 failed"; exit 1; fi

status=0
for project in tests/FunctionsGateway.Tests tests/FunctionsGateway.IntegrationTests; do
  dotnet test "$project" -c Release --no-build -nologo 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" = 0 ] || status=1
done

# "Passed!  - Failed:     0, Passed:    45, Skipped: ..." — one such line per test assembly.
read -r passed failed < <(grep -E '(Passed|Failed)! +- Failed: +[0-9]+, Passed: +[0-9]+' "$log" \
  | sed -E 's/.*Failed: +([0-9]+), Passed: +([0-9]+).*/\2 \1/' \
  | awk '{p+=$1; f+=$2; n++} END {if (n < 2) f+=1; print p+0, f+0}')
rm -f "$log"
[ "$failed" = 0 ] || status=1
echo "$passed passed, $failed failed"
exit $status
