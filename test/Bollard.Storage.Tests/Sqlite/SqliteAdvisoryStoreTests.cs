using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Tests.Sqlite;

public sealed class SqliteAdvisoryStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-advisories-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private static StoredAdvisory Stored(string feed, string id, string fixedVersion, params string[] aliases)
    {
        var advisory = new Advisory
        {
            Source = AdvisorySources.Debian,
            Id = id,
            Aliases = aliases,
            Summary = "summary of " + id,
            Modified = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000),
            Severities = [new AdvisorySeverity(AdvisorySeverityKinds.CvssV3, "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", null, null)],
            Affected =
            [
                new AffectedPackage
                {
                    Type = PackageTypes.Deb, Release = "bookworm", Name = "glibc",
                    Ranges = [[new RangeEvent(RangeEventKind.Introduced, "0"), new RangeEvent(RangeEventKind.Fixed, fixedVersion)]],
                    Severity = "high",
                },
                new AffectedPackage { Type = PackageTypes.Deb, Release = "sid", Name = "glibc", Status = AffectedStatus.NoDsa, Note = "Minor issue", Ranges = [[new RangeEvent(RangeEventKind.Introduced, "0")]] },
            ],
        };
        return new StoredAdvisory(feed, advisory, AdvisoryJson.Hash(AdvisoryJson.Serialize(advisory)));
    }

    [Fact]
    public async Task PutFindDelete_RoundTripsTheAdvisory_FeedsAreSeparate_SurvivesReopen()
    {
        string path = Path.Combine(_dir, "bollard.db");
        var a = Stored("debian:debian", "CVE-2023-4911", "2.36-9+deb12u3", "DSA-5514-1");
        using (var db = new SqliteDatabase(new SqliteOptions { Path = path }))
        {
            var store = new SqliteAdvisoryStore(db);
            await store.PutAsync([a, Stored("debian:debian", "CVE-2024-2961", "2.36-9+deb12u6"), Stored("other", "CVE-2023-4911", "1")], default);
            // Replacing is idempotent and keeps one row.
            await store.PutAsync([a], default);
        }
        using (var db = new SqliteDatabase(new SqliteOptions { Path = path }))
        {
            var store = new SqliteAdvisoryStore(db);
            var found = await store.FindAsync("dsa-5514-1", default);
            var one = Assert.Single(found);
            Assert.Equal(a.Hash, one.Hash);
            Assert.Equal(a.Hash, AdvisoryJson.Hash(AdvisoryJson.Serialize(one.Advisory)));
            Assert.Equal(AffectedStatus.NoDsa, one.Advisory.Affected[1].Status);
            Assert.Equal("2.36-9+deb12u3", one.Advisory.Affected[0].Ranges[0][1].Version);
            Assert.Equal(2, (await store.FindAsync("CVE-2023-4911", default)).Count);

            var state = await store.GetFeedStateAsync("debian:debian", default);
            Assert.Equal(["CVE-2023-4911", "CVE-2024-2961"], state.Keys.Order(StringComparer.Ordinal));
            Assert.Equal(
                [AdvisoryKey.Create(PackageTypes.Deb, "bookworm", "glibc"), AdvisoryKey.Create(PackageTypes.Deb, "sid", "glibc")],
                state["CVE-2023-4911"].Keys.OrderBy(k => k.Release, StringComparer.Ordinal));

            await store.DeleteAsync("debian:debian", ["CVE-2023-4911", "unknown"], default);
            Assert.Equal(new Dictionary<string, int> { ["debian:debian"] = 1, ["other"] = 1 }, await store.CountByFeedAsync(default));
            Assert.Empty(await store.FindAsync("DSA-5514-1", default));
            var all = new List<StoredAdvisory>();
            await foreach (var s in store.ReadAllAsync(default)) all.Add(s);
            Assert.Equal(["debian:debian CVE-2024-2961", "other CVE-2023-4911"], all.Select(s => $"{s.Feed} {s.Advisory.Id}").Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public async Task Imports_AreRecordedNewestFirst()
    {
        using var db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        var store = new SqliteAdvisoryStore(db);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        var first = await store.RecordImportAsync(new AdvisoryImportRecord { ImportedAt = at, Feed = "osv:go", Source = "osv", Path = "/data/go", Added = 5, Duration = TimeSpan.FromMilliseconds(1500) }, default);
        var second = await store.RecordImportAsync(new AdvisoryImportRecord { ImportedAt = at.AddMinutes(1), Feed = "osv:go", Source = "osv", Path = "/data/go", Changed = 1, Unchanged = 4, Removed = 2, Warnings = 3 }, default);
        Assert.True(second.Id > first.Id);
        var history = await store.ListImportsAsync(10, default);
        Assert.Equal([second.Id, first.Id], history.Select(h => h.Id));
        Assert.Equal(second, history[0]);
        Assert.Equal(first, history[1]);
        Assert.Single(await store.ListImportsAsync(1, default));
    }
}
