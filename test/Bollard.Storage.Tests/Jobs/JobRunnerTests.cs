using Bollard.Core.Health;
using Bollard.Core.Jobs;
using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Bollard.Storage.Tests.Jobs;

/// <summary>
/// The job runner over the real <see cref="SqliteJobStore"/> in a temp folder, on a clock the test moves. Waits are
/// bounded (<see cref="EventuallyAsync"/>), never timed assertions.
/// </summary>
public sealed class JobRunnerTests : IDisposable
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-jobrunner-").FullName;
    private readonly SqliteDatabase _db;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly SqliteJobStore _store;
    private readonly BackgroundHealth _health;
    private readonly List<(string Kind, Exception Error)> _failures = [];

    private static readonly JobOptions Options = new()
    {
        MaxConcurrency = 2, LeaseDuration = Lease, PollInterval = TimeSpan.FromSeconds(1),
        RetryBase = TimeSpan.FromSeconds(10), RetryMax = TimeSpan.FromMinutes(5), DefaultMaxAttempts = 3,
    };

    public JobRunnerTests()
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
    public async Task RunAsync_RunsAJobOnce_AndItSucceeds()
    {
        int calls = 0;
        string? payload = null;
        var runner = Runner(new Handler("gc", (ctx, _) =>
        {
            Interlocked.Increment(ref calls);
            payload = ctx.Job.Payload;
            return Task.CompletedTask;
        }));
        long id = await runner.EnqueueAsync("gc", """{"repo":"a"}""", default);

        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(OnFailure, stop.Token);
        await EventuallyAsync(async () => (await _store.GetAsync(id, default))!.State == JobState.Succeeded, () => _clock.Advance(Options.PollInterval));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        var job = (await _store.GetAsync(id, default))!;
        Assert.Equal((1, 1, """{"repo":"a"}""", 1.0, (string?)null), (calls, job.Attempts, payload, job.Progress, job.LeaseOwner));
        Assert.Contains(_health.Snapshot(), s => s is { Component: JobRunner.Component, Healthy: true });
        Assert.Empty(_failures);
    }

    [Fact]
    public async Task ThrowingHandler_IsRetriedWithExponentialBackoff_ThenFailedWithItsError()
    {
        int calls = 0;
        // Throws synchronously, not from an async body: still only fails the attempt.
        var runner = Runner(new Handler("scan", (_, _) => throw new IOException($"disk full {Interlocked.Increment(ref calls)}")));
        long id = await runner.EnqueueAsync("scan", "{}", default);

        await RunClaimedAsync(runner, expected: 1);
        var job = (await _store.GetAsync(id, default))!;
        Assert.Equal((JobState.Queued, 1, "IOException: disk full 1"), (job.State, job.Attempts, job.LastError));
        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromSeconds(10), job.NextRunAt);
        Assert.True(_health.AllHealthy); // a job's own failure is the job's, not the node's: /readyz stays ready

        _clock.Advance(TimeSpan.FromSeconds(9));
        await RunClaimedAsync(runner, expected: 0); // not due yet
        _clock.Advance(TimeSpan.FromSeconds(1));
        await RunClaimedAsync(runner, expected: 1);
        job = (await _store.GetAsync(id, default))!;
        Assert.Equal((JobState.Queued, 2), (job.State, job.Attempts));
        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromSeconds(20), job.NextRunAt); // doubled

        _clock.Advance(TimeSpan.FromSeconds(20));
        await RunClaimedAsync(runner, expected: 1);
        job = (await _store.GetAsync(id, default))!;
        Assert.Equal((JobState.Failed, 3, "IOException: disk full 3", (string?)null), (job.State, job.Attempts, job.LastError, job.LeaseOwner));

        _clock.Advance(TimeSpan.FromHours(1));
        await RunClaimedAsync(runner, expected: 0);
        Assert.Equal(3, calls);
        Assert.Equal(3, _failures.Count(f => f.Kind == "scan" && f.Error is IOException));
    }

    [Fact]
    public async Task Cancel_FiresTheHandlersToken_AndTheJobEndsCancelled()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool sawCancel = false;
        var runner = Runner(new Handler("gc", async (_, ct) =>
        {
            started.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                sawCancel = true;
                throw;
            }
        }));
        long id = await runner.EnqueueAsync("gc", "{}", default);
        var task = Assert.Single(await runner.ClaimAndStartAsync(OnFailure, default));
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(await _store.CancelAsync(id, default));
        await EventuallyAsync(() => Task.FromResult(task.IsCompleted), () => _clock.Advance(Lease / 3));

        var job = (await _store.GetAsync(id, default))!;
        Assert.True(sawCancel);
        Assert.Equal((JobState.Cancelled, (string?)null), (job.State, job.LeaseOwner));
        Assert.Empty(_failures); // a cancel is not a failure
    }

    [Fact]
    public async Task Progress_ReportedByTheHandler_IsStored()
    {
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runner = Runner(new Handler("gc", async (ctx, ct) =>
        {
            Assert.True(await ctx.ReportProgressAsync(0.4, "4 of 10 repositories", ct));
            Assert.True(await ctx.ReportProgressAsync(7, null, ct) && await ctx.ReportProgressAsync(0.5, "half", ct)); // clamped, then overwritten
            reported.SetResult();
            await finish.Task.WaitAsync(ct);
        }));
        long id = await runner.EnqueueAsync("gc", "{}", default);
        var task = Assert.Single(await runner.ClaimAndStartAsync(OnFailure, default));
        await reported.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var job = (await _store.GetAsync(id, default))!;
        Assert.Equal((JobState.Running, 0.5, "half"), (job.State, job.Progress, job.ProgressMessage));

        finish.SetResult();
        await task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((JobState.Succeeded, 1.0), ((await _store.GetAsync(id, default))!.State, (await _store.GetAsync(id, default))!.Progress));
    }

    [Fact]
    public async Task TwoRunners_NeverRunTheSameJobAtOnce_AndAJobWhoseLeaseExpiredIsPickedUpByTheOther()
    {
        int current = 0, max = 0;
        var aStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool aSawCancel = false;
        var cutOff = new FlakyJobStore(_store);
        var a = Runner(new Handler("gc", async (_, ct) =>
        {
            Enter(ref current, ref max);
            try
            {
                aStarted.SetResult();
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                aSawCancel = true;
                throw;
            }
            finally
            {
                Interlocked.Decrement(ref current);
            }
        }), store: cutOff);
        var b = Runner(new Handler("gc", (_, _) =>
        {
            Enter(ref current, ref max);
            Interlocked.Decrement(ref current);
            return Task.CompletedTask;
        }));
        Assert.NotEqual(a.Owner, b.Owner);
        long id = await a.EnqueueAsync("gc", "{}", default);

        var aTask = Assert.Single(await a.ClaimAndStartAsync(OnFailure, default));
        await aStarted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(await b.ClaimAndStartAsync(OnFailure, default)); // leased to a
        Assert.Equal(a.Owner, (await _store.GetAsync(id, default))!.LeaseOwner);

        // a's node loses the database: its renewals fail, and it stops the job before the lease runs out.
        cutOff.Down = true;
        await EventuallyAsync(() => Task.FromResult(aTask.IsCompleted), () => _clock.Advance(Lease / 3));
        Assert.True(aSawCancel);
        Assert.Contains(_failures, f => f.Kind == JobRunner.Component && f.Error is SqliteException);
        Assert.Equal((JobState.Running, a.Owner), ((await _store.GetAsync(id, default))!.State, (await _store.GetAsync(id, default))!.LeaseOwner));

        // Once the lease expired, b picks the job up and runs it to the end.
        _clock.Advance(Lease);
        var bTask = Assert.Single(await b.ClaimAndStartAsync(OnFailure, default));
        await bTask.WaitAsync(TimeSpan.FromSeconds(30));
        var job = (await _store.GetAsync(id, default))!;
        Assert.Equal((JobState.Succeeded, 2, (string?)null), (job.State, job.Attempts, job.LeaseOwner));
        Assert.Equal(1, max);

        // a comes back: nothing it does changes b's outcome.
        cutOff.Down = false;
        Assert.Empty(await a.ClaimAndStartAsync(OnFailure, default));
        job = (await _store.GetAsync(id, default))!;
        Assert.Equal((JobState.Succeeded, 2, (string?)null), (job.State, job.Attempts, job.LastError));
    }

    [Fact]
    public async Task MaxConcurrency_BoundsTheJobsRunningAtOnce()
    {
        int current = 0, max = 0, started = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runner = Runner(new Handler("gc", async (_, ct) =>
        {
            Enter(ref current, ref max);
            Interlocked.Increment(ref started);
            try
            {
                await release.Task.WaitAsync(ct);
            }
            finally
            {
                Interlocked.Decrement(ref current);
            }
        }));
        var ids = new List<long>();
        for (int i = 0; i < 5; i++) ids.Add(await runner.EnqueueAsync("gc", "{}", default));

        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(OnFailure, stop.Token);
        await EventuallyAsync(() => Task.FromResult(Volatile.Read(ref started) == 2), () => { });
        for (int i = 0; i < 5; i++)
        {
            _clock.Advance(Options.PollInterval); // polls while both slots are taken
            Assert.Empty(await runner.ClaimAndStartAsync(OnFailure, default));
        }
        Assert.Equal((2, 2), (runner.Running, Volatile.Read(ref started)));
        Assert.Equal(3, await CountAsync(ids, JobState.Queued));

        release.SetResult();
        await EventuallyAsync(async () => await CountAsync(ids, JobState.Succeeded) == 5, () => _clock.Advance(Options.PollInterval));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((2, 5), (max, started));
    }

    [Fact]
    public async Task AJobOfAKindWithoutAHandler_StaysQueuedForANodeThatHasOne()
    {
        var runner = Runner(new Handler("gc", (_, _) => Task.CompletedTask));
        long orphan = await runner.EnqueueAsync("scan", "{}", default);
        await RunClaimedAsync(runner, expected: 0);
        var job = (await _store.GetAsync(orphan, default))!;
        Assert.Equal((JobState.Queued, 0), (job.State, job.Attempts));
        Assert.Equal(["gc"], runner.Kinds);
    }

    [Fact]
    public void TwoHandlersForOneKind_AreAConfigurationError()
    {
        var e = Assert.Throws<InvalidOperationException>(() =>
            Runner(new Handler("gc", (_, _) => Task.CompletedTask), new Handler("gc", (_, _) => Task.CompletedTask)));
        Assert.Contains("'gc'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFailingStore_IsReportedAsJobs_AndTheRunnerRecovers()
    {
        var flaky = new FlakyJobStore(_store) { FailClaims = 2 };
        var runner = Runner(new Handler("gc", (_, _) => Task.CompletedTask), store: flaky);
        long id = await runner.EnqueueAsync("gc", "{}", default);
        var seen = new List<ComponentStatus>();
        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync((kind, e) =>
        {
            OnFailure(kind, e);
            lock (seen) seen.AddRange(_health.Snapshot());
        }, stop.Token);

        await EventuallyAsync(async () => (await _store.GetAsync(id, default))!.State == JobState.Succeeded, () => _clock.Advance(Options.PollInterval));
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, _failures.Count(f => f.Kind == JobRunner.Component && f.Error is SqliteException));
        lock (seen) Assert.Contains(seen, s => s is { Component: "jobs", Healthy: false } && s.Error!.Contains("database is locked", StringComparison.Ordinal));
        Assert.Contains(_health.Snapshot(), s => s is { Component: "jobs", Healthy: true });
    }

    private JobRunner Runner(params IJobHandler[] handlers) => Runner(handlers, null);

    private JobRunner Runner(IJobHandler handler, IJobStore store) => Runner([handler], store);

    private JobRunner Runner(IJobHandler[] handlers, IJobStore? store) => new(store ?? _store, handlers, _health, Options, _clock);

    private void OnFailure(string kind, Exception e)
    {
        lock (_failures) _failures.Add((kind, e));
    }

    /// <summary>Claims once and waits for the claimed jobs to end.</summary>
    private async Task RunClaimedAsync(JobRunner runner, int expected)
    {
        await EventuallyAsync(() => Task.FromResult(runner.Running == 0), () => { });
        var tasks = await runner.ClaimAndStartAsync(OnFailure, default);
        Assert.Equal(expected, tasks.Count);
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(30));
        await EventuallyAsync(() => Task.FromResult(runner.Running == 0), () => { });
    }

    private async Task<int> CountAsync(IEnumerable<long> ids, JobState state)
    {
        int n = 0;
        foreach (long id in ids)
            if ((await _store.GetAsync(id, default))!.State == state) n++;
        return n;
    }

    private static void Enter(ref int current, ref int max)
    {
        int now = Interlocked.Increment(ref current);
        int seen;
        while (now > (seen = Volatile.Read(ref max)) && Interlocked.CompareExchange(ref max, now, seen) != seen)
        {
        }
    }

    /// <summary>Waits (bounded: a few thousand short rounds) until <paramref name="done"/>, calling <paramref name="step"/> between checks.</summary>
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

    private sealed class Handler(string kind, Func<JobContext, CancellationToken, Task> run) : IJobHandler
    {
        public string Kind => kind;

        public Task RunAsync(JobContext context, CancellationToken ct) => run(context, ct);
    }

    /// <summary>The real store, with claims that fail a number of times, or every call failing while <see cref="Down"/>.</summary>
    private sealed class FlakyJobStore(IJobStore inner) : IJobStore
    {
        private int _failClaims;

        public int FailClaims { get => _failClaims; init => _failClaims = value; }

        public volatile bool Down;

        private void Check()
        {
            if (Down) throw new SqliteException("SQLite Error 5: 'database is locked'.", 5);
        }

        public ValueTask<long> EnqueueAsync(string kind, string payload, DateTimeOffset runAt, int maxAttempts, CancellationToken ct)
        {
            Check();
            return inner.EnqueueAsync(kind, payload, runAt, maxAttempts, ct);
        }

        public ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(string owner, IReadOnlyCollection<string> kinds, int limit, TimeSpan lease, CancellationToken ct)
        {
            Check();
            if (Interlocked.Decrement(ref _failClaims) >= 0) throw new SqliteException("SQLite Error 5: 'database is locked'.", 5);
            return inner.ClaimAsync(owner, kinds, limit, lease, ct);
        }

        public ValueTask<bool> RenewLeaseAsync(long id, string owner, TimeSpan lease, CancellationToken ct)
        {
            Check();
            return inner.RenewLeaseAsync(id, owner, lease, ct);
        }

        public ValueTask<bool> ReportProgressAsync(long id, string owner, double progress, string? message, CancellationToken ct)
        {
            Check();
            return inner.ReportProgressAsync(id, owner, progress, message, ct);
        }

        public ValueTask<bool> CompleteAsync(long id, string owner, CancellationToken ct)
        {
            Check();
            return inner.CompleteAsync(id, owner, ct);
        }

        public ValueTask<bool> FailAsync(long id, string owner, string reason, DateTimeOffset? retryAt, CancellationToken ct)
        {
            Check();
            return inner.FailAsync(id, owner, reason, retryAt, ct);
        }

        public ValueTask<bool> CancelAsync(long id, CancellationToken ct)
        {
            Check();
            return inner.CancelAsync(id, ct);
        }

        public ValueTask<bool> AcknowledgeCancelAsync(long id, string owner, CancellationToken ct)
        {
            Check();
            return inner.AcknowledgeCancelAsync(id, owner, ct);
        }

        public ValueTask<JobRecord?> GetAsync(long id, CancellationToken ct)
        {
            Check();
            return inner.GetAsync(id, ct);
        }

        public ValueTask<JobEnqueueResult> EnqueueUniqueAsync(string kind, string uniqueKey, string payload, DateTimeOffset runAt, int maxAttempts, CancellationToken ct)
        {
            Check();
            return inner.EnqueueUniqueAsync(kind, uniqueKey, payload, runAt, maxAttempts, ct);
        }

        public ValueTask<ScheduleResult> EnqueueIfDueAsync(string kind, string payload, TimeSpan interval, int maxAttempts, CancellationToken ct)
        {
            Check();
            return inner.EnqueueIfDueAsync(kind, payload, interval, maxAttempts, ct);
        }

        public ValueTask<IReadOnlyList<JobRecord>> ListAsync(string kind, int limit, CancellationToken ct)
        {
            Check();
            return inner.ListAsync(kind, limit, ct);
        }

        public ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken ct)
        {
            Check();
            return inner.CountAsync(ct);
        }

        public ValueTask<int> PruneEndedAsync(DateTimeOffset endedBefore, int keepPerKind, CancellationToken ct)
        {
            Check();
            return inner.PruneEndedAsync(endedBefore, keepPerKind, ct);
        }
    }
}
