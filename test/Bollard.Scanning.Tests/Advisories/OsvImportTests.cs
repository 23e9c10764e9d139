using System.IO.Compression;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;
using Bollard.Scanning.Advisories;

namespace Bollard.Scanning.Tests.Advisories;

public sealed class OsvImportTests : IDisposable
{
    private readonly AdvisoryTestDatabase _t = new();

    public void Dispose() => _t.Dispose();

    [Fact]
    public async Task Import_GoDirectory_EveryRecordStored_StdlibAdvisoryKeepsBothIntervals()
    {
        int files = Directory.GetFiles(AdvisoryTestDatabase.Data("osv/go"), "*.json").Length;
        var result = await _t.Database.ImportAsync(AdvisoryTestDatabase.Data("osv/go"), null, default);

        Assert.Equal("osv:go", result.Record.Feed);
        Assert.Equal("osv", result.Record.Source);
        Assert.Equal(files, result.Record.Added);
        Assert.Equal(0, result.Record.Changed + result.Record.Removed + result.Record.Unchanged);
        Assert.Equal(0, result.Record.Warnings);

        var go = Assert.Single(await _t.Store.FindAsync("GO-2024-2687", default));
        Assert.Equal(["CVE-2023-45288", "GHSA-4v7x-pqxf-cx7m"], go.Advisory.Aliases);
        Assert.Null(go.Advisory.Published); // the Go DB writes the zero time
        var stdlib = go.Advisory.Affected.Single(p => p.Name == "stdlib");
        Assert.Equal(PackageTypes.Golang, stdlib.Type);
        Assert.Null(stdlib.Release);
        var events = Assert.Single(stdlib.Ranges);
        Assert.Equal(
            [new RangeEvent(RangeEventKind.Introduced, "0"), new RangeEvent(RangeEventKind.Fixed, "1.21.9"), new RangeEvent(RangeEventKind.Introduced, "1.22.0-0"), new RangeEvent(RangeEventKind.Fixed, "1.22.2")],
            events);
        // Found by alias too, case-insensitive.
        Assert.Equal("GO-2024-2687", Assert.Single(await _t.Store.FindAsync("ghsa-4v7x-pqxf-cx7m", default)).Advisory.Id);

        var index = await _t.Database.GetIndexAsync(default);
        // Withdrawn records are stored, never indexed.
        int withdrawn = Directory.GetFiles(AdvisoryTestDatabase.Data("osv/go"), "*.json").Count(f => File.ReadAllText(f).Contains("\"withdrawn\"", StringComparison.Ordinal));
        Assert.True(withdrawn > 0);
        Assert.Equal(files - withdrawn, index.AdvisoryCount);
        Assert.Contains(index.Lookup(AdvisoryKey.Create(PackageTypes.Golang, null, "stdlib")), e => e.Advisory.Id == "GO-2024-2687");
        Assert.Contains(result.ChangedKeys, k => k == AdvisoryKey.Create(PackageTypes.Golang, null, "golang.org/x/net"));
    }

    [Fact]
    public async Task Import_PyPI_NamesNormalizedPep503_VersionsListsKept_GitRangesDropped()
    {
        var result = await _t.Database.ImportAsync(AdvisoryTestDatabase.Data("osv/pypi"), null, default);
        Assert.Equal(Directory.GetFiles(AdvisoryTestDatabase.Data("osv/pypi"), "*.json").Length, result.Record.Added);
        var index = await _t.Database.GetIndexAsync(default);
        // PyPI names meet whatever the spelling: Django, django, DJANGO all look up "django".
        var django = index.Lookup(AdvisoryKey.Create(PackageTypes.PyPI, null, "Django"));
        Assert.NotEmpty(django);
        Assert.Equal(django.Count, index.Lookup(AdvisoryKey.Create(PackageTypes.PyPI, null, "DJANGO")).Count);
        Assert.All(django, e => Assert.All(e.Package.Ranges, r => Assert.Contains(r, x => x.Kind == RangeEventKind.Introduced)));
        Assert.Contains(django, e => e.Package.Versions.Count > 0);
    }

    [Fact]
    public async Task Import_Zip_SameAsDirectory_NpmSeverityAndWithdrawn()
    {
        string zip = Path.Combine(_t.Dir, "npm-advisories.zip");
        ZipFile.CreateFromDirectory(AdvisoryTestDatabase.Data("osv/npm"), zip);
        var result = await _t.Database.ImportAsync(zip, null, default);
        Assert.Equal("osv:npm-advisories", result.Record.Feed);
        Assert.Equal(46, result.Record.Added);

        var lodash = Assert.Single(await _t.Store.FindAsync("GHSA-p6mc-m468-83gw", default)).Advisory;
        Assert.Contains(lodash.Severities, s => s.Kind == AdvisorySeverityKinds.CvssV3 && s.Vector == "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H");
        Assert.Contains(lodash.Severities, s => s.Kind == AdvisorySeverityKinds.Rating && s.Rating == "high");
        Assert.Equal(["lodash", "lodash-es"], lodash.Affected.Select(p => p.Name));

        // Withdrawn advisories are stored but not indexed.
        var withdrawn = Assert.Single(await _t.Store.FindAsync("GHSA-7fhm-mqm4-2wp7", default)).Advisory;
        Assert.NotNull(withdrawn.Withdrawn);
        var index = await _t.Database.GetIndexAsync(default);
        Assert.Equal(44, index.AdvisoryCount); // GHSA-7fhm-mqm4-2wp7 and GHSA-crvj-3gj9-gm2p are withdrawn
        Assert.DoesNotContain(index.Keys.SelectMany(index.Lookup), e => e.Advisory.Id == "GHSA-7fhm-mqm4-2wp7");
    }

    [Fact]
    public async Task Import_UnknownEcosystemAndBadRanges_AreWarningsAndTheRestIsKept()
    {
        string dir = Directory.CreateDirectory(Path.Combine(_t.Dir, "odd")).FullName;
        File.Copy(AdvisoryTestDatabase.Data("osv/npm/GHSA-p6mc-m468-83gw.json"), Path.Combine(dir, "good.json"));
        File.WriteAllText(Path.Combine(dir, "odd.json"), """
            {"id": "ODD-1", "modified": "2024-01-01T00:00:00Z", "affected": [
              {"package": {"ecosystem": "Hackage", "name": "aeson"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]},
              {"package": {"ecosystem": "npm", "name": "no-introduced"}, "ranges": [{"type": "SEMVER", "events": [{"fixed": "1.0.0"}]}]},
              {"package": {"ecosystem": "npm", "name": "odd-event"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"broken": "2"}]}]},
              {"package": {"ecosystem": "npm", "name": "fine"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "2.0.0"}]}]}
            ]}
            """);
        File.WriteAllText(Path.Combine(dir, "broken.json"), "{\"id\": ");
        var result = await _t.Database.ImportAsync(dir, null, default);
        Assert.Equal(2, result.Record.Added);
        Assert.Equal(4, result.Record.Warnings);
        Assert.Contains(result.Warnings, w => w.Contains("unknown ecosystem 'Hackage'", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("no introduced event", StringComparison.Ordinal));
        Assert.Contains(result.Warnings, w => w.Contains("not valid JSON", StringComparison.Ordinal));
        var odd = Assert.Single(await _t.Store.FindAsync("ODD-1", default)).Advisory;
        Assert.Equal(["fine"], odd.Affected.Select(p => p.Name));
    }

    [Fact]
    public async Task Import_NothingKnown_IsRefusedAndRemovesNothing()
    {
        await _t.Database.ImportAsync(AdvisoryTestDatabase.Data("osv/nuget"), new AdvisoryImportOptions { Feed = "f" }, default);
        string empty = Directory.CreateDirectory(Path.Combine(_t.Dir, "empty")).FullName;
        File.WriteAllText(Path.Combine(empty, "README.md"), "nothing");
        await Assert.ThrowsAsync<InvalidDataException>(() => _t.Database.ImportAsync(empty, new AdvisoryImportOptions { Feed = "f" }, default));
        await Assert.ThrowsAsync<FileNotFoundException>(() => _t.Database.ImportAsync(Path.Combine(_t.Dir, "missing"), null, default));
        Assert.Equal(19, (await _t.Store.CountByFeedAsync(default))["f"]);
    }
}
