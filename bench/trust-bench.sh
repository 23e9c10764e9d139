#!/usr/bin/env bash
# Trust bench (issue 9, bench/README.md#trust): signature verification ops/s (cosign, Sigstore bundle, Notation JWS;
# one thread, median of 5 rounds of 2 s) and admission decisions/s with p50/p99 for a Deployment of 8 containers under
# an enforcing policy requiring allOf 5 keys, cached and uncached, against a real `bollard serve` over loopback HTTP.
# Usage: bench/trust-bench.sh [verify|admission]   (no argument: both, in one run)
set -euo pipefail
cd "$(dirname "$0")/.."
WHAT=${1:-all}
case "$WHAT" in verify|admission|all) ;; *) echo "usage: $0 [verify|admission]" >&2; exit 2 ;; esac
echo "trust-bench $WHAT: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
dotnet build bench/Bollard.TrustBench/Bollard.TrustBench.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
BOLLARD_DLL=
if [ "$WHAT" != verify ]; then
  dotnet build src/Bollard/Bollard.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
  BOLLARD_DLL=$(ls src/Bollard/bin/Release/net10.0/bollard.dll)
fi
exec dotnet bench/Bollard.TrustBench/bin/Release/net10.0/trust-bench.dll "$WHAT" $BOLLARD_DLL
