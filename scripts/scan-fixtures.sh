#!/usr/bin/env bash
# Builds the real images the scanner's end-to-end tests use (issue 8), offline from Debian's archive and the npm and
# NuGet registries, into one OCI image layout made by umoci (a real tool, so layers, whiteouts and history are as
# real images have them). Idempotent: a finished build is reused until this script changes.
#
#   scripts/scan-fixtures.sh [ROOT]   (default: $BOLLARD_SCAN_FIXTURES_ROOT or ~/.cache/bollard/scan-fixtures)
#   prints the folder of the images, ROOT/<hash of this script>
#
# Tags of $OUT/oci (push one with `skopeo copy oci:$OUT/oci:TAG docker://HOST/NAME:TAG`):
#   bookworm             debootstrap --variant=minbase bookworm, one layer
#   bookworm-npm         + a layer /app with lodash@4.17.15 and minimist@1.2.0 installed by npm
#   bookworm-npm-removed + a layer (umoci repack) where npm uninstalls lodash and dpkg purges the package
#                          named in $OUT/removed-deb (whiteouts + a rewritten dpkg status)
#   bookworm-npm-upgraded+ a layer where npm upgrades lodash to 4.17.21 and minimist to 1.2.8
#   dotnet               one layer: a `dotnet publish`ed app whose deps.json references Newtonsoft.Json 12.0.1
#   python               one layer: site-packages of Debian's python3-urllib3 and python3-requests (real dist-info)
#   alpine               one layer: Alpine 3.18.0's lib/apk/db/installed and os-release (vulndata fixture)
#   go                   one layer: a Go binary built here with Debian's golang, depending on golang.org/x/text v0.3.7
#                          (served from a local file GOPROXY, since the Go proxy is not reachable)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
shared="${BOLLARD_SHARED:-$repo/../shared}"
# Each version of this script builds into its own folder (named by the script's hash), under a lock, and publishes it
# with one rename: two checkouts or two concurrent runs never rebuild or half-read each other's images.
root="${1:-${BOLLARD_SCAN_FIXTURES_ROOT:-$HOME/.cache/bollard/scan-fixtures}}"
mkdir -p "$root"
out="$root/$(sha256sum "$0" | cut -c1-16)"
[ -d "$out" ] && { echo "$out"; exit 0; }
exec 9>"$out.lock"
flock 9
[ -d "$out" ] && { echo "$out"; exit 0; }
exec 3>&1 1>&2 # progress and tool output to stderr; stdout is only the folder, for callers
final="$out"; out="$out.building"

for tool in debootstrap umoci go npm dotnet tar; do
  command -v "$tool" >/dev/null || { echo "scan-fixtures: $tool is missing (scripts/test.sh installs it)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "scan-fixtures: debootstrap and umoci unpack need root" >&2; exit 1; }

rm -rf "$out"; mkdir -p "$out"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
oci="$out/oci"
umoci init --layout "$oci"
layer_tar() { # DIR TAR: a layer tar of DIR's content, as GNU tar writes it (numeric owners, sorted, no atime noise)
  tar -C "$1" --numeric-owner --sort=name --mtime='2026-01-01 00:00:00' -cf "$2" .
}
add_layer() { # FROM_TAG NEW_TAG TAR CREATED_BY
  umoci raw add-layer --image "$oci:$1" --tag "$2" --history.created_by "$4" "$3"
}
new_image() { # TAG
  umoci new --image "$oci:$1"
  umoci config --image "$oci:$1" --os linux --architecture amd64
}

echo "scan-fixtures: debootstrap bookworm minbase" >&2
debootstrap --variant=minbase bookworm "$work/rootfs" http://deb.debian.org/debian >"$work/debootstrap.log" 2>&1 \
  || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*
layer_tar "$work/rootfs" "$work/base.tar"
new_image base0
add_layer base0 bookworm "$work/base.tar" "debootstrap --variant=minbase bookworm"

echo "scan-fixtures: npm layer" >&2
mkdir -p "$work/npm/app"
(cd "$work/npm/app" && npm init -y >/dev/null && npm install --no-audit --no-fund lodash@4.17.15 minimist@1.2.0 >/dev/null)
layer_tar "$work/npm" "$work/npm.tar"
add_layer bookworm bookworm-npm "$work/npm.tar" "RUN npm install lodash@4.17.15 minimist@1.2.0"

# The removed image: unpack the real image, delete in its rootfs the way a Dockerfile RUN would, repack (umoci writes
# the whiteouts and the rewritten dpkg status into the new layer).
removed_deb="${SCAN_FIXTURE_REMOVED_DEB:-libgnutls30}"
echo "$removed_deb" >"$out/removed-deb"
echo "scan-fixtures: removed image (lodash and $removed_deb)" >&2
umoci unpack --image "$oci:bookworm-npm" "$work/bundle-removed" >/dev/null
(cd "$work/bundle-removed/rootfs/app" && npm uninstall --no-audit --no-fund lodash >/dev/null)
chroot "$work/bundle-removed/rootfs" dpkg --purge --force-depends --force-remove-essential "$removed_deb" >/dev/null
umoci repack --image "$oci:bookworm-npm-removed" --history.created_by "RUN npm uninstall lodash && dpkg --purge $removed_deb" "$work/bundle-removed"
rm -rf "$work/bundle-removed"

echo "scan-fixtures: upgraded image" >&2
umoci unpack --image "$oci:bookworm-npm" "$work/bundle-up" >/dev/null
(cd "$work/bundle-up/rootfs/app" && npm install --no-audit --no-fund lodash@4.17.21 minimist@1.2.8 >/dev/null)
umoci repack --image "$oci:bookworm-npm-upgraded" --history.created_by "RUN npm install lodash@4.17.21 minimist@1.2.8" "$work/bundle-up"
rm -rf "$work/bundle-up"

echo "scan-fixtures: dotnet app" >&2
mkdir -p "$work/dotnet-src"
cat >"$work/dotnet-src/app.csproj" <<'EOF'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><NuGetAudit>false</NuGetAudit></PropertyGroup>
  <ItemGroup><PackageReference Include="Newtonsoft.Json" Version="12.0.1" /></ItemGroup>
</Project>
EOF
echo 'System.Console.WriteLine(Newtonsoft.Json.JsonConvert.SerializeObject(new { ok = true }));' >"$work/dotnet-src/Program.cs"
(cd "$work/dotnet-src" && dotnet publish -c Release -o "$work/dotnet/app" --nologo -v q >"$work/dotnet.log" 2>&1) \
  || { tail -20 "$work/dotnet.log" >&2; exit 1; }
layer_tar "$work/dotnet" "$work/dotnet.tar"
new_image dotnet0
add_layer dotnet0 dotnet "$work/dotnet.tar" "COPY app /app"

echo "scan-fixtures: python site-packages" >&2
mkdir -p "$work/debs" "$work/python"
(cd "$work/debs" && apt-get download -qq python3-urllib3 python3-requests >/dev/null 2>&1)
for deb in "$work/debs/"*.deb; do dpkg-deb -x "$deb" "$work/python"; done
rm -rf "$work/python/usr/share"
layer_tar "$work/python" "$work/python.tar"
new_image python0
add_layer python0 python "$work/python.tar" "COPY site-packages /usr/lib/python3/dist-packages"

echo "scan-fixtures: alpine" >&2
cp -r "$shared/vulndata/alpine/installed/osv-scalibr-alpine-3.18.0" "$work/alpine"
layer_tar "$work/alpine" "$work/alpine.tar"
new_image alpine0
add_layer alpine0 alpine "$work/alpine.tar" "ADD alpine-minirootfs-3.18.0 /"

echo "scan-fixtures: go binary" >&2
# A file GOPROXY with one module version, in the layout the Go command reads (@v/list, .info, .mod, .zip).
proxy="$work/goproxy/golang.org/x/text/@v"; mkdir -p "$proxy" "$work/gomod/golang.org/x/text@v0.3.7/language"
printf 'module golang.org/x/text\n\ngo 1.17\n' >"$work/gomod/golang.org/x/text@v0.3.7/go.mod"
printf 'package language\n\n// Tag names a language.\ntype Tag string\n\n// Make returns the tag of s.\nfunc Make(s string) Tag { return Tag(s) }\n' \
  >"$work/gomod/golang.org/x/text@v0.3.7/language/language.go"
echo v0.3.7 >"$proxy/list"
echo '{"Version":"v0.3.7","Time":"2021-06-17T00:00:00Z"}' >"$proxy/v0.3.7.info"
cp "$work/gomod/golang.org/x/text@v0.3.7/go.mod" "$proxy/v0.3.7.mod"
(cd "$work/gomod" && python3 -c 'import sys,zipfile,os
z=zipfile.ZipFile(sys.argv[1],"w")
for d,_,fs in os.walk("golang.org/x/text@v0.3.7"):
  for f in fs: z.write(os.path.join(d,f))
z.close()' "$proxy/v0.3.7.zip")
mkdir -p "$work/gosrc"
printf 'module example.com/greeter\n\ngo 1.19\n\nrequire golang.org/x/text v0.3.7\n' >"$work/gosrc/go.mod"
printf 'package main\n\nimport (\n\t"fmt"\n\n\t"golang.org/x/text/language"\n)\n\nfunc main() { fmt.Println(language.Make("en")) }\n' >"$work/gosrc/main.go"
mkdir -p "$work/go/usr/local/bin"
(cd "$work/gosrc" && GOPROXY="file://$work/goproxy" GOFLAGS=-mod=mod GONOSUMDB='*' GOSUMDB=off GOPATH="$work/gopath" \
  GOCACHE="$work/gocache" CGO_ENABLED=0 go build -o "$work/go/usr/local/bin/greeter" . )
chmod -R u+w "$work/gopath"
layer_tar "$work/go" "$work/go.tar"
new_image go0
add_layer go0 go "$work/go.tar" "COPY greeter /usr/local/bin/greeter"

# The intermediate empty images are not fixtures.
for t in base0 dotnet0 python0 alpine0 go0; do umoci rm --image "$oci:$t"; done
umoci gc --layout "$oci"
mv "$out" "$final"
rm -f "$final.lock"
echo "$final" >&3
