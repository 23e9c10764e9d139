using Bollard.Core.Jobs;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Tests.Sqlite;

/// <summary>The job store's claim, lease, retry, cancel and progress rules, on a clock the test moves.</summary>
public sealed class SqliteJobStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-jobs-").FullName;
    private readonly SqliteDatabase _db;
    private readonly Clock _clock = new();
    private readonly SqliteJobStore _jobs;
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    public SqliteJobStoreTests()
    {
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        _jobs = new SqliteJobStore(_db, _clock);
    }

    public void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Claim_TakesDueJobsOnce_AndAnExpiredLeaseGoesToAnotherRunner()
    {
        long id = await _jobs.EnqueueAsync("gc", "{}", _clock.GetUtcNow(), 3, default);
        await _jobs.EnqueueAsync("gc", "{}", _clock.GetUtcNow().AddHours(1), 3, default);
        await _jobs.EnqueueAsync("scan", "{}", _clock.GetUtcNow(), 3, default);

        var a = Assert.Single(await _jobs.ClaimAsync("a", ["gc"], 10, Lease, default));
        Assert.Equal((id, JobState.Running, 1, "a"), (a.Id, a.State, a.Attempts, a.LeaseOwner!));
        Assert.Empty(await _jobs.ClaimAsync("b", ["gc"], 10, Lease, default));
        Assert.True(await _jobs.ReportProgressAsync(id, "a", 0.5, "half", default));

        _clock.Advance(Lease + TimeSpan.FromSeconds(1));
        var b = Assert.Single(await _jobs.ClaimAsync("b", ["gc"], 10, Lease, default));
        Assert.Equal((id, 2, "b", 0.5), (b.Id, b.Attempts, b.LeaseOwner!, b.Progress));
        Assert.False(await _jobs.CompleteAsync(id, "a", default)); // the old owner lost it
        Assert.False(await _jobs.RenewLeaseAsync(id, "a", Lease, default));
        Assert.True(await _jobs.CompleteAsync(id, "b", default));
        Assert.Equal(JobState.Succeeded, (await _jobs.GetAsync(id, default))!.State);
    }

    [Fact]
    public async Task Fail_RetriesAtTheGivenTime_ThenFailsForGood()
    {
        long id = await _jobs.EnqueueAsync("scan", "{}", _clock.GetUtcNow(), 2, default);
        Assert.Single(await _jobs.ClaimAsync("a", ["scan"], 1, Lease, default));
        Assert.True(await _jobs.FailAsync(id, "a", "IOException: disk full", _clock.GetUtcNow().AddSeconds(10), default));
        Assert.Empty(await _jobs.ClaimAsync("a", ["scan"], 1, Lease, default));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Single(await _jobs.ClaimAsync("a", ["scan"], 1, Lease, default));
        Assert.True(await _jobs.FailAsync(id, "a", "IOException: disk full", null, default));
        var job = (await _jobs.GetAsync(id, default))!;
        Assert.Equal((JobState.Failed, 2, "IOException: disk full"), (job.State, job.Attempts, job.LastError!));
    }

    [Fact]
    public async Task Cancel_QueuedAtOnce_RunningThroughTheRunner()
    {
        long queued = await _jobs.EnqueueAsync("gc", "{}", _clock.GetUtcNow().AddHours(1), 3, default);
        Assert.True(await _jobs.CancelAsync(queued, default));
        Assert.Equal(JobState.Cancelled, (await _jobs.GetAsync(queued, default))!.State);
        Assert.False(await _jobs.CancelAsync(queued, default));

        long running = await _jobs.EnqueueAsync("gc", "{}", _clock.GetUtcNow(), 3, default);
        Assert.Single(await _jobs.ClaimAsync("a", ["gc"], 1, Lease, default));
        Assert.True(await _jobs.CancelAsync(running, default));
        Assert.False(await _jobs.RenewLeaseAsync(running, "a", Lease, default));
        Assert.True(await _jobs.AcknowledgeCancelAsync(running, "a", default));
        Assert.Equal(JobState.Cancelled, (await _jobs.GetAsync(running, default))!.State);
    }

    private sealed class Clock : TimeProvider
    {
        private DateTimeOffset _now = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        public override DateTimeOffset GetUtcNow() => _now;
        public void Advance(TimeSpan by) => _now += by;
    }
}
