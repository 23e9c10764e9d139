#!/usr/bin/env bash
# Interleaved A/B of monolithic pushes: several Bollard builds and docker-registry run at the same time, and each
# round pushes one new blob to each of them in a rotating order, so that a busy machine hurts all of them alike.
#
#   bash bench/ab-push.sh NAME=DIR [NAME=DIR ...]      # DIR: a Bollard build or publish folder (with bollard.dll)
#   BENCH_AB_ROUNDS=7 BENCH_AB_MB=1024 BENCH_AB_STRACE=1 bash bench/ab-push.sh base=/tmp/a new=/tmp/b
#
# Prints per server the median and min-max of MB/s and of server CPU (user+sys) per push, and the ratio
# server/docker-registry. BENCH_AB_STRACE=1 adds one push per server under `strace -c -f` (syscall counts; the
# timing of that push is not used). Needs what bench/run.sh installs.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${BENCH_AB_ROUNDS:-7}
MB=${BENCH_AB_MB:-1024}
(($# > 0)) || { sed -n '2,11p' "$0" >&2; exit 2; }
WORK=$(mktemp -d /var/tmp/bollard-ab.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
dotnet build bench/Bollard.Benchmarks/Bollard.Benchmarks.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
cp -r bench/Bollard.Benchmarks/bin/Release/net10.0 "$WORK/bench-bin"
bench() { dotnet "$WORK/bench-bin/bollard-bench.dll" "$@"; }
declare -A URL PID
NAMES=()
for spec in "$@"; do
  name=${spec%%=*} dir=${spec#*=}
  [ -f "$dir/bollard.dll" ] || { echo "$dir has no bollard.dll" >&2; exit 2; }
  cp -r "$dir" "$WORK/bin-$name"
  port=$(bench free-port)
  BOLLARD__Auth__Enabled=false BOLLARD_ADMIN_PASSWORD="ab-$RANDOM$RANDOM$RANDOM" dotnet "$WORK/bin-$name/bollard.dll" serve \
    --listen "127.0.0.1:$port" --data "$WORK/data-$name" >"$WORK/$name.log" 2>&1 &
  PID[$name]=$!; PIDS+=($!); URL[$name]="http://127.0.0.1:$port"; NAMES+=("$name")
done
port=$(bench free-port)
cat >"$WORK/registry.yml" <<YML
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $WORK/registry-data
http:
  addr: 127.0.0.1:$port
YML
docker-registry serve "$WORK/registry.yml" >"$WORK/registry.log" 2>&1 &
PID[docker-registry]=$!; PIDS+=($!); URL[docker-registry]="http://127.0.0.1:$port"; NAMES+=(docker-registry)
for n in "${NAMES[@]}"; do bench wait-http "${URL[$n]}/v2/" 60 >/dev/null; bench push-mono "${URL[$n]}" ab/warm 64 7 >/dev/null; done
cpu() { awk '{ print $14 + $15 }' "/proc/${PID[$1]}/stat"; }
TICK=$(getconf CLK_TCK)
RES="$WORK/res.tsv"; : >"$RES"
for ((r = 1; r <= ROUNDS; r++)); do
  k=$(( (r - 1) % ${#NAMES[@]} ))
  order=("${NAMES[@]:$k}" "${NAMES[@]:0:$k}")
  echo "round $r of $ROUNDS: load $(cut -d' ' -f1-3 /proc/loadavg), MemFree $(awk '/MemFree/ {printf "%.0f", $2/1024}' /proc/meminfo) MiB, order ${order[*]}" >&2
  for n in "${order[@]}"; do
    sync
    c0=$(cpu "$n")
    out=$(bench push-mono "${URL[$n]}" ab/mono "$MB" $((100 * r + ${#n})))
    c=$(awk -v a="$c0" -v b="$(cpu "$n")" -v t="$TICK" 'BEGIN { printf "%.2f", (b - a) / t }')
    mbps=$(sed -n 's/.*mbps=\([^ ]*\).*/\1/p' <<<"$out")
    printf '%s\t%s\t%s\n' "$n" "$mbps" "$c" >>"$RES"
    echo "  $n: $out server_cpu=${c}s" >&2
  done
done
echo "monolithic push of $MB MiB, $ROUNDS rounds; load at end $(cut -d' ' -f1-3 /proc/loadavg)"
awk -F'\t' '
  function med(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
  { n[$1]++; m[$1, n[$1]] = $2; c[$1, n[$1]] = $3; if (!($1 in seen)) { seen[$1] = 1; order[++k] = $1 } }
  END {
    for (i = 1; i <= k; i++) { s = order[i]; delete x; delete y
      lo = 1e18; hi = 0; clo = 1e18; chi = 0
      for (j = 1; j <= n[s]; j++) { x[j] = m[s, j]; y[j] = c[s, j]
        if (x[j] < lo) lo = x[j]; if (x[j] > hi) hi = x[j]; if (y[j] < clo) clo = y[j]; if (y[j] > chi) chi = y[j] }
      mm[s] = med(x, n[s]); mc[s] = med(y, n[s]); line[s] = sprintf("%.0f MB/s (%.0f-%.0f), server CPU %.2f s (%.2f-%.2f)", mm[s], lo, hi, mc[s], clo, chi) }
    for (i = 1; i <= k; i++) { s = order[i]
      printf "%-16s %s", s, line[s]
      if (s != "docker-registry") printf "; %s/docker-registry: %.2fx MB/s, %.2fx CPU", s, mm[s] / mm["docker-registry"], mc[s] / mc["docker-registry"]
      printf "\n" } }' "$RES"
if [ "${BENCH_AB_STRACE:-0}" = 1 ]; then
  for n in "${NAMES[@]}"; do
    strace -c -f -q -p "${PID[$n]}" -o "$WORK/strace-$n.txt" &
    st=$!; sleep 1
    bench push-mono "${URL[$n]}" ab/strace "$MB" 99 >/dev/null
    kill -INT "$st"; wait "$st" 2>/dev/null || true
    echo "== strace -c -f, one push of $MB MiB: $n"
    grep -E "calls|recvfrom|recvmsg|read |readv|pwrite64|write |sched_yield|futex|epoll_wait|fsync|fdatasync|sync_file_range|total" "$WORK/strace-$n.txt" | head -14
  done
fi
