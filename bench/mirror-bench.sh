#!/usr/bin/env bash
# Mirror bench (issue 10, bench/README.md#mirror): against a real `bollard serve` and Debian's docker-registry on loopback,
# in one run: a cached pull through the mirror vs a normal pull of the same image from Bollard (target ratio >= 0.95), a
# miss vs a direct pull from the upstream for a 256 MiB layer (target overhead < 10%), and a miss's first byte vs the end
# of the upstream transfer (the first byte must come first).
# Usage: bench/mirror-bench.sh [ROUNDS] [LAYER_MIB]   (defaults 5 and 256; raw figures in bench/out/mirror-*.tsv)
# BENCH_MIRROR_UPSTREAM_MBPS (default 250; 0 skips it): the rate of a paced link to the upstream for the second miss figure.
# BENCH_MIRROR_BOLLARD_DIR=DIR takes a prebuilt Bollard folder (with bollard.dll) instead of building src/, for before/after runs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-${BENCH_MIRROR_ROUNDS:-5}}
MIB=${2:-${BENCH_MIRROR_MIB:-256}}
command -v docker-registry >/dev/null 2>&1 || { SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"; $SUDO apt-get install -y -qq docker-registry >/dev/null; }
echo "mirror-bench: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), commit $(git rev-parse --short HEAD)" >&2
dotnet build bench/Bollard.MirrorBench/Bollard.MirrorBench.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
build=${BENCH_MIRROR_BOLLARD_DIR:-src/Bollard/bin/Release/net10.0}
[ -n "${BENCH_MIRROR_BOLLARD_DIR:-}" ] || dotnet build src/Bollard/Bollard.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
# A private copy of the server build, so that a concurrent rebuild cannot swap dlls mid-run.
server=$(mktemp -d /tmp/bollard-mirror-bench-bin-XXXXXX)
trap 'rm -rf "$server"' EXIT
cp -r "$build/." "$server/"
mkdir -p bench/out
tsv="bench/out/mirror-$(date -u +%Y%m%d-%H%M).tsv"
dotnet bench/Bollard.MirrorBench/bin/Release/net10.0/mirror-bench.dll "$server/bollard.dll" "$ROUNDS" "$MIB" "$tsv"
echo "raw figures: $tsv" >&2
