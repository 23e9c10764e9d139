#!/usr/bin/env bash
# The CPU floor of a mirror miss (issue 10, bench/README.md#mirror): what a direct pull of one blob from docker-registry
# costs the upstream and the client in CPU seconds, and what the work a miss must add at the least (one SHA-256 of the
# bytes and one write of them into the spool) costs on this machine. CPU seconds, not wall time, so that the figures
# hold while other processes run; with them one can say whether "miss overhead < 10%" is reachable on this many cores.
# Usage: bench/mirror-floor.sh [MIB]   (default 256; 3 repetitions of each step, every figure printed)
set -euo pipefail
MIB=${1:-256}
command -v docker-registry >/dev/null 2>&1 || { echo "mirror-floor: needs docker-registry (apt-get install docker-registry)" >&2; exit 2; }
work=$(mktemp -d /tmp/bollard-mirror-floor-XXXXXX)
registry_pid=""
cleanup() { [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
echo "mirror-floor: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), ${MIB} MiB"

# CPU seconds (user+system) a command takes, from its own rusage (children included).
cpu_of() { /usr/bin/time -f '%U %S' -o "$work/t" "$@" >/dev/null 2>&1; awk '{ printf "%.2f (user %.2f, sys %.2f)", $1 + $2, $1, $2 }' "$work/t"; }
# CPU seconds of a running process so far, from /proc/PID/stat (utime + stime, in clock ticks).
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); split($0, f, " "); printf "%.2f", (f[12] + f[13]) / hz }' "/proc/$1/stat"; }

blob="$work/blob"
head -c $((MIB * 1024 * 1024)) /dev/urandom > "$blob"
digest="sha256:$(sha256sum "$blob" | cut -d' ' -f1)"
cat "$blob" > /dev/null # in the page cache, as a blob just received is

for i in 1 2 3; do echo "sha256 of ${MIB} MiB (openssl, as .NET's SHA-256 on Linux):  $(cpu_of openssl dgst -sha256 "$blob") s"; done
for i in 1 2 3; do
  rm -f "$work/spool"
  echo "one write of ${MIB} MiB into the page cache (dd bs=1M from /dev/zero): $(cpu_of dd if=/dev/zero of="$work/spool" bs=1M count="$MIB") s"
done
for i in 1 2 3; do echo "one read of ${MIB} MiB from the page cache (dd bs=1M to /dev/null):   $(cpu_of dd if="$blob" of=/dev/null bs=1M) s"; done
rm -f "$work/spool"

# The direct pull: docker-registry serves the file (Go's sendfile), curl receives it.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' "$work/registry" "$port" > "$work/config.yml"
docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
location=$(curl -fsS -D - -o /dev/null -X POST "http://127.0.0.1:$port/v2/floor/blobs/uploads/" | tr -d '\r' | awk 'tolower($1) == "location:" { print $2 }')
case "$location" in http*) ;; *) location="http://127.0.0.1:$port$location" ;; esac
sep='?'; case "$location" in *\?*) sep='&' ;; esac
curl -fsS -X PUT -H 'Content-Type: application/octet-stream' --data-binary @"$blob" "$location${sep}digest=$digest" >/dev/null
url="http://127.0.0.1:$port/v2/floor/blobs/$digest"
curl -fsS -o /dev/null "$url" # warm: the registry's file in the page cache
for i in 1 2 3; do
  before=$(proc_cpu "$registry_pid")
  client=$(cpu_of curl -fsS -o /dev/null "$url")
  after=$(proc_cpu "$registry_pid")
  echo "direct pull of ${MIB} MiB: docker-registry $(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }') s, client (curl -o /dev/null) $client s"
done
for i in 1 2 3; do
  before=$(proc_cpu "$registry_pid")
  client=$(cpu_of sh -c "curl -fsS '$url' | openssl dgst -sha256")
  after=$(proc_cpu "$registry_pid")
  echo "direct pull hashed by the client (curl | openssl dgst): docker-registry $(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a - b }') s, client $client s"
done
