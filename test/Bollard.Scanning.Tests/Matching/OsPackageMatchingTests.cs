using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;
using Bollard.Scanning.Matching;
using Bollard.Scanning.Tests.Advisories;

namespace Bollard.Scanning.Tests.Matching;

/// <summary>Alpine and Wolfi secdb data against the real apk installed databases and the Wolfi os-release.</summary>
public sealed class OsPackageMatchingTests : IDisposable
{
    private readonly AdvisoryTestDatabase _t = new();

    public void Dispose() => _t.Dispose();

    [Fact]
    public async Task AlpineVulnList_Alpine318Installed_SecfixesAboveInstalledMatch_ZeroAndOlderFixesDoNot()
    {
        var result = await _t.Database.ImportAsync(AdvisoryTestDatabase.Data("alpine/vuln-list"), null, default);
        Assert.Equal("alpine:vuln-list", result.Record.Feed);
        Assert.Equal(0, result.Record.Warnings);
        var zlib = Assert.Single(await _t.Store.FindAsync("CVE-2023-45853", default)).Advisory;
        Assert.Equal(AffectedStatus.NotAffected, zlib.Affected.Single(p => p.Release == "3.18" && p.Name == "zlib").Status);

        string root = AdvisoryTestDatabase.Data("alpine/installed/osv-scalibr-alpine-3.18.0");
        var os = TestInventories.OsRelease(Path.Combine(root, "etc/os-release"));
        var inventory = TestInventories.Apk(Path.Combine(root, "lib/apk/db/installed"), os);
        var warnings = new List<string>();
        var findings = AdvisoryMatcher.Match(inventory, await _t.Database.GetIndexAsync(default), warnings);
        Assert.Empty(warnings);

        // musl 1.2.4-r0, origin musl: CVE-2025-26519 fixed in 1.2.4-r3, for both binary packages of the origin.
        Assert.Equal(["musl", "musl-utils"], findings.Where(f => f.AdvisoryId == "CVE-2025-26519").Select(f => f.PackageName).Order(StringComparer.Ordinal));
        var musl = findings.First(f => f.AdvisoryId == "CVE-2025-26519");
        Assert.Equal(("1.2.4-r3", FindingStatus.Affected, "alpine"), (musl.FixedVersion, musl.Status, musl.Source));
        // openssl 3.1.0-r4 (libcrypto3, libssl3): CVE-2023-2650 fixed in 3.1.1-r0.
        Assert.Contains(findings, f => f.PackageName == "libssl3" && f.AdvisoryId == "CVE-2023-2650" && f.FixedVersion == "3.1.1-r0");
        // zlib 1.2.13-r1: "0" (never affected) and fixes at or below the installed version are negative controls.
        Assert.DoesNotContain(findings, f => f.PackageName == "zlib");
        Assert.DoesNotContain(findings, f => f.AdvisoryId is "CVE-2022-1292" or "CVE-2021-42373");
        // Severity: secdb has none.
        Assert.All(findings, f => Assert.Equal(Severities.Unknown, f.Severity));

        // Another branch's data does not apply: the same packages seen as Alpine 3.16 match the 3.16 records.
        var as316 = TestInventories.Apk(Path.Combine(root, "lib/apk/db/installed"), os with { VersionId = "3.16.2" });
        Assert.DoesNotContain(AdvisoryMatcher.Match(as316, await _t.Database.GetIndexAsync(default)), f => f.AdvisoryId == "CVE-2025-26519");
    }

    [Fact]
    public async Task AlpineSecdbYaml_AllBranches_MultiIdStringsAndNull()
    {
        var result = await _t.Database.ImportAsync(AdvisoryTestDatabase.Data("alpine/secdb"), null, default);
        Assert.Equal("alpine:secdb", result.Record.Feed);
        Assert.Equal(0, result.Record.Warnings);
        var ansible = Assert.Single(await _t.Store.FindAsync("CVE-2019-14904", default)).Advisory;
        var p = ansible.Affected.Single(a => a.Release == "3.11" && a.Name == "ansible");
        Assert.Equal("2.9.3-r0", p.Ranges[0][1].Version);
        // "CVE-2017-2887 TALOS-2017-0394" is one id with an alias.
        var sdl = Assert.Single(await _t.Store.FindAsync("TALOS-2017-0394", default)).Advisory;
        Assert.Equal("CVE-2017-2887", sdl.Id);

        var inventory = TestInventories.Inventory([new ScanPackage
        {
            Type = PackageTypes.Apk, Name = "ansible", Version = "2.9.2-r0", SourceName = "ansible", Purl = "pkg:apk/alpine/ansible@2.9.2-r0", Path = "/lib/apk/db/installed",
        }], new OsInfo("alpine", "3.11.6", null, null));
        var findings = AdvisoryMatcher.Match(inventory, await _t.Database.GetIndexAsync(default));
        Assert.Equal(["CVE-2019-14904", "CVE-2019-14905"], findings.Select(f => f.AdvisoryId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Wolfi_NoRelease_MatchesOnlyWolfiImages()
    {
        var result = await _t.Database.ImportAsync(AdvisoryTestDatabase.Data("wolfi"), null, default);
        Assert.Equal("wolfi:wolfi", result.Record.Feed);
        var os = TestInventories.OsRelease(AdvisoryTestDatabase.Data("wolfi/syft-os-release/etc/os-release"));
        ScanPackage Apk(string name, string version) => new()
        {
            Type = PackageTypes.Apk, Name = name, Version = version, SourceName = name, Purl = $"pkg:apk/wolfi/{name}@{version}", Path = "/lib/apk/db/installed",
        };
        var inventory = TestInventories.Inventory([Apk("glibc", "2.36-r0"), Apk("coreutils", "9.1-r0"), Apk("zlib", "1.2.13-r1")], os);
        var findings = AdvisoryMatcher.Match(inventory, await _t.Database.GetIndexAsync(default));
        Assert.Contains(findings, f => f.PackageName == "glibc" && f.AdvisoryId == "CVE-2022-39046" && f.FixedVersion == "2.36-r1" && f.Source == "wolfi");
        Assert.DoesNotContain(findings, f => f.PackageName == "coreutils"); // "0": never affected
        Assert.Contains(findings, f => f.PackageName == "zlib" && f.AdvisoryId == "CVE-2023-45853" && f.FixedVersion == "1.3-r1");
        Assert.DoesNotContain(findings, f => f.PackageName == "zlib" && f.AdvisoryId == "CVE-2022-37434");

        // The same packages in an Alpine image never meet Wolfi's records.
        Assert.Empty(AdvisoryMatcher.Match(inventory with { Os = new OsInfo("alpine", "3.18.4", null, null) }, await _t.Database.GetIndexAsync(default)));
    }

    [Fact]
    public void OsRelease_DerivedAsAdvisoriesKeyThem()
    {
        Assert.Equal("bookworm", OsRelease.For(new OsInfo("debian", "12", null, null), PackageTypes.Deb, out bool k1));
        Assert.True(k1);
        Assert.Equal("trixie", OsRelease.For(new OsInfo("debian", null, "trixie", null), PackageTypes.Deb, out _));
        Assert.Equal("3.18", OsRelease.For(new OsInfo("alpine", "3.18.4", null, null), PackageTypes.Apk, out _));
        Assert.Null(OsRelease.For(new OsInfo("wolfi", "20220914", null, null), PackageTypes.Apk, out bool k2));
        Assert.True(k2);
        Assert.Null(OsRelease.For(new OsInfo("alpine", null, null, null), PackageTypes.Apk, out bool k3));
        Assert.False(k3);
        Assert.Null(OsRelease.For(null, PackageTypes.Deb, out bool k4));
        Assert.False(k4);
    }
}
