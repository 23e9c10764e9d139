#!/usr/bin/env bash
# GC bench (issue 7): a registry of BENCH_GC_BLOBS blobs (default 100000) and BENCH_GC_MANIFESTS manifests (20000),
# metadata rows and small files made by gc-generate.py; then the time of a full GC run (POST /api/v1/gc to
# Succeeded, from the run's own start and end), and manifest GET and blob pull latency (wrk, p50/p99) without GC
# and while GC runs. Usage: bash bench/gc-bench.sh   (BENCH_GC_BLOBS=10000 BENCH_GC_MANIFESTS=2000 for a quick try)
# Fair windows: one warm-up round (the same loads, same length, not counted: JIT and tiering, connection pools,
# page cache) after the start, then BENCH_GC_WINDOWS rounds without GC and up to as many while the real run goes on;
# the summary compares the medians of the p99s (a window during which the run ended is shown, not counted, when a
# whole one exists). Each window also shows the server's CPU seconds, the GC thread's, and the runtime's
# collections (gen0/gen1/gen2, from /metrics), which a shared machine moves less than latency.
# Knobs: BENCH_GC_LOAD_SECONDS (8), BENCH_GC_LOADS ("manifest blob"), BENCH_GC_WINDOWS (2), BENCH_GC_ENV (server
# environment), BENCH_GC_BIN (a prebuilt bin/Release/net10.0 folder instead of building src/).
set -euo pipefail
cd "$(dirname "$0")/.."
BLOBS=${BENCH_GC_BLOBS:-100000}
MANIFESTS=${BENCH_GC_MANIFESTS:-20000}
SECONDS_LOAD=${BENCH_GC_LOAD_SECONDS:-8}
LOADS=${BENCH_GC_LOADS:-manifest blob}   # which loads run (one after the other), e.g. "blob" alone for a smaller registry
WINDOWS=${BENCH_GC_WINDOWS:-2}           # measured rounds without GC, and at most as many during it
SERVER_ENV=${BENCH_GC_ENV:-}              # "NAME=VALUE ..." for the server only, e.g. BOLLARD__GC__BUSYWORKSHARE=1 to compare
WORK=$(mktemp -d /tmp/bollard-gc-bench-XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
if [ -n "${BENCH_GC_BIN:-}" ]; then  # a prebuilt Bollard folder (bin/Release/net10.0 of another commit), for before/after
  cp -r "$BENCH_GC_BIN" "$WORK/bin"
else
  dotnet build src/Bollard/Bollard.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
  cp -r src/Bollard/bin/Release/net10.0 "$WORK/bin"
fi
PORT=$((20000 + RANDOM % 20000))
start() {
  # shellcheck disable=SC2086 # BENCH_GC_ENV is a list of NAME=VALUE words
  env $SERVER_ENV BOLLARD__AUTH__ENABLED=false BOLLARD__GC__GRACEPERIOD=0 BOLLARD__GC__INTERVAL=0 BOLLARD__JOBS__POLLINTERVAL=100ms \
  Logging__LogLevel__Default=Warning dotnet "$WORK/bin/bollard.dll" serve --listen "127.0.0.1:$PORT" --data "$WORK/data" >"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/v2/" >/dev/null && return; sleep 0.1; done
  echo "bollard did not start"; cat "$WORK/server.log"; exit 1
}
stop() { kill "$PID"; wait "$PID" || true; PID=""; }

start; stop  # creates and migrates the database
t0=$(date +%s.%N)
python3 bench/gc-generate.py "$WORK/data" "$BLOBS" "$MANIFESTS"
echo "generated in $(echo "$(date +%s.%N) - $t0" | bc) s"
start
read -r REPO TAG MANIFEST BLOB <"$WORK/data/gc-bench-targets.txt"
URL="http://127.0.0.1:$PORT"
cat >"$WORK/accept.lua" <<'LUA'
wrk.headers["Accept"] = "application/vnd.oci.image.manifest.v1+json"
LUA
RESULTS="$WORK/windows.txt"
ticks() { awk '{print $14 + $15}' "$1" 2>/dev/null || echo 0; }  # user+system clock ticks of a /proc stat file
gc_thread_ticks() { local t; for t in /proc/"$PID"/task/*; do [ "$(cat "$t/comm" 2>/dev/null)" = bollard-gc ] && ticks "$t/stat" && return; done; echo 0; }
collections() { # gen0 gen1 gen2 collections and the runtime's pauses (ms) so far
  curl -fs "$URL/metrics" | awk '/^dotnet_collection_count_total/ {split($1, a, "\""); c[a[2]] = $2} /^bollard_dotnet_gc_pause_seconds_total/ {p = $2 * 1000}
    END {printf "%d %d %d %.1f", c[0], c[1], c[2], p}'
}
HZ=$(getconf CLK_TCK)
gc_running() { [ "$(curl -fs "$URL/api/v1/gc/$id?limit=0" | jq -r .state)" != Succeeded ]; }
window() { # $1 phase (warm-up, without, during), $2 load (manifest, blob): one wrk run and its costs, appended to $RESULTS
  local out lat cpu0 gct0 cpu1 gct1 a0 b0 c0 p0 a1 b1 c1 p1 whole=1
  read -r a0 b0 c0 p0 <<<"$(collections)"; cpu0=$(ticks "/proc/$PID/stat"); gct0=$(gc_thread_ticks)
  if [ "$2" = manifest ]; then
    out=$(wrk -t1 -c8 -d"${SECONDS_LOAD}s" --latency -s "$WORK/accept.lua" "$URL/v2/$REPO/manifests/$TAG")
  else
    out=$(wrk -t1 -c8 -d"${SECONDS_LOAD}s" --latency "$URL/v2/$REPO/blobs/$BLOB")
  fi
  cpu1=$(ticks "/proc/$PID/stat"); gct1=$(gc_thread_ticks); read -r a1 b1 c1 p1 <<<"$(collections)"
  lat=$(echo "$out" | awk '/ 50%/ {p50=$2} / 99%/ {p99=$2} /Requests\/sec/ {r=$2} END {print p50, p99, r}')
  [ "$1" = during ] && ! gc_running && whole=0
  # The GC thread is made per run: a start of 0 means it began during the window; gone at the end reads 0.
  echo "$1 $2 $lat $(echo "scale=2; ($cpu1 - $cpu0) / $HZ" | bc) $(echo "scale=2; $(( gct1 >= gct0 ? gct1 - gct0 : 0 )) / $HZ" | bc) $((a1 - a0))/$((b1 - b0))/$((c1 - c0)) $whole $(echo "$p1 - $p0" | bc)" \
    | tee -a "$RESULTS" \
    | awk '{printf "%-8s %-8s p50 %s p99 %s req/s %s; server CPU %s s, GC thread %s s; runtime collections gen0/1/2 %s, paused %s ms%s\n", $1, $2, $3, $4, $5, $6, $7, $8, $10, ($9 == 0 ? " (the run ended during it)" : "")}'
}
round() { local l; for l in $LOADS; do window "$1" "$l"; done; }  # $1 phase: each load of $LOADS once
round warm-up
for _ in $(seq 1 "$WINDOWS"); do round without; done
# A dry run first (examines everything, removes nothing), then the real run; the loads run during the real run.
id=$(curl -fs -XPOST "$URL/api/v1/gc?dryRun=true" | jq .id)
until ! gc_running; do sleep 0.2; done
curl -fs "$URL/api/v1/gc/$id?limit=0" | jq -c '{dryRun, startedAt, finishedAt, totals}'
id=$(curl -fs -XPOST "$URL/api/v1/gc" | jq .id)
for _ in $(seq 1 "$WINDOWS"); do gc_running || break; round during; done
until ! gc_running; do sleep 0.2; done
run=$(curl -fs "$URL/api/v1/gc/$id?limit=0")
echo "$run" | jq -c '{dryRun, startedAt, finishedAt, totals, attempts}'
python3 - "$run" <<'PY'
import json, sys, datetime
r = json.loads(sys.argv[1])
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
print(f"full GC: {(t(r['finishedAt']) - t(r['startedAt'])).total_seconds():.1f} s for {r['progress']['manifestsTotal']} manifests, {r['progress']['blobsTotal']} blobs")
PY
python3 - "$RESULTS" <<'PY'
import statistics, sys
def ms(v):  # wrk's latency: 812.00us, 3.50ms, 1.02s
    for unit, f in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
        if v.endswith(unit): return float(v[: -len(unit)]) * f
    return float("nan")
rows = [l.split() for l in open(sys.argv[1])]
for load in ("manifest", "blob"):
    base = [ms(r[3]) for r in rows if r[0] == "without" and r[1] == load]
    whole = [ms(r[3]) for r in rows if r[0] == "during" and r[1] == load and r[8] == "1"]
    during = whole or [ms(r[3]) for r in rows if r[0] == "during" and r[1] == load]
    if not base or not during: continue
    b, d = statistics.median(base), statistics.median(during)
    print(f"{load} p99 without GC {b:.2f} ms ({', '.join(f'{x:.2f}' for x in base)}), during GC {d:.2f} ms "
          f"({', '.join(f'{x:.2f}' for x in during)}{'' if whole else '; the run ended during each'}): {d / b:.2f}x (medians)")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
