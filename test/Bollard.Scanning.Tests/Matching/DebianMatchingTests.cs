using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;
using Bollard.Scanning.Advisories;
using Bollard.Scanning.Matching;
using Bollard.Scanning.Tests.Advisories;

namespace Bollard.Scanning.Tests.Matching;

/// <summary>The Debian tracker data (DSA/DLA lists and vuln-list-debian) against the real bookworm minbase status.</summary>
public sealed class DebianMatchingTests : IClassFixture<DebianMatchingTests.Imported>
{
    private readonly Imported _data;

    public DebianMatchingTests(Imported data) => _data = data;

    public sealed class Imported : IAsyncLifetime
    {
        public AdvisoryTestDatabase T { get; } = new();

        public AdvisoryImportResult Result { get; private set; } = null!;

        public AdvisoryIndex Index { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Result = await T.Database.ImportAsync(AdvisoryTestDatabase.Data("debian"), null, default);
            Index = await T.Database.GetIndexAsync(default);
        }

        public Task DisposeAsync()
        {
            T.Dispose();
            return Task.CompletedTask;
        }
    }

    private static string Status => AdvisoryTestDatabase.Data("debian/bookworm-minbase-status");

    private List<Finding> Match(IReadOnlyDictionary<string, string>? versions = null, List<string>? warnings = null) =>
        AdvisoryMatcher.Match(TestInventories.Dpkg(Status, TestInventories.Bookworm, versions), _data.Index, warnings).ToList();

    [Fact]
    public async Task GetIndexForAsync_KeysOfTheInventory_SameFindingsAsTheFullIndex_FromFarFewerAdvisories()
    {
        var inventory = TestInventories.Dpkg(Status, TestInventories.Bookworm, new Dictionary<string, string> { ["tar"] = "1.34+dfsg-1" });
        // A second database over the same store, as a one-shot 'bollard scan' process is: no full index loaded.
        using var oneShot = new AdvisoryDatabase(_data.T.Store, () => [], TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<AdvisoryDatabase>.Instance);
        var keys = AdvisoryMatcher.KeysOf(inventory);
        var scoped = await oneShot.GetIndexForAsync(keys.ToList(), default);

        Assert.True(scoped.AdvisoryCount < _data.Index.AdvisoryCount / 2, $"{scoped.AdvisoryCount} of {_data.Index.AdvisoryCount} advisories read");
        foreach (var key in keys)
            Assert.Equal(_data.Index.Lookup(key).Select(e => e.Advisory.Id).Order(StringComparer.Ordinal), scoped.Lookup(key).Select(e => e.Advisory.Id).Order(StringComparer.Ordinal));
        var full = AdvisoryMatcher.Match(inventory, _data.Index);
        Assert.True(full.Count > 50, $"{full.Count} findings");
        Assert.Equal(full.Select(Describe), AdvisoryMatcher.Match(inventory, scoped).Select(Describe));
    }

    private static string Describe(Finding f) =>
        string.Join('|', f.AdvisoryId, string.Join(',', f.Aliases), f.PackageName, f.InstalledVersion, f.FixedVersion, f.Severity, f.CvssScore, f.Status, f.StatusReason, f.Summary);

    [Fact]
    public async Task Import_TrackerFolder_CvesFromJsonAndDsaLists_DsaFixesMergedIntoCves()
    {
        Assert.Equal("debian:debian", _data.Result.Record.Feed);
        Assert.Equal("debian", _data.Result.Record.Source);
        Assert.Equal(0, _data.Result.Record.Warnings);
        // Every CVE file is an advisory; the DSA/DLA lists add the CVEs they name.
        Assert.True(_data.Result.Record.Added > 119, $"{_data.Result.Record.Added} advisories");

        // CVE-2023-4911 is stored "<unfixed>" in unstable with no bookworm line; DSA-5514-1 fixed it in bookworm.
        var cve = Assert.Single(await _data.T.Store.FindAsync("CVE-2023-4911", default)).Advisory;
        Assert.Contains("DSA-5514-1", cve.Aliases);
        var bookworm = cve.Affected.Single(p => p.Release == "bookworm" && p.Name == "glibc");
        Assert.Equal(AffectedStatus.Affected, bookworm.Status);
        Assert.Equal("2.36-9+deb12u3", bookworm.Ranges.Single()[1].Version);
        Assert.Equal(AffectedStatus.Unfixed, cve.Affected.Single(p => p.Release == "sid").Status);
        // Found through the DSA id as well.
        Assert.Equal("CVE-2023-4911", Assert.Single(await _data.T.Store.FindAsync("DSA-5514-1", default)).Advisory.Id);

        // A DSA list entry from 2023 (bullseye): CVE-2023-1393 of xorg-server.
        var xorg = Assert.Single(await _data.T.Store.FindAsync("CVE-2023-1393", default)).Advisory;
        Assert.Equal(["DLA-3372-1", "DSA-5380-1"], xorg.Aliases);
        Assert.Equal("2:1.20.11-1+deb11u6", xorg.Affected.Single(p => p.Release == "bullseye" && p.Name == "xorg-server").Ranges[0][1].Version);
    }

    [Fact]
    public void Match_RealMinbase_UnfixedNoDsaAndIgnoredAreUnfixed_FixedVersionsAreNot()
    {
        var warnings = new List<string>();
        var findings = Match(warnings: warnings);
        Assert.Empty(warnings);

        // tar: CVE-2005-2541 "<unfixed> (unimportant)" in unstable holds for bookworm; CVE-2023-39804 is no-dsa.
        var tar = findings.Where(f => f.PackageName == "tar").ToDictionary(f => f.AdvisoryId);
        Assert.Equal(FindingStatus.Unfixed, tar["CVE-2005-2541"].Status);
        Assert.Null(tar["CVE-2005-2541"].FixedVersion);
        Assert.Equal(Severities.Negligible, tar["CVE-2005-2541"].Severity);
        Assert.Equal(FindingStatus.Unfixed, tar["CVE-2023-39804"].Status);
        Assert.StartsWith("no-dsa", tar["CVE-2023-39804"].StatusReason, StringComparison.Ordinal);
        // CVE-2022-48303 is fixed in 1.34+dfsg-1.2+deb12u1, the installed version: a negative control.
        Assert.DoesNotContain("CVE-2022-48303", tar.Keys);

        // coreutils CVE-2016-2781: <ignored> (Minor issue) in bookworm, urgency from the unstable line (low).
        var coreutils = findings.Single(f => f.PackageName == "coreutils" && f.AdvisoryId == "CVE-2016-2781");
        Assert.Equal(FindingStatus.Unfixed, coreutils.Status);
        Assert.Equal("ignored: Minor issue", coreutils.StatusReason);
        Assert.Equal(Severities.Low, coreutils.Severity);

        // gcc-12 no-dsa: every binary package built from gcc-12 has the finding (matched by source name).
        Assert.Equal(
            ["gcc-12-base", "libgcc-s1", "libstdc++6"],
            findings.Where(f => f.AdvisoryId == "CVE-2023-4039").Select(f => f.PackageName).Order(StringComparer.Ordinal));

        // glibc at 2.36-9+deb12u14: the DSA fixes are older; not-affected records never match.
        Assert.DoesNotContain(findings, f => f.AdvisoryId is "CVE-2023-4911" or "CVE-2024-2961" or "CVE-2023-5156" or "CVE-2025-8058");
        Assert.All(findings, f => Assert.Equal(FindingStatus.Unfixed, f.Status));
    }

    [Fact]
    public void Match_DowngradedCopy_FixedVersionsReported_FromDsaAndCveLines()
    {
        var findings = Match(new Dictionary<string, string>
        {
            ["libc6"] = "2.36-9+deb12u2",
            ["tar"] = "1.34+dfsg-1.2",
            ["libgnutls30"] = "3.7.9-2",
        });
        var glibc = findings.Where(f => f.PackageName == "libc6").ToDictionary(f => f.AdvisoryId);
        Assert.Equal("2.36-9+deb12u3", glibc["CVE-2023-4911"].FixedVersion); // DSA-5514-1
        Assert.Equal(FindingStatus.Affected, glibc["CVE-2023-4911"].Status);
        Assert.Contains("DSA-5514-1", glibc["CVE-2023-4911"].Aliases);
        Assert.Equal("2.36-9+deb12u4", glibc["CVE-2023-6246"].FixedVersion); // DSA-5611-1
        Assert.Equal("2.36-9+deb12u6", glibc["CVE-2024-2961"].FixedVersion); // DSA-5673-1
        Assert.Equal("2.36-9+deb12u13", glibc["CVE-2025-8058"].FixedVersion); // [bookworm] line of the CVE
        Assert.DoesNotContain("CVE-2023-5156", glibc.Keys); // [bookworm] <not-affected>
        Assert.Equal("/var/lib/dpkg/status", glibc["CVE-2023-4911"].Path);
        Assert.Equal("sha256:base", glibc["CVE-2023-4911"].LayerDigest);
        Assert.Equal("debian", glibc["CVE-2023-4911"].Source);
        Assert.Equal("2.36-9+deb12u2", glibc["CVE-2023-4911"].InstalledVersion);

        Assert.Equal("1.34+dfsg-1.2+deb12u1", findings.Single(f => f.PackageName == "tar" && f.AdvisoryId == "CVE-2022-48303").FixedVersion);
        var gnutls = findings.Where(f => f.PackageName == "libgnutls30").ToDictionary(f => f.AdvisoryId);
        Assert.Equal("3.7.9-2+deb12u1", gnutls["CVE-2023-5981"].FixedVersion);
        Assert.Equal("3.7.9-2+deb12u4", gnutls["CVE-2024-12243"].FixedVersion); // DSA-5867-1
    }

    [Fact]
    public void Match_OtherRelease_UsesItsOwnLines()
    {
        // The same status seen as bullseye: CVE-2016-2781 is <ignored> there too; the bookworm-only DSAs do not apply.
        var bullseye = new OsInfo("debian", "11", null, null);
        var findings = AdvisoryMatcher.Match(TestInventories.Dpkg(Status, bullseye, new Dictionary<string, string> { ["libc6"] = "2.36-9+deb12u2" }), _data.Index);
        Assert.Contains(findings, f => f.AdvisoryId == "CVE-2016-2781" && f.Status == FindingStatus.Unfixed);
        Assert.DoesNotContain(findings, f => f.Aliases.Contains("DSA-5514-1") && f.FixedVersion == "2.36-9+deb12u3");
    }
}
