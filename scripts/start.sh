#!/usr/bin/env bash
# Starts the gateway locally on a fresh machine: installs the npm dev tools (Azurite) if missing, starts Azurite
# (data kept in .azurite/data), creates local secrets on first run, and runs the local host on http://127.0.0.1:7071
# (the operator console is at http://127.0.0.1:7071/api/console).
# Extra arguments go to the local host, e.g. --urls http://127.0.0.1:7072.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v dotnet >/dev/null; then
  echo "The .NET 10 SDK is required: https://dot.net (dotnet --version must print 10.x)" >&2; exit 1
fi
if ! command -v npm >/dev/null; then
  echo "installing Node.js and npm (apt)"; apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
fi
# Azurite, and the SignalR browser client the build embeds in the operator console.
if [ ! -x node_modules/.bin/azurite ] || [ ! -f node_modules/@microsoft/signalr/dist/browser/signalr.min.js ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

started=0
if ! curl -s -o /dev/null -m 2 "http://127.0.0.1:10002/devstoreaccount1/Tables"; then
  AZURITE_LOCATION="$root/.azurite/data" bash scripts/azurite.sh start
  started=1
fi
trap '[ "$started" = 1 ] && bash scripts/azurite.sh stop >/dev/null' EXIT

# Local secrets, made once and readable only by you.
secrets="$root/.gateway/local.env"
if [ ! -f "$secrets" ]; then
  mkdir -p "$(dirname "$secrets")" && chmod 700 "$(dirname "$secrets")"
  umask 077
  token=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  key=$(head -c 24 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  # The gateway's settings, and the same values under the names the gateway CLI reads.
  printf 'Gateway__SharedToken=%s\nGateway__AdminKey=%s\nGATEWAY_SHARED_TOKEN=%s\nGATEWAY_ADMIN_KEY=%s\n' "$token" "$key" "$token" "$key" >"$secrets"
fi
set -a; . "$secrets"; set +a
export AzureWebJobsStorage="${AzureWebJobsStorage:-UseDevelopmentStorage=true}"

echo "gateway: the shared token and admin key are in .gateway/local.env (for the CLI: set -a; . .gateway/local.env; set +a)"
echo "gateway: the operator console is at /api/console on the host's URL (http://127.0.0.1:7071/api/console by default)"
dotnet run --project src/FunctionsGateway.LocalHost -c Release -- "$@"
