using Bollard.Core.Health;
using Bollard.Core.Jobs;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Bollard.Storage.Tests.Jobs;

/// <summary>The recurring scheduler and the unique enqueue over the real <see cref="SqliteJobStore"/>, on a clock the test moves.</summary>
public sealed class RecurringJobSchedulerTests : IDisposable
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-schedule-").FullName;
    private readonly SqliteDatabase _db;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly SqliteJobStore _store;
    private readonly BackgroundHealth _health;
    private static readonly JobOptions Options = new() { PollInterval = TimeSpan.FromSeconds(1), DefaultMaxAttempts = 3 };

    public RecurringJobSchedulerTests()
    {
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        _store = new SqliteJobStore(_db, _clock);
        _health = new BackgroundHealth(_clock);
    }

    public void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Tick_EnqueuesOneRunPerInterval_FirstOneIntervalAfterTheScheduleIsSeen()
    {
        var scheduler = Scheduler(new RecurringJob { Kind = "gc", Interval = Hour, Payload = """{"dryRun":false}""" });

        Assert.Equal(_clock.GetUtcNow() + Hour, await scheduler.TickAsync(default));
        Assert.Empty(await _store.ListAsync("gc", 10, default));

        _clock.Advance(Hour - TimeSpan.FromSeconds(1));
        await scheduler.TickAsync(default);
        Assert.Empty(await _store.ListAsync("gc", 10, default));

        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(_clock.GetUtcNow() + Hour, await scheduler.TickAsync(default));
        var job = Assert.Single(await _store.ListAsync("gc", 10, default));
        Assert.Equal((JobState.Queued, """{"dryRun":false}""", 3), (job.State, job.Payload, job.MaxAttempts));

        // Ticking again within the interval adds nothing.
        await scheduler.TickAsync(default);
        Assert.Single(await _store.ListAsync("gc", 10, default));
    }

    [Fact]
    public async Task ARunStillQueuedOrRunning_IsNotDoubled_AndTheNextIntervalAfterItEndsEnqueuesAgain()
    {
        var scheduler = Scheduler(new RecurringJob { Kind = "gc", Interval = Hour });
        await scheduler.TickAsync(default);
        _clock.Advance(Hour);
        await scheduler.TickAsync(default);
        var first = Assert.Single(await _store.ListAsync("gc", 10, default));
        var claimed = Assert.Single(await _store.ClaimAsync("node-a", ["gc"], 1, TimeSpan.FromDays(1), default));

        _clock.Advance(Hour); // due again while the first run is still running
        await scheduler.TickAsync(default);
        Assert.Equal([first.Id], (await _store.ListAsync("gc", 10, default)).Select(j => j.Id));

        Assert.True(await _store.CompleteAsync(claimed.Id, "node-a", default));
        _clock.Advance(Hour);
        await scheduler.TickAsync(default);
        var jobs = await _store.ListAsync("gc", 10, default);
        Assert.Equal(2, jobs.Count);
        Assert.Equal(JobState.Queued, jobs[0].State);
    }

    [Fact]
    public async Task SeveralNodesTickingAtOnce_EnqueueExactlyOneRun()
    {
        // Two nodes: two schedulers (and two store instances) over one database.
        using var otherDb = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        var a = Scheduler(new RecurringJob { Kind = "gc", Interval = Hour });
        var b = new RecurringJobScheduler(new SqliteJobStore(otherDb, _clock), [new RecurringJob { Kind = "gc", Interval = Hour }], _health, Options, _clock);
        await a.TickAsync(default);
        _clock.Advance(Hour);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => (i % 2 == 0 ? a : b).TickAsync(default)));
        Assert.Single(await _store.ListAsync("gc", 10, default));
    }

    [Fact]
    public async Task EnqueueUnique_ReturnsTheActiveJob_UntilItEnds()
    {
        var first = await _store.EnqueueUniqueAsync("gc", "gc", "{}", _clock.GetUtcNow(), 3, default);
        var again = await _store.EnqueueUniqueAsync("gc", "gc", """{"dryRun":true}""", _clock.GetUtcNow(), 3, default);
        Assert.True(first.Created);
        Assert.Equal(new JobEnqueueResult(first.Id, false), again);
        // Another key of the same kind is independent.
        Assert.True((await _store.EnqueueUniqueAsync("gc", "other", "{}", _clock.GetUtcNow(), 3, default)).Created);

        Assert.True(await _store.CancelAsync(first.Id, default));
        var third = await _store.EnqueueUniqueAsync("gc", "gc", "{}", _clock.GetUtcNow(), 3, default);
        Assert.True(third.Created);
        Assert.NotEqual(first.Id, third.Id);
    }

    [Fact]
    public async Task AShortenedInterval_MovesTheNextRunIn_AndAZeroIntervalIsOff()
    {
        var daily = Scheduler(new RecurringJob { Kind = "gc", Interval = TimeSpan.FromDays(1) });
        await daily.TickAsync(default);
        var hourly = Scheduler(new RecurringJob { Kind = "gc", Interval = Hour });
        Assert.Equal(_clock.GetUtcNow() + Hour, await hourly.TickAsync(default));

        var off = Scheduler(new RecurringJob { Kind = "gc", Interval = TimeSpan.Zero });
        Assert.Empty(off.Active);
        _clock.Advance(TimeSpan.FromDays(2));
        Assert.Null(await off.TickAsync(default));
        Assert.Empty(await _store.ListAsync("gc", 10, default));
    }

    [Fact]
    public async Task RunAsync_EnqueuesARunEachTimeTheClockPassesTheInterval()
    {
        var scheduler = Scheduler(new RecurringJob { Kind = "gc", Interval = TimeSpan.FromMinutes(5) });
        using var stop = new CancellationTokenSource();
        var run = scheduler.RunAsync(_ => { }, stop.Token);
        for (int round = 1; round <= 3; round++)
        {
            int expected = round;
            await EventuallyAsync(async () => (await _store.ListAsync("gc", 10, default)).Count == expected, () => _clock.Advance(TimeSpan.FromSeconds(30)));
            foreach (var j in await _store.ListAsync("gc", 10, default))
                if (j.State == JobState.Queued) await _store.CancelAsync(j.Id, default);
        }
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains(_health.Snapshot(), s => s is { Component: RecurringJobScheduler.Component, Healthy: true });
    }

    [Fact]
    public void TwoRecurringJobsOfOneKind_AreAConfigurationError() =>
        Assert.Throws<InvalidOperationException>(() =>
            Scheduler(new RecurringJob { Kind = "gc", Interval = Hour }, new RecurringJob { Kind = "gc", Interval = Hour }));

    private RecurringJobScheduler Scheduler(params RecurringJob[] jobs) => new(_store, jobs, _health, Options, _clock);

    private static async Task EventuallyAsync(Func<Task<bool>> done, Action step)
    {
        for (int i = 0; i < 3000; i++)
        {
            if (await done()) return;
            step();
            await Task.Delay(10);
        }
        Assert.Fail("the condition was not reached");
    }
}
