#!/usr/bin/env bash
# Installs the `bollard` command from this clone: publishes it ReadyToRun (faster start) into
# ~/.local/share/bollard and links ~/.local/bin/bollard (as root: /usr/local/lib/bollard and /usr/local/bin).
# Needs the .NET 10 SDK. Override the folders with BOLLARD_PREFIX and BOLLARD_BINDIR.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ]; then
  prefix=${BOLLARD_PREFIX:-/usr/local/lib/bollard}
  bindir=${BOLLARD_BINDIR:-/usr/local/bin}
else
  prefix=${BOLLARD_PREFIX:-$HOME/.local/share/bollard}
  bindir=${BOLLARD_BINDIR:-$HOME/.local/bin}
fi
case "$(uname -m)" in
  x86_64) rid=linux-x64 ;;
  aarch64 | arm64) rid=linux-arm64 ;;
  *) echo "install.sh: unsupported machine $(uname -m)" >&2; exit 2 ;;
esac

echo "publishing bollard ($rid, ReadyToRun) into $prefix (a minute or two the first time)..."
dotnet publish src/Bollard/Bollard.csproj -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true \
  -o "$prefix" -nologo -v quiet
mkdir -p "$bindir"
ln -sfn "$prefix/bollard" "$bindir/bollard"
"$bindir/bollard" --help >/dev/null
echo "installed $bindir/bollard -> $prefix/bollard"
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) echo "note: $bindir is not on your PATH; add it, e.g.: echo 'export PATH=\"$bindir:\$PATH\"' >> ~/.bashrc && export PATH=\"$bindir:\$PATH\"" ;;
esac
