using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;
using Bollard.Scanning.Advisories;
using Bollard.Scanning.Matching;
using Bollard.Scanning.Tests.Advisories;

namespace Bollard.Scanning.Tests.Matching;

public sealed class LanguageMatchingTests : IDisposable
{
    private readonly AdvisoryTestDatabase _t = new();

    public void Dispose() => _t.Dispose();

    private async Task<AdvisoryIndex> ImportAsync(params string[] paths)
    {
        foreach (string path in paths) await _t.Database.ImportAsync(AdvisoryTestDatabase.Data(path), null, default);
        return await _t.Database.GetIndexAsync(default);
    }

    [Fact]
    public async Task Match_SamePackageInTwoImages_MatchedOnceEachFindingCarriesItsOwnPackage_WarningsEachTime()
    {
        var index = await ImportAsync("osv/npm", "vuln-list");
        var first = AdvisoryMatcher.Match(TestInventories.Language(PackageTypes.Npm, ("lodash", "4.17.15")), index);
        int memoized = index.Memo.Count;
        Assert.True(memoized > 0);
        var other = TestInventories.Package(PackageTypes.Npm, "lodash", "4.17.15") with { Path = "/srv/other/package-lock.json", LayerDigest = "sha256:other", Purl = "pkg:npm/lodash@4.17.15?other" };
        var second = AdvisoryMatcher.Match(TestInventories.Inventory([other], null), index);
        Assert.Equal(memoized, index.Memo.Count);
        Assert.Equal(first.Select(f => f.AdvisoryId + f.FixedVersion + f.Severity), second.Select(f => f.AdvisoryId + f.FixedVersion + f.Severity));
        Assert.All(first, f => Assert.Equal(("/app/lock", "sha256:app", "pkg:npm/lodash@4.17.15", "lodash", "4.17.15"), (f.Path, f.LayerDigest, f.Purl, f.PackageName, f.InstalledVersion)));
        Assert.All(second, f => Assert.Equal(("/srv/other/package-lock.json", "sha256:other", "pkg:npm/lodash@4.17.15?other", PackageTypes.Npm), (f.Path, f.LayerDigest, f.Purl, f.PackageType)));

        // A version the ecosystem cannot order is a warning on every match, memoized or not.
        var bad = TestInventories.Language(PackageTypes.Npm, ("lodash", "not a version"));
        var warnings1 = new List<string>();
        var warnings2 = new List<string>();
        AdvisoryMatcher.Match(bad, index, warnings1);
        AdvisoryMatcher.Match(bad, index, warnings2);
        Assert.NotEmpty(warnings1);
        Assert.Equal(warnings1, warnings2);
        Assert.All(warnings2, w => Assert.StartsWith("pkg:npm/lodash@not a version: GHSA-", w, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Npm_Lodash41715_MatchesItsGhsas_41721_MatchesNone()
    {
        var index = await ImportAsync("osv/npm", "vuln-list");
        var vulnerable = AdvisoryMatcher.Match(TestInventories.Language(PackageTypes.Npm, ("lodash", "4.17.15")), index);
        Assert.Equal(["GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw"], vulnerable.Select(f => f.AdvisoryId).Order(StringComparer.Ordinal));
        var p6mc = vulnerable.Single(f => f.AdvisoryId == "GHSA-p6mc-m468-83gw");
        Assert.Equal(["CVE-2020-8203"], p6mc.Aliases);
        Assert.Equal("4.17.20", p6mc.FixedVersion);
        Assert.Equal(FindingStatus.Affected, p6mc.Status);
        Assert.Equal("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", p6mc.CvssVector);
        Assert.Equal(7.4, p6mc.CvssScore);
        Assert.Equal(Severities.High, p6mc.Severity);
        Assert.Equal("pkg:npm/lodash@4.17.15", p6mc.Purl);

        Assert.Empty(AdvisoryMatcher.Match(TestInventories.Language(PackageTypes.Npm, ("lodash", "4.17.21")), index));
        // npm names are exact: the capitalised "Axios" record is another package.
        Assert.DoesNotContain(AdvisoryMatcher.Match(TestInventories.Language(PackageTypes.Npm, ("axios", "0.18.0")), index), f => f.AdvisoryId == "GHSA-8hc4-vh64-cxmj");
    }

    [Fact]
    public async Task GhsaVulnList_RangesAndWithdrawn()
    {
        var index = await ImportAsync("vuln-list");
        var axios = AdvisoryMatcher.Match(TestInventories.Language(PackageTypes.Npm, ("axios", "1.11.0")), index);
        var dos = Assert.Single(axios, f => f.AdvisoryId == "GHSA-4hjh-wcwx-xvwj");
        Assert.Equal(("1.12.0", "ghsa", 7.5, Severities.High), (dos.FixedVersion, dos.Source, dos.CvssScore, dos.Severity));
        Assert.Equal(["CVE-2025-58754"], dos.Aliases);
        Assert.Equal("0.30.2", AdvisoryMatcher.Match(TestInventories.Language(PackageTypes.Npm, ("axios", "0.30.1")), index).Single(f => f.AdvisoryId == "GHSA-4hjh-wcwx-xvwj").FixedVersion);
        Assert.DoesNotContain(AdvisoryMatcher.Match(TestInventories.Language(PackageTypes.Npm, ("axios", "0.30.2")), index), f => f.AdvisoryId == "GHSA-4hjh-wcwx-xvwj");
        // GHSA-rm8p-cx58-hcvx is withdrawn: stored, never matched.
        Assert.Single(await _t.Store.FindAsync("GHSA-rm8p-cx58-hcvx", default));
        Assert.DoesNotContain(index.Keys.SelectMany(index.Lookup), e => e.Advisory.Id == "GHSA-rm8p-cx58-hcvx");
    }

    [Fact]
    public async Task Go_StdlibSeveralIntervals_FixedVersionIsTheFirstAboveInstalled()
    {
        var index = await ImportAsync("osv/go");
        string? Fixed(string version) => AdvisoryMatcher.Match(TestInventories.Language(PackageTypes.Golang, ("stdlib", version)), index)
            .SingleOrDefault(f => f.AdvisoryId == "GO-2024-2687")?.FixedVersion;
        Assert.Equal("1.21.9", Fixed("1.21.0"));
        Assert.Equal("1.22.2", Fixed("1.22.1"));
        Assert.Null(Fixed("1.21.9"));
        Assert.Null(Fixed("1.22.2"));
        var f = AdvisoryMatcher.Match(TestInventories.Language(PackageTypes.Golang, ("stdlib", "1.22.1")), index).Single(x => x.AdvisoryId == "GO-2024-2687");
        Assert.Equal(["CVE-2023-45288", "GHSA-4v7x-pqxf-cx7m"], f.Aliases);
        Assert.Equal(Severities.Unknown, f.Severity); // the Go DB rates nothing
    }

    [Fact]
    public async Task SameVulnerabilityFromTwoFeeds_IsOneFinding_WithEveryId()
    {
        await _t.Database.ImportAsync(AdvisoryTestDatabase.Data("osv/npm"), new AdvisoryImportOptions { Feed = "github" }, default);
        await _t.Database.ImportAsync(AdvisoryTestDatabase.Data("osv/npm"), new AdvisoryImportOptions { Feed = "mirror" }, default);
        var index = await _t.Database.GetIndexAsync(default);
        var findings = AdvisoryMatcher.Match(TestInventories.Language(PackageTypes.Npm, ("lodash", "4.17.15")), index);
        Assert.Equal(3, findings.Count);
    }

    [Fact]
    public async Task UnorderableVersion_IsAWarning_NotACrash()
    {
        var index = await ImportAsync("osv/npm");
        var warnings = new List<string>();
        var findings = AdvisoryMatcher.Match(TestInventories.Language(PackageTypes.Npm, ("lodash", "not a version"), ("minimist", "1.2.0")), index, warnings);
        Assert.Contains(warnings, w => w.Contains("pkg:npm/lodash@not a version", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.PackageName == "minimist");
        Assert.DoesNotContain(findings, f => f.PackageName == "lodash");
    }
}
