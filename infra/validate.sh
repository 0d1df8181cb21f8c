#!/usr/bin/env bash
# Compiles and lints infra/main.bicep (and every module it uses) with the real Bicep compiler.
# Exits non-zero on any error or warning. CI calls it; so can you: `bash infra/validate.sh`.
#
# Bicep comes from, in order: $BICEP (path to the binary), `bicep` on PATH, or the NuGet package
# Azure.Bicep.CommandLine.<rid> (version $BICEP_VERSION), restored with `dotnet restore` into a
# temporary project when it is not in the NuGet cache yet.
set -euo pipefail

BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
infra_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
main_bicep="$infra_dir/main.bicep"
params_json="$infra_dir/main.parameters.json"

rid() {
  local os arch
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=osx ;;
    *) echo "validate.sh: unsupported OS $(uname -s)" >&2; exit 2 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "validate.sh: unsupported CPU $(uname -m)" >&2; exit 2 ;;
  esac
  echo "$os-$arch"
}

find_bicep() {
  if [[ -n "${BICEP:-}" ]]; then
    echo "$BICEP"
    return
  fi
  if command -v bicep >/dev/null 2>&1; then
    command -v bicep
    return
  fi
  local id package_dir tool
  id="azure.bicep.commandline.$(rid)"
  package_dir="${NUGET_PACKAGES:-$HOME/.nuget/packages}/$id/$BICEP_VERSION"
  tool="$package_dir/tools/bicep"
  if [[ ! -f "$tool" ]]; then
    command -v dotnet >/dev/null 2>&1 || { echo "validate.sh: no bicep on PATH and no dotnet to restore it" >&2; exit 2; }
    local tmp
    tmp="$(mktemp -d)"
    # The package has no assemblies, only the native binary under tools/; any target framework restores it.
    cat >"$tmp/bicep-restore.csproj" <<CSPROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
    <ManagePackageVersionsCentrally>false</ManagePackageVersionsCentrally>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Azure.Bicep.CommandLine.$(rid)" Version="$BICEP_VERSION" />
  </ItemGroup>
</Project>
CSPROJ
    dotnet restore "$tmp/bicep-restore.csproj" --nologo -v quiet >&2
    rm -rf "$tmp"
  fi
  [[ -f "$tool" ]] || { echo "validate.sh: restore did not produce $tool" >&2; exit 2; }
  chmod +x "$tool"
  echo "$tool"
}

bicep="$(find_bicep)"
echo "bicep: $bicep ($("$bicep" --version))"

status=0
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

run() {
  local label="$1" failed=0
  shift
  "$@" >"$out" 2>&1 || failed=1
  # Warnings don't change bicep's exit code, so look for them (and errors) in the output.
  if grep -Eq ': (Warning|Error) ' "$out"; then
    failed=1
  fi
  if [[ $failed -eq 0 ]]; then
    echo "$label: ok"
  else
    cat "$out"
    echo "$label: FAILED"
    status=1
  fi
}

run "bicep build" "$bicep" build "$main_bicep" --outfile /dev/null
run "bicep lint" "$bicep" lint "$main_bicep"

# Every parameter in main.parameters.json must be a parameter of main.bicep.
if [[ $status -ne 0 ]]; then
  echo "main.parameters.json: skipped (main.bicep does not build cleanly)"
elif command -v jq >/dev/null 2>&1; then
  compiled="$(mktemp)"
  "$bicep" build "$main_bicep" --stdout >"$compiled" 2>/dev/null
  unknown="$(jq -r --slurpfile c "$compiled" '.parameters | keys[] as $k | select($c[0].parameters | has($k) | not) | $k' "$params_json")"
  rm -f "$compiled"
  if [[ -n "$unknown" ]]; then
    echo "main.parameters.json: unknown parameters: $unknown"
    status=1
  else
    echo "main.parameters.json: ok"
  fi
else
  echo "main.parameters.json: skipped (no jq)"
fi

exit $status
