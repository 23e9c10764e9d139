using System.Text.Json.Nodes;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;
using Bollard.Scanning.Advisories;

namespace Bollard.Scanning.Tests.Advisories;

public sealed class IncrementalImportTests : IDisposable
{
    private readonly RecordingListener _listener = new();
    private readonly AdvisoryTestDatabase _t;

    public IncrementalImportTests() => _t = new AdvisoryTestDatabase(_listener);

    public void Dispose() => _t.Dispose();

    [Fact]
    public async Task Reimport_Same_ChangesNothing_NewerSnapshot_ChangesExactlyWhatChanged()
    {
        string dir = _t.CopyOf("osv/npm");
        var first = await _t.Database.ImportAsync(dir, null, default);
        Assert.Equal(46, first.Record.Added);

        var same = await _t.Database.ImportAsync(dir, null, default);
        Assert.Equal((0, 0, 0, 46), (same.Record.Added, same.Record.Changed, same.Record.Removed, same.Record.Unchanged));
        Assert.Empty(same.ChangedKeys);
        Assert.False(same.HasChanges);

        // Newer snapshot: one advisory added (a NuGet one copied in), one fixed version changed, one advisory gone.
        File.Copy(AdvisoryTestDatabase.Data("osv/nuget/GHSA-5crp-9r3c-p9vr.json"), Path.Combine(dir, "GHSA-5crp-9r3c-p9vr.json"));
        string lodashFile = Path.Combine(dir, "GHSA-p6mc-m468-83gw.json");
        var json = JsonNode.Parse(File.ReadAllText(lodashFile))!;
        json["affected"]![0]!["ranges"]![0]!["events"]![1]!["fixed"] = "4.17.21";
        File.WriteAllText(lodashFile, json.ToJsonString());
        File.Delete(Path.Combine(dir, "GHSA-jf85-cpcp-j695.json"));

        var newer = await _t.Database.ImportAsync(dir, null, default);
        Assert.Equal((1, 1, 1, 44), (newer.Record.Added, newer.Record.Changed, newer.Record.Removed, newer.Record.Unchanged));
        Assert.Equal(["GHSA-5crp-9r3c-p9vr", "GHSA-jf85-cpcp-j695", "GHSA-p6mc-m468-83gw"], newer.ChangedAdvisoryIds.Order(StringComparer.Ordinal));
        Assert.Contains(AdvisoryKey.Create(PackageTypes.NuGet, null, "Newtonsoft.Json"), newer.ChangedKeys);
        Assert.Contains(AdvisoryKey.Create(PackageTypes.Npm, null, "lodash"), newer.ChangedKeys);
        Assert.Contains(AdvisoryKey.Create(PackageTypes.Npm, null, "lodash-es"), newer.ChangedKeys);
        Assert.DoesNotContain(AdvisoryKey.Create(PackageTypes.Npm, null, "minimist"), newer.ChangedKeys);

        // The index was swapped: the new fixed version is what matching sees; the removed advisory is gone.
        var index = await _t.Database.GetIndexAsync(default);
        var lodash = index.Lookup(AdvisoryKey.Create(PackageTypes.Npm, null, "lodash")).Single(e => e.Advisory.Id == "GHSA-p6mc-m468-83gw");
        Assert.Equal("4.17.21", lodash.Package.Ranges[0][1].Version);
        Assert.Empty(await _t.Store.FindAsync("GHSA-jf85-cpcp-j695", default));

        Assert.Equal(3, _listener.Results.Count);
        Assert.Same(newer, _listener.Results[^1]);
        var history = await _t.Store.ListImportsAsync(10, default);
        Assert.Equal([1, 0, 46], history.Select(h => h.Added));
        Assert.Equal([1, 0, 0], history.Select(h => h.Changed));
        Assert.Equal("osv:npm", history[0].Feed);
        Assert.True(history[0].Id > history[1].Id);
    }

    [Fact]
    public async Task GetIndexForAsync_AfterAnImportByAnotherProcess_ReadsTheNewData_AndOnlyTheKeysAsked()
    {
        string dir = _t.CopyOf("osv/npm");
        await _t.Database.ImportAsync(dir, null, default);
        await _t.Database.ImportAsync(AdvisoryTestDatabase.Data("osv/nuget"), null, default);
        var lodash = AdvisoryKey.Create(PackageTypes.Npm, null, "lodash");
        var newtonsoft = AdvisoryKey.Create(PackageTypes.NuGet, null, "newtonsoft.json");
        var full = await _t.Database.GetIndexAsync(default);
        Assert.Same(full, await _t.Database.GetIndexForAsync([lodash], default));

        // Another process (a 'bollard db import' beside the server) changes lodash's fixed version: the loaded full
        // index is stale, so the key-scoped read goes to the store and sees the change.
        string lodashFile = Path.Combine(dir, "GHSA-p6mc-m468-83gw.json");
        var json = JsonNode.Parse(File.ReadAllText(lodashFile))!;
        json["affected"]![0]!["ranges"]![0]!["events"]![1]!["fixed"] = "4.17.22";
        File.WriteAllText(lodashFile, json.ToJsonString());
        using (var other = new AdvisoryDatabase(_t.Store, () => [], TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<AdvisoryDatabase>.Instance))
            Assert.Equal(1, (await other.ImportAsync(dir, null, default)).Record.Changed);
        var scoped = await _t.Database.GetIndexForAsync([lodash, lodash], default);
        Assert.NotSame(full, scoped);
        Assert.Equal("4.17.22", scoped.Lookup(lodash).Single(e => e.Advisory.Id == "GHSA-p6mc-m468-83gw").Package.Ranges[0][1].Version);
        Assert.Equal(full.Lookup(lodash).Count, scoped.Lookup(lodash).Count);
        Assert.Equal(full.Lookup(lodash).Select(e => e.Advisory.Id).Distinct().Count(), scoped.AdvisoryCount);
        Assert.Empty(scoped.Lookup(newtonsoft));
        Assert.NotEmpty(full.Lookup(newtonsoft));
        Assert.Equal(0, (await _t.Database.GetIndexForAsync([], default)).AdvisoryCount);
    }

    [Fact]
    public async Task Feeds_AreIndependent_AReimportOfOneNeverRemovesAnother()
    {
        await _t.Database.ImportAsync(AdvisoryTestDatabase.Data("osv/npm"), null, default);
        await _t.Database.ImportAsync(AdvisoryTestDatabase.Data("osv/nuget"), null, default);
        var again = await _t.Database.ImportAsync(AdvisoryTestDatabase.Data("osv/nuget"), null, default);
        Assert.Equal(0, again.Record.Removed);
        var counts = await _t.Store.CountByFeedAsync(default);
        Assert.Equal(46, counts["osv:npm"]);
        Assert.Equal(19, counts["osv:nuget"]);
    }

    private sealed class RecordingListener : IAdvisoryImportListener
    {
        public List<AdvisoryImportResult> Results { get; } = [];

        public Task OnImportedAsync(AdvisoryImportResult result, CancellationToken ct)
        {
            Results.Add(result);
            return Task.CompletedTask;
        }
    }
}
