#!/usr/bin/env bash
# Scan bench (issue 8), part 1: time and peak RSS to inventory + match the bookworm minbase image of
# scripts/scan-fixtures.sh, cold (empty layer index) and warm (the layer index of the first run reused), with the
# advisory database imported first; and cdxgen's time on the same root filesystem when it is installed
# (scripts/test.sh installs @cyclonedx/cdxgen@12.8.4), with the ratio Bollard/cdxgen per round.
# The scan is the real `bollard scan oci:DIR:bookworm --format json --data DATA` (Release build of src/Bollard);
# BENCH_SCAN_SPLIT=1 adds a warm run of `bollard-bench scan-image` (bench/Bollard.Benchmarks/ScanDriver.cs, the same
# engine types) per round for the engine's own split (inventory, advisory index load, match). Usage:
#   bash bench/scan-bench.sh                     # 7 rounds
#   BENCH_MODE=quick bash bench/scan-bench.sh    # 3 rounds (a few minutes, most of it the advisory import)
#   BENCH_SCAN_FIXTURES=DIR                      # a finished scan-fixtures folder (else scripts/scan-fixtures.sh)
#   BENCH_SCAN_BIG=0                             # leave out the 500 MB image (bench/scan-big-image.py: bookworm + a
#                                                # 451 MiB layer of 20,000 files), scanned cold, with its base layer
#                                                # already indexed (bookworm scanned first in that data folder), warm
set -euo pipefail
cd "$(dirname "$0")/.."
MODE=${BENCH_MODE:-full}
ROUNDS=${BENCH_REPEAT:-$([ "$MODE" = quick ] && echo 3 || echo 7)}
VULN=${BOLLARD_SHARED:-$(pwd)/../shared}/vulndata
[ -d "$VULN" ] || VULN=/work/shared/vulndata
FIX=${BENCH_SCAN_FIXTURES:-$(bash scripts/scan-fixtures.sh)}
CDXGEN=${BOLLARD_CDXGEN:-$HOME/.cache/bollard/tools/cdxgen-12.8.4/node_modules/.bin/cdxgen}
WORK=$(mktemp -d /tmp/bollard-scan-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p bench/out
OUT=bench/out/scan-$(date -u +%Y%m%d-%H%M%S).tsv
dotnet build src/Bollard -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
cp -r src/Bollard/bin/Release/net10.0 "$WORK/cli"
BOLLARD="$WORK/cli/bollard"
SPLIT=${BENCH_SCAN_SPLIT:-0}
if [ "$SPLIT" = 1 ]; then
  dotnet build bench/Bollard.Benchmarks -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
  cp -r bench/Bollard.Benchmarks/bin/Release/net10.0 "$WORK/bin"
fi
B="$WORK/bin/bollard-bench"
# Private copy of the layout: a concurrent scan-fixtures rebuild must not change it mid-run.
cp -a "$FIX/oci" "$WORK/oci"

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for set in vuln-list-debian security-tracker; do
  "$BOLLARD" db import "$VULN/debian/$set" --data "$WORK/adv" | tee -a "$WORK/import.txt"
done

timed() { # LABEL COMMAND...: one TSV row: label, wall s, user+sys s, peak RSS KiB, load, the command's own output
  local label=$1; shift
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" "$@" >"$WORK/stdout" 2>"$WORK/stderr" || { cat "$WORK/stderr"; exit 1; }
  read -r wall user sys rss <"$WORK/time"
  local said
  if [ "${label#bollard-}" != "$label" ] || [ "${label#big-}" != "$label" ]; then # the JSON report of bollard scan: its counts
    said=$(jq -r '.images[0] | "packages=\(.packages) findings=\(.findings | length)"' "$WORK/stdout")
  else
    said=$(tail -1 "$WORK/stdout" | tr '\n' ' ')
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$wall" "$(echo "$user + $sys" | bc)" "$rss" "$load" "$said" | tee -a "$OUT"
}

BIG=${BENCH_SCAN_BIG:-1}
if [ "$BIG" = 1 ]; then
  python3 bench/scan-big-image.py "$WORK/oci" 20000 450 1
fi
if [ -x "$CDXGEN" ]; then
  umoci unpack --rootless --image "$WORK/oci:bookworm" "$WORK/bundle" >/dev/null 2>&1
fi
for r in $(seq 1 "$ROUNDS"); do
  rm -rf "$WORK/data"; cp -r "$WORK/adv" "$WORK/data"
  timed bollard-cold "$BOLLARD" scan "oci:$WORK/oci:bookworm" --format json --data "$WORK/data"
  timed bollard-warm "$BOLLARD" scan "oci:$WORK/oci:bookworm" --format json --data "$WORK/data"
  [ "$SPLIT" = 1 ] && timed split-warm "$B" scan-image "$WORK/data" "$WORK/oci" bookworm
  if [ "$BIG" = 1 ]; then
    rm -rf "$WORK/big"; cp -r "$WORK/adv" "$WORK/big"
    timed big-cold "$BOLLARD" scan "oci:$WORK/oci:big" --format json --data "$WORK/big"
    rm -rf "$WORK/big"; cp -r "$WORK/data" "$WORK/big"   # bookworm, the base layer, indexed by the runs above
    timed big-base-indexed "$BOLLARD" scan "oci:$WORK/oci:big" --format json --data "$WORK/big"
    timed big-warm "$BOLLARD" scan "oci:$WORK/oci:big" --format json --data "$WORK/big"
  fi
  if [ -x "$CDXGEN" ]; then
    timed cdxgen env CDXGEN_DEBUG_MODE= FETCH_LICENSE=false "$CDXGEN" -t rootfs "$WORK/bundle/rootfs" -o "$WORK/cdx.json" --no-install-deps
    echo "cdxgen components: $(jq '.components | length' "$WORK/cdx.json")"
  fi
done
python3 - "$OUT" <<'PY'
import sys, statistics as st, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    rows[f[0]].append((float(f[1]), float(f[2]), int(f[3]), float(f[4])))
def fmt(v, d=2): return f"{st.median(v):.{d}f} ({min(v):.{d}f}-{max(v):.{d}f})"
print("| run | wall s, median (min-max) | CPU s | peak RSS MiB | load at start |")
print("| --- | ---: | ---: | ---: | ---: |")
for k, v in rows.items():
    print(f"| {k} | {fmt([x[0] for x in v])} | {fmt([x[1] for x in v])} | {fmt([x[2]/1024 for x in v], 0)} | {fmt([x[3] for x in v], 1)} |")
if "cdxgen" in rows:
    for k in ("bollard-cold", "bollard-warm"):
        ratios = [a[0] / c[0] for a, c in zip(rows[k], rows["cdxgen"])]
        print(f"\nratio {k}/cdxgen wall time per round: median {st.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})")
PY
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg); raw rows: $OUT"
