#!/usr/bin/env bash
# Runs every Bollard test. Installs what the tests need (skopeo, umoci, prometheus with promtool) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for tool in skopeo umoci prometheus; do command -v "$tool" >/dev/null 2>&1 || need+=("$tool"); done
if ((${#need[@]})); then
  echo "installing test tools: ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

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
