#!/usr/bin/env bash
# Bollard vs CNCF Distribution (Debian's docker-registry 2.8) on this machine, side by side in one run.
# bench/README.md has the figures of a full run and what they mean.
#
#   bash bench/run.sh                        # full: 7 rounds, 1 GiB blobs (the documented figures; 25-40 minutes)
#   BENCH_MODE=quick bash bench/run.sh       # quick: 3 rounds, 64 MiB blobs, 3 s loads (for trying things; ~4 minutes)
#   BENCH_ONLY="start push" bash bench/run.sh   # only some scenarios (names below)
#
# Scenarios (each run BENCH_REPEAT times, servers alternating who goes first; the table shows medians and ranges):
#   start  (s) cold start: ms from process start to the first answer on /v2/, with a new and with an existing data
#              folder, and the idle memory (RSS, PSS, anonymous) 2 s later; the same for an empty ASP.NET Core app
#              (bench/EmptyAspNet, the runtime's own cost) with Bollard's runtime settings
#   push   (a) monolithic push of a BENCH_BLOB_MB MiB blob: POST, then one PUT ?digest= carrying the whole blob
#          (a') the same as one POST ?digest= (Bollard only: docker-registry 2.8 does not do single-request uploads)
#   chunked (b) chunked push of a BENCH_CHUNKED_MB MiB blob in BENCH_CHUNK_MB MiB PATCH chunks
#   pull   (c) pull of the blob pushed in (a), from the page cache (needs push)
#   skopeo (e) skopeo copy of a BENCH_LAYERS-layer image (BENCH_LAYER_MB MiB of random data per layer) in, then out
#   manifest (d) manifest GET by tag, BENCH_LOAD_CONNECTIONS connections for BENCH_LOAD_SECONDS s (needs skopeo)
#   quiet  (d') manifest GET with request logging off in both servers (needs skopeo)
#   auth   (d'') manifest GET against Bollard with access control on, and (g) the token issue rate (needs skopeo)
#   metrics (h) manifest GET against Bollard with metrics on vs off, logging off: the cost of counting requests (needs skopeo)
#   limits machine limits measured in the same run: fsync'd disk writes, page-cache writes and reads, loopback
#          TCP, SHA-256 (openssl, .NET, sha256sum)
#   (f) peak RSS (VmHWM) of each server over the whole run is always recorded.
# Every round also records the load average and the free memory (MemFree, MemAvailable) when it starts: the
# machine may be shared, and page-cache allocation (most of a push's CPU) depends on free memory.
# Every ratio is printed as Bollard/docker-registry; for "higher is better" figures a ratio above 1 favours
# Bollard, for "lower is better" figures a ratio below 1 does.
# Speeds are MB/s = 10^6 bytes/s; sizes are MiB.
# Both servers run without access control (docker-registry's htpasswd would bcrypt every request; its token
# auth needs an outside token server), so the figures compare the registries, not their auth.
#
# Knobs (full / quick defaults): BENCH_REPEAT (7 / 3), BENCH_BLOB_MB (1024 / 64), BENCH_CHUNKED_MB (256 / 32),
# BENCH_CHUNK_MB (8), BENCH_LAYERS (20), BENCH_LAYER_MB (8 / 1), BENCH_LOAD_CONNECTIONS (32),
# BENCH_LOAD_SECONDS (20 / 3), BENCH_LOAD_THREADS (2), BENCH_DD_MB (= BENCH_BLOB_MB),
# BENCH_ONLY (all scenarios), BENCH_BOLLARD_ENV ("NAME=VALUE ..." set for the Bollard processes only, e.g.
# DOTNET_GCgen0size=0x400000 to try a runtime knob), BENCH_START_CWD (the working directory of the cold starts;
# default the work folder), BENCH_BOLLARD_BUILD (r2r: `dotnet publish` ReadyToRun, framework-dependent, as
# installed; build: the plain `dotnet build` output), BENCH_WORKDIR (a folder on the disk under test; default a
# new one in /var/tmp), BENCH_KEEP=1 keeps it, BENCH_BOLLARD_DIR (run a prebuilt Bollard folder instead of
# building src/, for before/after comparisons), BENCH_RESULTS (path of the raw results file).
# Results: bench/out/results-TIMESTAMP.tsv (raw) and bench/out/summary-TIMESTAMP.md (the tables).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

MODE=${BENCH_MODE:-full}
case "$MODE" in
  full) d_repeat=7 d_blob=1024 d_chunked=256 d_layer=8 d_load=20 ;;
  quick) d_repeat=3 d_blob=64 d_chunked=32 d_layer=1 d_load=3 ;;
  *) echo "BENCH_MODE must be full or quick, not '$MODE'" >&2; exit 2 ;;
esac
BLOB_MB=${BENCH_BLOB_MB:-$d_blob}
CHUNKED_MB=${BENCH_CHUNKED_MB:-$d_chunked}
CHUNK_MB=${BENCH_CHUNK_MB:-8}
LOAD_SECONDS=${BENCH_LOAD_SECONDS:-$d_load}
LOAD_CONNECTIONS=${BENCH_LOAD_CONNECTIONS:-32}
LOAD_THREADS=${BENCH_LOAD_THREADS:-2}
LAYERS=${BENCH_LAYERS:-20}
LAYER_MB=${BENCH_LAYER_MB:-$d_layer}
REPEAT=${BENCH_REPEAT:-$d_repeat}
DD_MB=${BENCH_DD_MB:-$BLOB_MB}
BUILD_KIND=${BENCH_BOLLARD_BUILD:-r2r}
BOLLARD_ENV=${BENCH_BOLLARD_ENV:-}
ONLY=" ${BENCH_ONLY:-start push chunked pull skopeo manifest quiet auth metrics limits} "
# what a scenario needs: the pull reads the blob of (a); the manifest loads read the image of (e)
[[ "$ONLY" == *" pull "* ]] && ONLY+="push "
[[ "$ONLY" == *" manifest "* || "$ONLY" == *" quiet "* || "$ONLY" == *" auth "* || "$ONLY" == *" metrics "* ]] && ONLY+="skopeo "
want() { [[ "$ONLY" == *" $1 "* ]]; }
# BENCH_QUIET_LOAD=0 / BENCH_AUTH_LOAD=0 (older knobs) still turn (d') and (d'') off
QUIET_LOAD=${BENCH_QUIET_LOAD:-1}; want quiet || QUIET_LOAD=0
AUTH_LOAD=${BENCH_AUTH_LOAD:-1}; want auth || AUTH_LOAD=0
METRICS_LOAD=1; want metrics || METRICS_LOAD=0

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

# ---- tools ----
need=()
command -v docker-registry >/dev/null 2>&1 || need+=(docker-registry)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v umoci >/dev/null 2>&1 || need+=(umoci)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v curl >/dev/null 2>&1 || need+=(curl)
command -v jq >/dev/null 2>&1 || need+=(jq)
if ((${#need[@]})); then
  log "installing: ${need[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v dotnet >/dev/null 2>&1 || die "dotnet (SDK 10) is not on PATH"

# ---- work folder, results ----
STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$ROOT/bench/out"
RESULTS=${BENCH_RESULTS:-$ROOT/bench/out/results-$STAMP.tsv}
SUMMARY=${RESULTS%.tsv}.md; SUMMARY=${SUMMARY/results-/summary-}
WORK=${BENCH_WORKDIR:-$(mktemp -d /var/tmp/bollard-bench.XXXXXX)}
mkdir -p "$WORK"
BOLLARD_PID=""; REGISTRY_PID=""
cleanup() {
  for pid in $BOLLARD_PID $REGISTRY_PID; do kill "$pid" 2>/dev/null || true; done
  for pid in $BOLLARD_PID $REGISTRY_PID; do wait "$pid" 2>/dev/null || true; done
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
printf '# scenario\tmetric\tunit\tbetter\tserver\titeration\tvalue\n' >"$RESULTS"
record() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"; }
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"; }
now() { date +%s.%N; }
meminfo() { awk -v k="$1:" '$1 == k { printf "%.0f", $2 / 1024 }' /proc/meminfo; }
load1() { cut -d' ' -f1 /proc/loadavg; }
conditions() { # round: what the machine was doing when the round started
  record "conditions: load average (1 min) at the start of the round" load 1-min lower machine "$1" "$(load1)"
  record "conditions: free memory (MemFree) at the start of the round" memory MiB higher machine "$1" "$(meminfo MemFree)"
  record "conditions: available memory (MemAvailable) at the start of the round" memory MiB higher machine "$1" "$(meminfo MemAvailable)"
}
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }

# ---- build (then run from a private copy, so a concurrent rebuild of src/ cannot swap dlls under us) ----
log "building Bollard and the benchmark client (Release)"
if [ -n "${BENCH_BOLLARD_DIR:-}" ]; then
  # A prebuilt Bollard (e.g. a copy of an older bin/Release/net10.0) for before/after comparisons.
  [ -f "$BENCH_BOLLARD_DIR/bollard.dll" ] || die "BENCH_BOLLARD_DIR=$BENCH_BOLLARD_DIR has no bollard.dll"
  cp -r "$BENCH_BOLLARD_DIR" "$WORK/bollard-bin"
elif [ "$BUILD_KIND" = r2r ]; then
  # What an installed bollard is: framework-dependent, ReadyToRun (docs/install: dotnet publish ... ReadyToRun)
  dotnet publish src/Bollard/Bollard.csproj -c Release -r linux-x64 -p:PublishReadyToRun=true --self-contained false \
    -o "$WORK/bollard-bin" -nologo -v q -clp:ErrorsOnly >/dev/null || die "dotnet publish src/Bollard (ReadyToRun)"
elif [ "$BUILD_KIND" = build ]; then
  dotnet build src/Bollard/Bollard.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null || die "dotnet build src/Bollard"
  cp -r src/Bollard/bin/Release/net10.0 "$WORK/bollard-bin"
else
  die "BENCH_BOLLARD_BUILD must be r2r or build, not '$BUILD_KIND'"
fi
dotnet build bench/Bollard.Benchmarks/Bollard.Benchmarks.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null || die "dotnet build bench/Bollard.Benchmarks"
cp -r bench/Bollard.Benchmarks/bin/Release/net10.0 "$WORK/bench-bin"
if want start; then
  dotnet build bench/EmptyAspNet/EmptyAspNet.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null || die "dotnet build bench/EmptyAspNet"
  cp -r bench/EmptyAspNet/bin/Release/net10.0 "$WORK/empty-bin"
fi
bench() { dotnet "$WORK/bench-bin/bollard-bench.dll" "$@"; }

# ---- machine ----
{
  echo "## Machine"
  echo
  if [ -n "${BENCH_BOLLARD_DIR:-}" ]; then built="prebuilt Bollard from $BENCH_BOLLARD_DIR"
  else built="Bollard ($BUILD_KIND) from commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src 2>/dev/null || echo ' + uncommitted changes in src/')"; fi
  echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); $built"
  echo "- nproc: $(nproc); CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1); $(grep -qw sha_ni /proc/cpuinfo && echo 'SHA-NI: yes' || echo 'SHA-NI: no')"
  echo "- memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  dev=$(df --output=source "$WORK" | tail -1)
  echo "- disk: $dev ($(df --output=fstype "$WORK" | tail -1), $(findmnt -no OPTIONS --target "$WORK" 2>/dev/null | cut -c1-60)); work folder $WORK"
  echo "- dotnet $(dotnet --version); $(docker-registry --version 2>&1 | head -1); $(skopeo --version); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg); free memory: $(meminfo MemFree) MiB, available $(meminfo MemAvailable) MiB"
  echo "- mode: $MODE; scenarios:$ONLY${BOLLARD_ENV:+; Bollard environment: $BOLLARD_ENV}"
  echo "- sizes: blob ${BLOB_MB} MiB, chunked ${CHUNKED_MB} MiB in ${CHUNK_MB} MiB chunks, image ${LAYERS} x ${LAYER_MB} MiB layers, load ${LOAD_CONNECTIONS} connections x ${LOAD_SECONDS} s, ${REPEAT} runs"
  echo
} | tee "$SUMMARY" >&2

dd_mbps() { awk '/copied/ { for (i = 1; i <= NF; i++) if ($i == "s,") s = $(i-1); printf "%.1f", $1 / s / 1e6 }'; }
machine_limits() {
  local i=$1 f="$WORK/dd.bin"
  rm -f "$f"; sync
  record "disk write, O_DIRECT 8 MiB blocks + fsync (dd)" speed MB/s higher machine "$i" "$(dd if=/dev/zero of="$f" bs=8M count=$((DD_MB / 8)) oflag=direct conv=fsync 2>&1 | dd_mbps)"
  rm -f "$f"; sync
  record "buffered write to a new file, no fsync (page-cache allocation, dd)" speed MB/s higher machine "$i" "$(dd if=/dev/zero of="$f" bs=8M count=$((DD_MB / 8)) 2>&1 | dd_mbps)"
  rm -f "$f"; sync
  record "disk write, buffered 8 MiB blocks + fsync at end (dd)" speed MB/s higher machine "$i" "$(dd if=/dev/zero of="$f" bs=8M count=$((DD_MB / 8)) conv=fsync 2>&1 | dd_mbps)"
  cat "$f" >/dev/null
  record "page-cache read, 1 MiB blocks (dd)" speed MB/s higher machine "$i" "$(dd if="$f" of=/dev/null bs=1M 2>&1 | dd_mbps)"
  local t0; t0=$(now); sha256sum "$f" >/dev/null
  record "SHA-256, sha256sum of a cached file (coreutils)" speed MB/s higher machine "$i" "$(awk -v s="$(since "$t0")" -v b=$((DD_MB * 1048576)) 'BEGIN { printf "%.1f", b / s / 1e6 }')"
  rm -f "$f"
  record "SHA-256, openssl speed -evp sha256, 16 KiB blocks, 1 core" speed MB/s higher machine "$i" \
    "$(openssl speed -evp sha256 -bytes 16384 -seconds 3 2>/dev/null | awk '/^sha256/ { v = $NF; sub("k", "", v); printf "%.1f", v * 1000 / 1e6 }')"
  record "SHA-256, .NET IncrementalHash (Bollard's), 1 core" speed MB/s higher machine "$i" "$(kv mbps "$(bench sha256 "$DD_MB")")"
  record "loopback TCP, one stream (.NET sockets)" speed MB/s higher machine "$i" "$(kv mbps "$(bench loopback "$DD_MB")")"
}

# ---- servers ----
BOLLARD_PORT=$(bench free-port)
REGISTRY_PORT=$(bench free-port)
while [ "$REGISTRY_PORT" = "$BOLLARD_PORT" ]; do REGISTRY_PORT=$(bench free-port); done
declare -A URL=([bollard]="http://127.0.0.1:$BOLLARD_PORT" [registry]="http://127.0.0.1:$REGISTRY_PORT")
declare -A HOST=([bollard]="127.0.0.1:$BOLLARD_PORT" [registry]="127.0.0.1:$REGISTRY_PORT")

ADMIN_PASSWORD="bench-$(date +%s)-$RANDOM$RANDOM"
start_bollard() { # $1: log level of request lines (Information = default; Warning = off); $2: access control on (true/false)
  # shellcheck disable=SC2086 # BENCH_BOLLARD_ENV is a list of NAME=VALUE words
  env $BOLLARD_ENV BOLLARD__Logging__LogLevel__Default=$1 BOLLARD__Auth__Enabled=${2:-false} BOLLARD__Metrics__Enabled=${BOLLARD_METRICS:-true} BOLLARD_ADMIN_PASSWORD=$ADMIN_PASSWORD dotnet "$WORK/bollard-bin/bollard.dll" serve \
    --listen "127.0.0.1:$BOLLARD_PORT" --data "$WORK/bollard-data" >>"$WORK/bollard.log" 2>&1 &
  BOLLARD_PID=$!; PIDOF[bollard]=$BOLLARD_PID
  bench wait-http "${URL[bollard]}/v2/" 60 || { tail -20 "$WORK/bollard.log" >&2; die "Bollard did not start"; }
}
registry_config() { # port root-directory log-level (info = default, with access log; warn = access log off)
  local access=false; [ "$3" = info ] || access=true
  cat <<EOF
version: 0.1
log:
  level: $3
  formatter: text
  accesslog:
    disabled: $access
storage:
  filesystem:
    rootdirectory: $2
  cache:
    blobdescriptor: inmemory
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$1
EOF
}
start_registry() { # $1: log level (info = default, with access log; warn = access log off)
  registry_config "$REGISTRY_PORT" "$WORK/registry-data" "$1" >"$WORK/registry.yml"
  docker-registry serve "$WORK/registry.yml" >>"$WORK/registry.log" 2>&1 &
  REGISTRY_PID=$!; PIDOF[registry]=$REGISTRY_PID
  bench wait-http "${URL[registry]}/v2/" 60 || { tail -20 "$WORK/registry.log" >&2; die "docker-registry did not start"; }
}
stop_servers() {
  kill "$BOLLARD_PID" "$REGISTRY_PID" 2>/dev/null || true
  wait "$BOLLARD_PID" 2>/dev/null || true; wait "$REGISTRY_PID" 2>/dev/null || true
  BOLLARD_PID=""; REGISTRY_PID=""
}
TICK=$(getconf CLK_TCK)
declare -A PIDOF
cpu() { awk '{ print $14 + $15 }' "/proc/${PIDOF[$1]}/stat"; }   # user + system clock ticks of a server
cpu_since() { awk -v a="$2" -v b="$(cpu "$1")" -v t="$TICK" 'BEGIN { printf "%.2f", (b - a) / t }'; }
vm() { awk -v k="$2:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

cat >"$WORK/accept.lua" <<'EOF'
wrk.method = "GET"
wrk.headers["Accept"] = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json"
EOF

# ---- scenarios (one server each call) ----
push_mono() { # server iteration seed [single-post]
  local out; out=$(bench push-mono "${URL[$1]}" bench/mono "$BLOB_MB" "$3" ${4:-}) || die "$1 push-mono"
  echo "$out"
}
manifest_load() { # server iteration repo label [lua script]
  local f="$WORK/wrk-$1-$2-$4.txt" c0; c0=$(cpu "$1")
  wrk -t"$LOAD_THREADS" -c"$LOAD_CONNECTIONS" -d"${LOAD_SECONDS}s" --latency -s "${5:-$WORK/accept.lua}" "${URL[$1]}/v2/$3/manifests/v1" >"$f" 2>&1 || die "$1 wrk: $(cat "$f")"
  local r; r=$(bench parse-wrk "$f") || die "$1 wrk output: $(cat "$f")"
  r="$r cpu_us=$(awk -v c="$(cpu_since "$1" "$c0")" -v n="$(kv requests "$r")" 'BEGIN { printf "%.0f", c * 1e6 / n }')"
  [ "$(kv non2xx "$r")" = 0 ] && [ "$(kv socket_errors "$r")" = 0 ] || die "$1 manifest GET had errors: $r"
  log "  $1 (d) manifest GET $4: $r"
  echo "$r"
}

token_load() { # iteration: GET /auth/token with Basic credentials (verified logins are cached for a minute)
  local f="$WORK/wrk-token-$1.txt" c0; c0=$(cpu bollard)
  printf 'wrk.headers["Authorization"] = "Basic %s"\n' "$(printf 'admin:%s' "$ADMIN_PASSWORD" | base64 -w0)" >"$WORK/token.lua"
  wrk -t"$LOAD_THREADS" -c"$LOAD_CONNECTIONS" -d"${LOAD_SECONDS}s" --latency -s "$WORK/token.lua" \
    "${URL[bollard]}/auth/token?service=bollard&scope=repository:bench/img-1:pull,push" >"$f" 2>&1 || die "token wrk: $(cat "$f")"
  local r; r=$(bench parse-wrk "$f") || die "token wrk output: $(cat "$f")"
  r="$r cpu_us=$(awk -v c="$(cpu_since bollard "$c0")" -v n="$(kv requests "$r")" 'BEGIN { printf "%.0f", c * 1e6 / n }')"
  [ "$(kv non2xx "$r")" = 0 ] && [ "$(kv socket_errors "$r")" = 0 ] || die "token issue had errors: $r"
  log "  bollard (g) token issue: $r"
  echo "$r"
}

START_CWD=${BENCH_START_CWD:-$WORK}
start_once() { # server (bollard|registry|empty-aspnet) kind (new|existing) round: one cold start, recorded
  local port out data; port=$(bench free-port)
  case "$1" in
    bollard)
      data="$WORK/start-bollard-$3"; [ "$2" = new ] && rm -rf "$data"
      # shellcheck disable=SC2086
      out=$(cd "$START_CWD" && BOLLARD_ADMIN_PASSWORD=$ADMIN_PASSWORD bench start-time "$port" /v2/ 2 -- \
        env $BOLLARD_ENV dotnet "$WORK/bollard-bin/bollard.dll" serve --listen "127.0.0.1:$port" --data "$data") || die "bollard start-time" ;;
    registry)
      data="$WORK/start-registry-$3"; [ "$2" = new ] && rm -rf "$data"
      registry_config "$port" "$data" info >"$WORK/start-registry.yml"
      out=$(cd "$START_CWD" && bench start-time "$port" /v2/ 2 -- docker-registry serve "$WORK/start-registry.yml") || die "docker-registry start-time" ;;
    empty-aspnet)
      out=$(cd "$START_CWD" && bench start-time "$port" /v2/ 2 -- dotnet "$WORK/empty-bin/empty-aspnet.dll" "$port") || die "empty-aspnet start-time" ;;
  esac
  log "  $1 (s) start, $2 data folder: $out"
  local sc="(s) cold start, $2 data folder"
  [ "$2" = existing ] && sc="(s) cold start, existing data folder (empty ASP.NET Core app: no data)"
  record "$sc" "process start to first /v2/ answer" ms lower "$1" "$3" "$(kv first_answer_ms "$out")"
  record "$sc" "CPU until the first answer, user+sys" s lower "$1" "$3" "$(kv cpu_to_answer_s "$out")"
  if [ "$2" = existing ]; then
    record "(s) idle memory 2 s after the first answer" "RSS (VmRSS)" MiB lower "$1" "$3" "$(kv idle_rss_mib "$out")"
    record "(s) idle memory 2 s after the first answer" "PSS (smaps_rollup)" MiB lower "$1" "$3" "$(kv idle_pss_mib "$out")"
    record "(s) idle memory 2 s after the first answer" "anonymous (smaps_rollup)" MiB lower "$1" "$3" "$(kv idle_anon_mib "$out")"
  fi
}

if want limits; then
  log "machine limits, run 1"
  machine_limits 1
fi

if want start; then
  log "cold start and idle memory, $REPEAT rounds (working directory $START_CWD)"
  for ((i = 1; i <= REPEAT; i++)); do
    if ((i % 2)); then order=(bollard registry empty-aspnet); else order=(empty-aspnet registry bollard); fi
    for s in "${order[@]}"; do
      [ "$s" = empty-aspnet ] || start_once "$s" new "$i"
      start_once "$s" existing "$i"
    done
  done
fi

finish() { # the tables, from the raw results
  {
    echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg); free memory: $(meminfo MemFree) MiB, available $(meminfo MemAvailable) MiB"
    echo
    echo "## Results (medians of $REPEAT rounds, min-max in brackets)"
    echo
    bench summarize "$RESULTS"
  } | tee -a "$SUMMARY"
  log "raw results: $RESULTS"
  log "summary:     $SUMMARY"
}
if ! { want push || want chunked || want pull || want skopeo; }; then finish; exit 0; fi

log "starting Bollard on ${HOST[bollard]} and docker-registry on ${HOST[registry]}"
start_bollard Information
start_registry info

log "warm-up (JIT, connections, caches; not recorded)"
bench make-image "$WORK/images/img-0" v1 "$LAYERS" 1 3000 >/dev/null
umoci stat --image "$WORK/images/img-0:v1" >/dev/null || die "umoci does not accept the generated image layout"
for s in bollard registry; do
  w=$(bench push-mono "${URL[$s]}" bench/warm 64 9001) || die "$s warm-up push"
  bench push-chunked "${URL[$s]}" bench/warm 64 "$CHUNK_MB" 9002 >/dev/null || die "$s warm-up chunked push"
  bench pull "${URL[$s]}" bench/warm "$(kv digest "$w")" >/dev/null || die "$s warm-up pull"
  skopeo copy --quiet --dest-tls-verify=false "oci:$WORK/images/img-0:v1" "docker://${HOST[$s]}/bench/img-0:v1" >/dev/null || die "$s warm-up skopeo"
  wrk -t"$LOAD_THREADS" -c"$LOAD_CONNECTIONS" -d3s -s "$WORK/accept.lua" "${URL[$s]}/v2/bench/img-0/manifests/v1" >/dev/null
done

for ((i = 1; i <= REPEAT; i++)); do
  if ((i % 2)); then order=(bollard registry); else order=(registry bollard); fi
  log "run $i of $REPEAT (order: ${order[*]}; load average $(cut -d' ' -f1-3 /proc/loadavg); free memory $(meminfo MemFree) MiB)"
  conditions "$i"
  if want limits && ((i > 1)); then machine_limits "$i"; fi
  declare -A DIGEST=()
  if want push; then
    for s in "${order[@]}"; do
      sync
      c0=$(cpu "$s")
      out=$(push_mono "$s" "$i" $((1000 + i)))
      c=$(cpu_since "$s" "$c0")
      DIGEST[$s]=$(kv digest "$out")
      log "  $s (a) monolithic push ${BLOB_MB} MiB: $out server_cpu=${c}s"
      record "(a) monolithic push ${BLOB_MB} MiB (POST + PUT)" throughput MB/s higher "$s" "$i" "$(kv mbps "$out")"
      record "(a) monolithic push ${BLOB_MB} MiB (POST + PUT)" "server CPU, user+sys" s lower "$s" "$i" "$c"
    done
    sync
    out=$(push_mono bollard "$i" $((5000 + i)) single-post)
    log "  bollard (a') single-POST push ${BLOB_MB} MiB: $out"
    record "(a') monolithic push ${BLOB_MB} MiB (one POST ?digest=)" throughput MB/s higher bollard "$i" "$(kv mbps "$out")"
  fi
  if want chunked; then
    for s in "${order[@]}"; do
      sync
      c0=$(cpu "$s")
      out=$(bench push-chunked "${URL[$s]}" bench/chunked "$CHUNKED_MB" "$CHUNK_MB" $((2000 + i))) || die "$s push-chunked"
      c=$(cpu_since "$s" "$c0")
      log "  $s (b) chunked push ${CHUNKED_MB} MiB: $out server_cpu=${c}s"
      record "(b) chunked push ${CHUNKED_MB} MiB in ${CHUNK_MB} MiB PATCHes" throughput MB/s higher "$s" "$i" "$(kv mbps "$out")"
      record "(b) chunked push ${CHUNKED_MB} MiB in ${CHUNK_MB} MiB PATCHes" "server CPU, user+sys" s lower "$s" "$i" "$c"
    done
  fi
  if want pull; then
    for s in "${order[@]}"; do
      c0=$(cpu "$s")
      out=$(bench pull "${URL[$s]}" bench/mono "${DIGEST[$s]}") || die "$s pull"
      c=$(cpu_since "$s" "$c0")
      log "  $s (c) pull ${BLOB_MB} MiB: $out server_cpu=${c}s"
      record "(c) pull ${BLOB_MB} MiB blob (page cache)" throughput MB/s higher "$s" "$i" "$(kv mbps "$out")"
      record "(c) pull ${BLOB_MB} MiB blob (page cache)" "server CPU, user+sys" s lower "$s" "$i" "$c"
    done
  fi
  if want skopeo; then
    img="$WORK/images/img-$i"
    bench make-image "$img" v1 "$LAYERS" "$LAYER_MB" $((3000 + i)) >/dev/null
    for s in "${order[@]}"; do
      sync
      t0=$(now); c0=$(cpu "$s")
      skopeo copy --quiet --dest-tls-verify=false "oci:$img:v1" "docker://${HOST[$s]}/bench/img-$i:v1" >/dev/null || die "$s skopeo copy in"
      tin=$(since "$t0"); cin=$(cpu_since "$s" "$c0")
      rm -rf "$WORK/pull-$s"
      t0=$(now); c0=$(cpu "$s")
      skopeo copy --quiet --src-tls-verify=false "docker://${HOST[$s]}/bench/img-$i:v1" "oci:$WORK/pull-$s:v1" >/dev/null || die "$s skopeo copy out"
      tout=$(since "$t0"); cout=$(cpu_since "$s" "$c0")
      rm -rf "$WORK/pull-$s"
      log "  $s (e) skopeo copy ${LAYERS} layers: in ${tin}s (server_cpu=${cin}s), out ${tout}s (server_cpu=${cout}s)"
      record "(e) skopeo copy in (push), ${LAYERS} x ${LAYER_MB} MiB layers" time s lower "$s" "$i" "$tin"
      record "(e) skopeo copy in (push), ${LAYERS} x ${LAYER_MB} MiB layers" "server CPU, user+sys" s lower "$s" "$i" "$cin"
      record "(e) skopeo copy out (pull), ${LAYERS} x ${LAYER_MB} MiB layers" time s lower "$s" "$i" "$tout"
      record "(e) skopeo copy out (pull), ${LAYERS} x ${LAYER_MB} MiB layers" "server CPU, user+sys" s lower "$s" "$i" "$cout"
    done
    rm -rf "$img"
  fi
  if want manifest; then
    for s in "${order[@]}"; do
      r=$(manifest_load "$s" "$i" "bench/img-$i" logged)
      record "(d) manifest GET by tag, ${LOAD_CONNECTIONS} connections, ${LOAD_SECONDS} s" requests/s req/s higher "$s" "$i" "$(kv rps "$r")"
      record "(d) manifest GET by tag, ${LOAD_CONNECTIONS} connections, ${LOAD_SECONDS} s" "p99 latency" ms lower "$s" "$i" "$(kv p99ms "$r")"
      record "(d) manifest GET by tag, ${LOAD_CONNECTIONS} connections, ${LOAD_SECONDS} s" "p50 latency" ms lower "$s" "$i" "$(kv p50ms "$r")"
      record "(d) manifest GET by tag, ${LOAD_CONNECTIONS} connections, ${LOAD_SECONDS} s" "server CPU per request" us lower "$s" "$i" "$(kv cpu_us "$r")"
    done
  fi
done

for s in bollard registry; do
  pid=BOLLARD_PID; [ "$s" = registry ] && pid=REGISTRY_PID
  record "(f) peak RSS over the run (VmHWM)" "peak RSS" MiB lower "$s" 1 "$(vm "${!pid}" VmHWM)"
  record "(f) RSS at the end of the run (VmRSS)" RSS MiB lower "$s" 1 "$(vm "${!pid}" VmRSS)"
  # VmRSS counts shared, clean file pages (the runtime's and ASP.NET's dlls, the Go binary) in full:
  # the anonymous part is the process's own heap, stacks and JIT data.
  record "(f) RSS at the end: anonymous memory (smaps_rollup)" RSS MiB lower "$s" 1 "$(awk '$1 == "Anonymous:" { printf "%.1f", $2 / 1024 }' "/proc/${!pid}/smaps_rollup")"
  record "(f) RSS at the end: proportional set size (smaps_rollup Pss)" RSS MiB lower "$s" 1 "$(awk '$1 == "Pss:" { printf "%.1f", $2 / 1024 }' "/proc/${!pid}/smaps_rollup")"
done

if [ "$QUIET_LOAD" = 1 ]; then
  log "(d') manifest GET again with request logging off in both servers (restart)"
  stop_servers
  start_bollard Warning
  start_registry warn
  for s in bollard registry; do wrk -t"$LOAD_THREADS" -c"$LOAD_CONNECTIONS" -d3s -s "$WORK/accept.lua" "${URL[$s]}/v2/bench/img-1/manifests/v1" >/dev/null; done
  for ((i = 1; i <= REPEAT; i++)); do
    if ((i % 2)); then order=(bollard registry); else order=(registry bollard); fi
    for s in "${order[@]}"; do
      r=$(manifest_load "$s" "$i" bench/img-1 quiet)
      record "(d') manifest GET, request logging off, ${LOAD_CONNECTIONS} connections" requests/s req/s higher "$s" "$i" "$(kv rps "$r")"
      record "(d') manifest GET, request logging off, ${LOAD_CONNECTIONS} connections" "p99 latency" ms lower "$s" "$i" "$(kv p99ms "$r")"
      record "(d') manifest GET, request logging off, ${LOAD_CONNECTIONS} connections" "server CPU per request" us lower "$s" "$i" "$(kv cpu_us "$r")"
    done
  done
fi
if [ "$AUTH_LOAD" = 1 ]; then
  log "(d'') manifest GET with Bollard's access control on: a bearer token (ES256 JWT) checked on every request"
  stop_servers
  start_bollard Warning true
  auth_lua() { # a fresh token (5 minutes) for each run
    local token
    token=$(curl -fsS -u "admin:$ADMIN_PASSWORD" "${URL[bollard]}/auth/token?service=bollard&scope=repository:bench/img-1:pull" | jq -r .token) || die "no token from /auth/token"
    { cat "$WORK/accept.lua"; echo "wrk.headers[\"Authorization\"] = \"Bearer $token\""; } >"$WORK/auth.lua"
    echo "$WORK/auth.lua"
  }
  wrk -t"$LOAD_THREADS" -c"$LOAD_CONNECTIONS" -d3s -s "$(auth_lua)" "${URL[bollard]}/v2/bench/img-1/manifests/v1" >/dev/null
  for ((i = 1; i <= REPEAT; i++)); do
    r=$(manifest_load bollard "$i" bench/img-1 auth "$(auth_lua)")
    record "(d'') manifest GET, access control on (bearer token), logging off" requests/s req/s higher bollard "$i" "$(kv rps "$r")"
    record "(d'') manifest GET, access control on (bearer token), logging off" "p99 latency" ms lower bollard "$i" "$(kv p99ms "$r")"
    record "(d'') manifest GET, access control on (bearer token), logging off" "server CPU per request" us lower bollard "$i" "$(kv cpu_us "$r")"
  done
  log "(g) token issue rate: GET /auth/token (Basic credentials, ES256 signing) with ${LOAD_CONNECTIONS} connections"
  for ((i = 1; i <= REPEAT; i++)); do
    r=$(token_load "$i")
    record "(g) token issue, GET /auth/token, ${LOAD_CONNECTIONS} connections" tokens/s req/s higher bollard "$i" "$(kv rps "$r")"
    record "(g) token issue, GET /auth/token, ${LOAD_CONNECTIONS} connections" "p99 latency" ms lower bollard "$i" "$(kv p99ms "$r")"
    record "(g) token issue, GET /auth/token, ${LOAD_CONNECTIONS} connections" "server CPU per request" us lower bollard "$i" "$(kv cpu_us "$r")"
  done
fi
if [ "$METRICS_LOAD" = 1 ]; then
  log "(h) metrics overhead: manifest GET against Bollard with Metrics:Enabled true vs false, request logging off (a restart per run)"
  declare -A RPS
  for ((i = 1; i <= REPEAT; i++)); do
    if ((i % 2)); then modes=(true false); else modes=(false true); fi
    for m in "${modes[@]}"; do
      stop_servers
      BOLLARD_METRICS=$m start_bollard Warning
      wrk -t"$LOAD_THREADS" -c"$LOAD_CONNECTIONS" -d3s -s "$WORK/accept.lua" "${URL[bollard]}/v2/bench/img-1/manifests/v1" >/dev/null
      r=$(manifest_load bollard "$i" bench/img-1 "metrics=$m")
      RPS[$m]=$(kv rps "$r")
      record "(h) manifest GET, logging off, Metrics:Enabled=$m" requests/s req/s higher bollard "$i" "${RPS[$m]}"
      record "(h) manifest GET, logging off, Metrics:Enabled=$m" "p99 latency" ms lower bollard "$i" "$(kv p99ms "$r")"
      record "(h) manifest GET, logging off, Metrics:Enabled=$m" "server CPU per request" us lower bollard "$i" "$(kv cpu_us "$r")"
    done
    ratio=$(awk -v a="${RPS[true]}" -v b="${RPS[false]}" 'BEGIN { printf "%.3f", a / b }')
    log "  (h) round $i: req/s with metrics / without = $ratio"
    record "(h) metrics overhead: req/s with metrics / req/s without (1.00 = no cost)" ratio x higher bollard "$i" "$ratio"
  done
fi
stop_servers
finish
