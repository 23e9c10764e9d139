#!/usr/bin/env bash
# Runs every Bollard test. Installs what the tests need (the tools list below) when missing, and builds the scanner's
# real-image fixtures (scripts/scan-fixtures.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# command:debian-package, one per line; a test that needs a tool adds it here.
tools=(
  skopeo:skopeo
  umoci:umoci
  prometheus:prometheus
  debootstrap:debootstrap
  go:golang-go
  npm:npm
  python3:python3
  rustc:rustc
  objcopy:binutils
  rpmbuild:rpm
  docker-registry:docker-registry
  javac:default-jdk-headless
  kubectl:kubernetes-client
  # The mirror's real clients (test/Bollard.IntegrationTests/Mirror/Clients): the tests start their own daemons.
  dockerd:docker.io
  docker:docker.io
  podman:podman
  containerd:containerd
  ctr:containerd
)
need=()
for pair in "${tools[@]}"; do command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}"); done
if ((${#need[@]})); then
  echo "installing test tools: ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Real images for the scanner's end-to-end tests (debootstrap, npm, dotnet publish, go build), built once and cached.
BOLLARD_SCAN_FIXTURES="$(bash scripts/scan-fixtures.sh)"
export BOLLARD_SCAN_FIXTURES

# cdxgen (npm), the independent SBOM the scanner's inventory is compared with.
cdxgen_dir="${BOLLARD_TOOLS:-$HOME/.cache/bollard/tools}/cdxgen-12.8.4"
if [ ! -x "$cdxgen_dir/node_modules/.bin/cdxgen" ]; then
  echo "installing @cyclonedx/cdxgen@12.8.4"
  npm install --prefix "$cdxgen_dir" --no-audit --no-fund --loglevel=error @cyclonedx/cdxgen@12.8.4 >/dev/null
fi
export BOLLARD_CDXGEN="$cdxgen_dir/node_modules/.bin/cdxgen"

# sigstore-js (npm), the independent Sigstore peers of the bundle interop tests, pinned by their package.json.
sigstore_pkg=test/Bollard.IntegrationTests/Trust/sigstore-js/package.json
sigstore_dir="${BOLLARD_TOOLS:-$HOME/.cache/bollard/tools}/sigstore-js-$(sha256sum "$sigstore_pkg" | cut -c1-12)"
if [ ! -d "$sigstore_dir/node_modules/@sigstore/verify" ]; then
  echo "installing sigstore-js ($sigstore_pkg)"
  mkdir -p "$sigstore_dir" && cp "$sigstore_pkg" "$sigstore_dir/package.json"
  npm install --prefix "$sigstore_dir" --no-audit --no-fund --loglevel=error >/dev/null
fi
export BOLLARD_SIGSTORE_JS="$sigstore_dir"

# Two independent CVSS v4.0 calculators (npm), the references of the scanner's Cvss4 tests, pinned by their package.json.
cvss_pkg=test/Bollard.Scanning.Tests/Matching/cvss-js/package.json
cvss_dir="${BOLLARD_TOOLS:-$HOME/.cache/bollard/tools}/cvss-js-$(sha256sum "$cvss_pkg" | cut -c1-12)"
if [ ! -d "$cvss_dir/node_modules/ae-cvss-calculator" ] || [ ! -d "$cvss_dir/node_modules/@pandatix/js-cvss" ]; then
  echo "installing CVSS calculators ($cvss_pkg)"
  mkdir -p "$cvss_dir" && cp "$cvss_pkg" "$cvss_dir/package.json"
  npm install --prefix "$cvss_dir" --no-audit --no-fund --loglevel=error >/dev/null
fi
export BOLLARD_CVSS_JS="$cvss_dir/node_modules"

out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
dotnet test Bollard.slnx -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e

# One closing line for CI: "N passed, N failed, N skipped", summed over the test projects.
awk '/^[[:space:]]+Passed: [0-9]+$/  { p += $2 }
     /^[[:space:]]+Failed: [0-9]+$/  { f += $2 }
     /^[[:space:]]+Skipped: [0-9]+$/ { s += $2 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$out"
exit "$status"
