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
  yarn|pnpm)
    # the same packages installed by the real Yarn classic / pnpm (from the npm registry, like npm itself), plus a
    # scoped package, so the lock file and node_modules are the tools' own
    mkdir tools && (cd tools && npm install --no-audit --no-fund --loglevel=error yarn@1.22.22 pnpm@9.15.9 >/dev/null)
    mkdir project && cd project
    printf '{"name":"bollard-%s-input","version":"1.0.0","private":true}\n' "$kind" > package.json
    if [ "$kind" = yarn ]; then
      ../tools/node_modules/.bin/yarn add --silent --no-progress lodash@4.17.15 minimist@1.2.0 @types/node@20.11.0 >/dev/null
    else
      ../tools/node_modules/.bin/pnpm add --reporter=silent lodash@4.17.15 minimist@1.2.0 @types/node@20.11.0 >/dev/null
    fi
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
  go)
    # A module with real dependency versions, served from a file GOPROXY (the Go module proxy is not reachable):
    # example.com/greeting v1.2.3; example.com/color v1.0.0 replaced by v1.1.0; example.com/local replaced by ./local.
    proxy="$out/proxy"
    module() { # PATH VERSION PACKAGE-NAME
      local dir="$out/src/$1@$2" name=$3
      mkdir -p "$dir" "$proxy/$1/@v"
      printf 'module %s\n\ngo 1.19\n' "$1" > "$dir/go.mod"
      printf 'package %s\n\nfunc Name() string { return "%s %s" }\n' "$name" "$1" "$2" > "$dir/$name.go"
      cp "$dir/go.mod" "$proxy/$1/@v/$2.mod"
      printf '{"Version":"%s","Time":"2026-01-01T00:00:00Z"}\n' "$2" > "$proxy/$1/@v/$2.info"
      echo "$2" >> "$proxy/$1/@v/list"
      (cd "$out/src" && python3 -c 'import sys, zipfile, os
root = sys.argv[1]
with zipfile.ZipFile(sys.argv[2], "w") as z:
    for f in sorted(os.listdir(root)):
        z.write(os.path.join(root, f), root + "/" + f)' "$1@$2" "$proxy/$1/@v/$2.zip")
    }
    module example.com/greeting v1.2.3 greeting
    module example.com/color v1.0.0 color
    module example.com/color v1.1.0 color
    mkdir -p hello/local
    printf 'module example.com/local\n\ngo 1.19\n' > hello/local/go.mod
    printf 'package local\n\nfunc Name() string { return "local" }\n' > hello/local/local.go
    cat > hello/go.mod <<'MOD'
module example.com/hello

go 1.19

require (
	example.com/color v1.0.0
	example.com/greeting v1.2.3
	example.com/local v0.0.0
)

replace example.com/color v1.0.0 => example.com/color v1.1.0

replace example.com/local => ./local
MOD
    cat > hello/main.go <<'GO'
package main

import (
	"fmt"

	"example.com/color"
	"example.com/greeting"
	"example.com/local"
)

func main() { fmt.Println(greeting.Name(), color.Name(), local.Name()) }
GO
    (cd hello && GOPROXY="file://$proxy" GOFLAGS="-mod=mod -modcacherw" GONOSUMDB='*' GONOSUMCHECK=1 GOSUMDB=off \
      GOMODCACHE="$out/modcache" CGO_ENABLED=0 go build -o ../hello-bin . )
    rm -rf "$out/modcache"
    ;;
  rust)
    # A real Rust binary (rustc) with a real cargo-auditable ".dep-v0" section added by objcopy: cargo-auditable and
    # crates.io are not reachable here, so the section is written in its documented form (zlib-compressed dep-v0 JSON).
    printf 'fn main() { println!("hello"); }\n' > hello.rs
    rustc -O -o hello-plain hello.rs
    cat > deps.json <<'JSON'
{"packages":[{"name":"hello","version":"0.1.0","source":"local","dependencies":[1,2,3],"root":true},{"name":"smallvec","version":"1.6.0","source":"crates.io"},{"name":"regex","version":"1.5.4","source":"crates.io","dependencies":[3]},{"name":"cc","version":"1.0.73","source":"crates.io","kind":"build"}]}
JSON
    python3 -c 'import sys, zlib; sys.stdout.buffer.write(zlib.compress(open("deps.json", "rb").read(), 9))' > deps.zlib
    objcopy --add-section .dep-v0=deps.zlib --set-section-flags .dep-v0=noload,readonly hello-plain hello-auditable
    # corrupt build data: the same binary with a section that is not zlib
    printf 'not zlib at all' > junk.bin
    objcopy --add-section .dep-v0=junk.bin hello-plain hello-corrupt-deps
    ;;
  java)
    # A jar built here (javac + jar) with Maven's pom.properties, Debian's real commons-lang3 jar, both in a war's
    # WEB-INF/lib, the war in an ear; a jar known only by its manifest, one only by its file name; jars nested
    # eight deep; and a jar holding a 100 MiB run of zeros named as a jar (a decompression bomb).
    debian_package libcommons-lang3-java
    cp root/usr/share/java/commons-lang3-3.*.jar .
    mkdir -p hello/com/example hello/META-INF/maven/com.example/hello
    printf 'package com.example;\npublic class Hello { public static void main(String[] a) { System.out.println("hello"); } }\n' > hello/com/example/Hello.java
    javac -d hello hello/com/example/Hello.java && rm hello/com/example/Hello.java
    printf '#Generated by Maven\ngroupId=com.example\nartifactId=hello\nversion=1.0.0\n' > hello/META-INF/maven/com.example/hello/pom.properties
    jar --create --file hello-1.0.0.jar -C hello .
    mkdir -p war/WEB-INF/lib && cp hello-1.0.0.jar commons-lang3-3.*.jar war/WEB-INF/lib/
    printf '<web-app/>\n' > war/WEB-INF/web.xml
    jar --create --file app.war -C war .
    mkdir -p ear/META-INF && cp app.war ear/ && printf '<application/>\n' > ear/META-INF/application.xml
    jar --create --file app.ear -C ear .
    printf 'Implementation-Title: widget\nImplementation-Version: 2.0.1\nImplementation-Vendor-Id: org.example\n' > widget.mf
    mkdir -p empty && jar --create --file widget.jar --manifest=widget.mf -C empty .
    jar --create --file plain-lib-3.4.5.jar -C empty .
    cp hello-1.0.0.jar level8.jar
    for i in 7 6 5 4 3 2 1 0; do
      rm -rf "nest$i" && mkdir "nest$i" && mv "level$((i + 1)).jar" "nest$i/"
      jar --create --file "level$i.jar" -C "nest$i" .
    done
    mkdir -p bomb/lib && head -c 104857600 /dev/zero > bomb/lib/zeros.jar
    jar --create --file bomb.jar -C bomb . && rm -rf bomb
    ;;
  *)
    echo "unknown input kind: $kind" >&2
    exit 2
    ;;
esac
