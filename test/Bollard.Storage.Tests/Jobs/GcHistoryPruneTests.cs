using Bollard.Core.Gc;
using Bollard.Core.Oci;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Bollard.Storage.Tests.Jobs;

/// <summary>A GC run's record and items are deleted with its job when jobs-prune removes it, and only then.</summary>
public sealed class GcHistoryPruneTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-gchistory-").FullName;
    private readonly SqliteDatabase _db;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly SqliteJobStore _jobs;
    private readonly SqliteGcStore _gc;

    public GcHistoryPruneTests()
    {
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        _jobs = new SqliteJobStore(_db, _clock);
        _gc = new SqliteGcStore(_db, _clock);
    }

    public void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task PrunedGcJob_TakesItsRunAndItems_TheKeptRunStays()
    {
        long old = await FinishedRunAsync();
        _clock.Advance(TimeSpan.FromDays(40));
        long recent = await FinishedRunAsync();

        Assert.Equal(1, await _jobs.PruneEndedAsync(_clock.GetUtcNow() - TimeSpan.FromDays(30), keepPerKind: 0, default));

        Assert.Null(await _gc.GetAsync(old, default));
        Assert.Empty(await _gc.ListItemsAsync(old, 0, 10, default));
        Assert.NotNull(await _gc.GetAsync(recent, default));
        Assert.Single(await _gc.ListItemsAsync(recent, 0, 10, default));
    }

    private async Task<long> FinishedRunAsync()
    {
        long id = await _jobs.EnqueueAsync(GcJobHandler.JobKind, "{}", _clock.GetUtcNow(), 1, default);
        Assert.Contains(await _jobs.ClaimAsync("owner", [GcJobHandler.JobKind], 10, TimeSpan.FromMinutes(1), default), j => j.Id == id);
        Assert.True(await _gc.StartAsync(id, dryRun: false, "test", default));
        await _gc.AddItemsAsync(id, [new GcItem(GcItemKind.Blob, "", Digest.Parse("sha256:" + new string('a', 64)), 10)], default);
        await _gc.FinishAsync(id, default);
        Assert.True(await _jobs.CompleteAsync(id, "owner", default));
        return id;
    }
}
