#!/usr/bin/env bash
# Makes one real input for the language-analyzer tests with the real tools: make-input.sh KIND OUTDIR.
# The tests call it once per kind and keep OUTDIR in the temp folder (keyed by this script's hash), so a rerun reuses it.
# Tools come from scripts/test.sh on a fresh machine (npm, dotnet, golang-go, default-jdk-headless, binutils, cargo).
set -euo pipefail
kind=$1
out=$2
mkdir -p "$out"
cd "$out"

debian_package() { # apt-get download NAME, then unpack it into root/ (no install, no root needed once the lists exist)
  if ! apt-get download "$1" >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    apt-get download "$1" >/dev/null
  fi
  dpkg-deb -x "$1"_*.deb root
}

case "$kind" in
  npm)
    # the packages issue 8 names, at their known-vulnerable versions
    mkdir project && cd project
    printf '{"name":"bollard-npm-input","version":"1.0.0","private":true}\n' > package.json
    npm install --no-audit --no-fund --loglevel=error lodash@4.17.15 minimist@1.2.0 >/dev/null
    ;;
  dotnet)
    # outside the repository, so its Directory.Build.props (and NuGet audit as errors) do not apply
    mkdir app && cd app
    cat > app.csproj <<'XML'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <NuGetAudit>false</NuGetAudit>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Newtonsoft.Json" Version="12.0.1" />
  </ItemGroup>
</Project>
XML
    echo 'System.Console.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new { ok = true }));' > Program.cs
    dotnet publish -c Release -o ../publish --nologo -v q >/dev/null
    ;;
  python)
    debian_package python3-urllib3    # bookworm: urllib3-1.26.12.egg-info/PKG-INFO
    debian_package python3-packaging  # bookworm: packaging-23.0.dist-info/METADATA
    ;;
  gem)
    debian_package ruby-rack
    ;;
  *)
    echo "unknown input kind: $kind" >&2
    exit 2
    ;;
esac
