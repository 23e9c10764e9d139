using Bollard.Core.Gc;
using Bollard.Core.Jobs;
using Bollard.Core.Oci;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Bollard.Storage.Tests.Jobs;

/// <summary>Ended jobs are pruned by age, the newest of each kind are kept, live jobs are never touched, and a GC run's
/// record and items go with its job.</summary>
public sealed class JobPruneTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-jobprune-").FullName;
    private readonly SqliteDatabase _db;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly SqliteJobStore _store;
    private readonly SqliteGcStore _gc;

    public JobPruneTests()
    {
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        _store = new SqliteJobStore(_db, _clock);
        _gc = new SqliteGcStore(_db, _clock);
    }

    public void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task PruneEnded_DeletesOldEndedJobs_KeepsTheNewestPerKind_AndNeverLiveOnes()
    {
        var old = new List<long>();
        for (int i = 0; i < 5; i++) old.Add(await RunToEndAsync("sweep", succeed: i % 2 == 0));
        long oldOther = await RunToEndAsync("gc", succeed: true);
        long queued = await _store.EnqueueAsync("sweep", "{}", _clock.GetUtcNow().AddYears(1), 3, default); // not due: stays queued
        long running = await _store.EnqueueAsync("gc", "{}", _clock.GetUtcNow(), 3, default);
        Assert.Single(await _store.ClaimAsync("owner", ["gc"], 10, TimeSpan.FromDays(400), default));
        _clock.Advance(TimeSpan.FromDays(40));
        long recent = await RunToEndAsync("sweep", succeed: true);

        // Keep 2 per kind: the newest ended "sweep" jobs (recent, old[4]) and the only ended "gc" stay whatever their age.
        int deleted = await _store.PruneEndedAsync(_clock.GetUtcNow() - TimeSpan.FromDays(30), keepPerKind: 2, default);

        Assert.Equal(4, deleted);
        foreach (long id in old.Take(4)) Assert.Null(await _store.GetAsync(id, default));
        Assert.NotNull(await _store.GetAsync(old[4], default));
        Assert.NotNull(await _store.GetAsync(recent, default));
        Assert.NotNull(await _store.GetAsync(oldOther, default));
        Assert.Equal(JobState.Queued, (await _store.GetAsync(queued, default))!.State);
        Assert.Equal(JobState.Running, (await _store.GetAsync(running, default))!.State);

        // Nothing is younger than the cut-off except what is kept anyway: a second prune deletes nothing.
        Assert.Equal(0, await _store.PruneEndedAsync(_clock.GetUtcNow() - TimeSpan.FromDays(30), keepPerKind: 2, default));
    }

    [Fact]
    public async Task PruneEnded_KeepZero_DeletesEveryOldEndedJob()
    {
        long a = await RunToEndAsync("sweep", succeed: true);
        _clock.Advance(TimeSpan.FromHours(2));
        Assert.Equal(1, await _store.PruneEndedAsync(_clock.GetUtcNow() - TimeSpan.FromHours(1), keepPerKind: 0, default));
        Assert.Null(await _store.GetAsync(a, default));
    }

    [Fact]
    public async Task PrunedGcJob_TakesItsRunAndItems_TheKeptRunStays()
    {
        long old = await FinishedGcRunAsync();
        _clock.Advance(TimeSpan.FromDays(40));
        long recent = await FinishedGcRunAsync();

        Assert.Equal(1, await _store.PruneEndedAsync(_clock.GetUtcNow() - TimeSpan.FromDays(30), keepPerKind: 0, default));

        Assert.Null(await _gc.GetAsync(old, default));
        Assert.Empty(await _gc.ListItemsAsync(old, 0, 10, default));
        Assert.NotNull(await _gc.GetAsync(recent, default));
        Assert.Single(await _gc.ListItemsAsync(recent, 0, 10, default));
    }

    private async Task<long> FinishedGcRunAsync()
    {
        long id = await RunToEndAsync(GcJobHandler.JobKind, succeed: true, beforeEnd: async id =>
        {
            Assert.True(await _gc.StartAsync(id, dryRun: false, "test", default));
            await _gc.AddItemsAsync(id, [new GcItem(GcItemKind.Blob, "", Digest.Parse("sha256:" + new string('a', 64)), 10)], default);
            await _gc.FinishAsync(id, default);
        });
        return id;
    }

    private async Task<long> RunToEndAsync(string kind, bool succeed, Func<long, Task>? beforeEnd = null)
    {
        long id = await _store.EnqueueAsync(kind, "{}", _clock.GetUtcNow(), 1, default);
        var claimed = await _store.ClaimAsync("owner", [kind], 10, TimeSpan.FromMinutes(1), default);
        Assert.Contains(claimed, j => j.Id == id);
        if (beforeEnd is not null) await beforeEnd(id);
        Assert.True(succeed
            ? await _store.CompleteAsync(id, "owner", default)
            : await _store.FailAsync(id, "owner", "boom", null, default));
        return id;
    }
}
