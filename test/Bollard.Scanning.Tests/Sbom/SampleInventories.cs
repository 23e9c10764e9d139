using Bollard.Core.Scanning;
using Bollard.Scanning.Sbom;

namespace Bollard.Scanning.Tests.Sbom;

/// <summary>
/// An inventory with a package of every type (as the analyzers report them: real names, versions, purls and paths of
/// a Debian image with language packages) and every licence case: SPDX id, compound expression, deprecated id,
/// lower-case id, free text, Debian's own short names, none.
/// </summary>
internal static class SampleInventories
{
    public const string Layer0 = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    public const string Layer1 = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    public const string Manifest = "sha256:3f1c6e0e6b8a1f7d2b9c4a5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192";

    public static SbomSubject Subject { get; } = new("localhost:5000/team/app", "1.0", Manifest);

    public static ImageInventory Full() => new()
    {
        ManifestDigest = Manifest,
        Platform = "linux/amd64",
        Os = new OsInfo("debian", "12", "bookworm", "Debian GNU/Linux 12 (bookworm)"),
        EngineVersion = ScanEngine.Version,
        Layers =
        [
            new InventoryLayer(Layer0, "application/vnd.oci.image.layer.v1.tar+gzip", 29_000_000, 80_000_000, "/bin/sh -c #(nop) ADD file:abc in / "),
            new InventoryLayer(Layer1, "application/vnd.oci.image.layer.v1.tar+zstd", 4_000_000, 12_000_000, "RUN npm ci && dotnet publish"),
        ],
        Warnings = ["layer sha256:2222: /app/broken/package-lock.json: not JSON"],
        Packages =
        [
            Pkg(PackageTypes.Deb, "libssl3", "3.0.11-1~deb12u2", "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12", "/var/lib/dpkg/status", Layer0,
                ["Apache-2.0"], source: "openssl"),
            Pkg(PackageTypes.Deb, "libc6", "2.36-9+deb12u4", "pkg:deb/debian/libc6@2.36-9+deb12u4?arch=amd64&distro=debian-12", "/var/lib/dpkg/status", Layer0,
                ["GPL-2+", "LGPL-2.1+", "public-domain"], source: "glibc", sourceVersion: "2.36-9+deb12u4"),
            Pkg(PackageTypes.Deb, "bash", "5.2.15-2+b2", "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12", "/var/lib/dpkg/status", Layer0, ["GPL-3.0-or-later"]),
            Pkg(PackageTypes.Apk, "musl", "1.2.4-r2", "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.18.4", "/lib/apk/db/installed", Layer0, ["MIT"], source: "musl"),
            Pkg(PackageTypes.Rpm, "openssl-libs", "1:3.0.7-24.el9", "pkg:rpm/redhat/openssl-libs@3.0.7-24.el9?arch=x86_64&epoch=1&distro=rhel-9.3", "/var/lib/rpm/rpmdb.sqlite", Layer0,
                ["ASL 2.0"], source: "openssl"),
            Pkg(PackageTypes.Npm, "lodash", "4.17.15", "pkg:npm/lodash@4.17.15", "/app/package-lock.json", Layer1, ["MIT"]),
            Pkg(PackageTypes.Npm, "lodash", "4.17.15", "pkg:npm/lodash@4.17.15", "/app/node_modules/other/node_modules/lodash/package.json", Layer1, ["MIT"]),
            Pkg(PackageTypes.Npm, "@types/node", "20.11.5", "pkg:npm/%40types/node@20.11.5", "/app/package-lock.json", Layer1, ["mit"]),
            Pkg(PackageTypes.Npm, "minimist", "1.2.0", "pkg:npm/minimist@1.2.0", "/app/package-lock.json", Layer1, []),
            Pkg(PackageTypes.NuGet, "Newtonsoft.Json", "12.0.1", "pkg:nuget/Newtonsoft.Json@12.0.1", "/app/App.deps.json", Layer1, ["MIT"]),
            Pkg(PackageTypes.PyPI, "requests", "2.31.0", "pkg:pypi/requests@2.31.0", "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA", Layer1, ["Apache 2.0"]),
            Pkg(PackageTypes.Golang, "golang.org/x/net", "v0.17.0", "pkg:golang/golang.org/x/net@v0.17.0", "/usr/local/bin/app", Layer1, []),
            Pkg(PackageTypes.Golang, "stdlib", "go1.21.3", "pkg:golang/stdlib@go1.21.3", "/usr/local/bin/app", Layer1, ["BSD-3-Clause"]),
            Pkg(PackageTypes.Maven, "org.apache.logging.log4j:log4j-core", "2.14.1", "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1", "/app/app.war!/WEB-INF/lib/log4j-core-2.14.1.jar", Layer1,
                ["Apache-2.0 OR MIT", "GPL-2.0-only WITH Classpath-exception-2.0"]),
            Pkg(PackageTypes.Gem, "rack", "2.2.3", "pkg:gem/rack@2.2.3", "/usr/local/bundle/specifications/rack-2.2.3.gemspec", Layer1, ["MIT"]),
            Pkg(PackageTypes.Cargo, "regex", "1.9.5", "pkg:cargo/regex@1.9.5", "/usr/local/bin/rustapp", Layer1, ["MIT OR Apache-2.0"]),
            Pkg(PackageTypes.Cargo, "ring", "0.16.20", "pkg:cargo/ring@0.16.20", "/usr/local/bin/rustapp", null, ["LicenseRef-ring"]),
        ],
    };

    private static ScanPackage Pkg(string type, string name, string version, string purl, string path, string? layer, string[] licenses,
        string? source = null, string? sourceVersion = null) => new()
        {
            Type = type,
            Name = name,
            Version = version,
            Purl = purl,
            Path = path,
            LayerDigest = layer,
            Licenses = licenses,
            SourceName = source,
            SourceVersion = sourceVersion,
        };
}
