#!/usr/bin/env bash
# "Which images contain package X" bench (issue 8, target under 1 s with thousands of images): a registry of
# BENCH_PKG_IMAGES images (default 5000) in BENCH_PKG_REPOS repositories (100), each with the 88 packages of the real
# bookworm minbase status and one in 20 with log4j-core, written by packages-generate.py into a stopped server's
# database; then BENCH_PKG_REPEAT (5) timed GET /api/v1/packages per query and caller: the log4j purl (250 images)
# and base-files (every image, cut at the limit), as the admin (no access filter), as a reader of one repository (the
# access filter walks past every hidden row) and anonymous. Each row: curl's total time, hits, truncated, and the
# server's CPU seconds over the repeats (/proc/PID/stat, load-insensitive). Usage: bash bench/packages-bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES=${BENCH_PKG_IMAGES:-5000}
REPOS=${BENCH_PKG_REPOS:-100}
REPEAT=${BENCH_PKG_REPEAT:-5}
VULN=${BOLLARD_SHARED:-$(pwd)/../shared}/vulndata
[ -d "$VULN" ] || VULN=/work/shared/vulndata
WORK=$(mktemp -d /tmp/bollard-packages-bench-XXXXXX)
PID=""
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
if [ -n "${BENCH_PKG_BIN:-}" ]; then cp -r "$BENCH_PKG_BIN" "$WORK/bin"; else
  dotnet build src/Bollard/Bollard.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
  cp -r src/Bollard/bin/Release/net10.0 "$WORK/bin"
fi
PORT=$((20000 + RANDOM % 20000))
PASS=packages-bench-admin
start() {
  BOLLARD_ADMIN_PASSWORD=$PASS BOLLARD__SCANNING__ENABLED=false Logging__LogLevel__Default=Warning \
    dotnet "$WORK/bin/bollard.dll" serve --listen "127.0.0.1:$PORT" --data "$WORK/data" >"$WORK/server.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.1; done
  echo "bollard did not start"; cat "$WORK/server.log"; exit 1
}
stop() { kill "$PID"; wait "$PID" || true; PID=""; }
start; stop  # creates and migrates the database, and the admin
python3 bench/packages-generate.py "$WORK/data" "$VULN/debian/bookworm-minbase-status" "$IMAGES" "$REPOS"
start
URL="http://127.0.0.1:$PORT"
curl -fs -u "admin:$PASS" -H 'Content-Type: application/json' -d '{"name":"reader","password":"packages-bench-reader","admin":false}' "$URL/api/v1/users" >/dev/null
curl -fs -u "admin:$PASS" -H 'Content-Type: application/json' -d "{\"principal\":\"reader\",\"role\":\"reader\",\"namespace\":\"team-$((REPOS * 4 / 5))/**\"}" "$URL/api/v1/bindings" >/dev/null
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$PID/stat"; }
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $IMAGES images, $REPOS repositories"
printf '| query | caller | wall s per request, median (min-max) | hits | truncated | server CPU s per request |\n| --- | --- | ---: | ---: | --- | ---: |\n'
for query in "purl=pkg:maven/org.apache.logging.log4j/log4j-core" "purl=pkg:maven/org.apache.logging.log4j/log4j-core&version=%3C2.17.1" "purl=pkg:deb/debian/base-files"; do
  for caller in admin reader anonymous; do
    case $caller in admin) auth=(-u "admin:$PASS");; reader) auth=(-u "reader:packages-bench-reader");; *) auth=();; esac
    curl -fs "${auth[@]}" "$URL/api/v1/packages?$query" -o /dev/null  # warm-up (JIT, caches), not counted
    t0=$(ticks); times=()
    for _ in $(seq 1 "$REPEAT"); do
      times+=("$(curl -fs "${auth[@]}" -w '%{time_total}' -o "$WORK/body.json" "$URL/api/v1/packages?$query")")
    done
    cpu=$(echo "scale=3; ($(ticks) - $t0) / $HZ / $REPEAT" | bc)
    stats=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f (%.3f-%.3f)", a[int((NR+1)/2)], a[1], a[NR]}')
    printf '| %s | %s | %s | %s | %s | %s |\n' "$query" "$caller" "$stats" "$(jq '.packages | length' "$WORK/body.json")" "$(jq .truncated "$WORK/body.json")" "$cpu"
  done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
