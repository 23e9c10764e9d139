#!/usr/bin/env bash
# GC bench (issue 7): a registry of BENCH_GC_BLOBS blobs (default 100000) and BENCH_GC_MANIFESTS manifests (20000),
# metadata rows and small files made by gc-generate.py; then the time of a full GC run (POST /api/v1/gc to
# Succeeded, from the run's own start and end), and manifest GET and blob pull latency (wrk, p50/p99) without GC
# and while GC runs. Usage: bash bench/gc-bench.sh   (BENCH_GC_BLOBS=10000 BENCH_GC_MANIFESTS=2000 for a quick try)
# Knobs: BENCH_GC_LOAD_SECONDS (8), BENCH_GC_LOADS ("manifest blob"), BENCH_GC_ENV (server environment),
# BENCH_GC_BIN (a prebuilt bin/Release/net10.0 folder instead of building src/).
set -euo pipefail
cd "$(dirname "$0")/.."
BLOBS=${BENCH_GC_BLOBS:-100000}
MANIFESTS=${BENCH_GC_MANIFESTS:-20000}
SECONDS_LOAD=${BENCH_GC_LOAD_SECONDS:-8}
LOADS=${BENCH_GC_LOADS:-manifest blob}   # which loads run (one after the other), e.g. "blob" alone for a smaller registry
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
load() { # $1 label
  local m=- b=-
  [[ " $LOADS " == *" manifest "* ]] && m=$(wrk -t1 -c8 -d"${SECONDS_LOAD}s" --latency -s "$WORK/accept.lua" "$URL/v2/$REPO/manifests/$TAG" | awk '/ 50%/ {p50=$2} / 99%/ {p99=$2} /Requests\/sec/ {r=$2} END {print p50, p99, r}')
  [[ " $LOADS " == *" blob "* ]] && b=$(wrk -t1 -c8 -d"${SECONDS_LOAD}s" --latency "$URL/v2/$REPO/blobs/$BLOB" | awk '/ 50%/ {p50=$2} / 99%/ {p99=$2} /Requests\/sec/ {r=$2} END {print p50, p99, r}')
  echo "$1: manifest GET p50/p99/req/s: $m; blob pull p50/p99/req/s: $b"
}
load "without GC"
# A dry run first (examines everything, removes nothing), then the real run; the loads run during the real run.
id=$(curl -fs -XPOST "$URL/api/v1/gc?dryRun=true" | jq .id)
until [ "$(curl -fs "$URL/api/v1/gc/$id?limit=0" | jq -r .state)" = Succeeded ]; do sleep 0.2; done
curl -fs "$URL/api/v1/gc/$id?limit=0" | jq -c '{dryRun, startedAt, finishedAt, totals}'
id=$(curl -fs -XPOST "$URL/api/v1/gc" | jq .id)
load "during GC" &
LOADPID=$!
until [ "$(curl -fs "$URL/api/v1/gc/$id?limit=0" | jq -r .state)" = Succeeded ]; do sleep 0.2; done
run=$(curl -fs "$URL/api/v1/gc/$id?limit=0")
wait $LOADPID
echo "$run" | jq -c '{dryRun, startedAt, finishedAt, totals, attempts}'
python3 - "$run" <<'PY'
import json, sys, datetime
r = json.loads(sys.argv[1])
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
print(f"full GC: {(t(r['finishedAt']) - t(r['startedAt'])).total_seconds():.1f} s for {r['progress']['manifestsTotal']} manifests, {r['progress']['blobsTotal']} blobs")
PY
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
