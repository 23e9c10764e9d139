using System.Collections.Concurrent;
using Bollard.Core.Health;

namespace Bollard.Core.Jobs;

/// <summary>
/// Runs background jobs from the <see cref="IJobStore"/>: claims as many as <see cref="JobOptions.MaxConcurrency"/>
/// allows, leased to <see cref="Owner"/>, renews each lease every third of <see cref="JobOptions.LeaseDuration"/>
/// while its handler runs (and stops the handler when renewals fail until the lease would run out), and records the outcome: success, a retry after exponential backoff, failure for good
/// (with the last error) after <see cref="JobRecord.MaxAttempts"/>, or cancellation. It claims only kinds that have
/// a registered <see cref="IJobHandler"/>: a job of another kind stays queued until a node that has its handler
/// (a newer version, another feature set) claims it. A failing job is logged (through <c>onFailure</c>) and its
/// error stored with the job (<see cref="JobRecord.LastError"/>), not reported to <see cref="BackgroundHealth"/>: one
/// bad job must not take every node out of the load balancer. A failing store (a locked database, a full disk) is
/// reported as <c>jobs</c> and retried with backoff. Nothing a job or the store does ends <see cref="RunAsync"/>.
/// One runner per process, run by a hosted service.
/// </summary>
public sealed class JobRunner
{
    /// <summary>The <see cref="BackgroundHealth"/> component of the runner itself (claims, renewals, outcomes).</summary>
    public const string Component = "jobs";

    private readonly IJobStore _store;
    private readonly Dictionary<string, IJobHandler> _handlers = new(StringComparer.Ordinal);
    private readonly BackgroundHealth _health;
    private readonly JobOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<long, Task> _running = new();
    private TaskCompletionSource _slotFreed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public JobRunner(IJobStore store, IEnumerable<IJobHandler> handlers, BackgroundHealth health, JobOptions options, TimeProvider time)
    {
        _store = store;
        _health = health;
        _options = options;
        _time = time;
        foreach (var handler in handlers)
            if (!_handlers.TryAdd(handler.Kind, handler))
                throw new InvalidOperationException(
                    $"Two job handlers for kind '{handler.Kind}': {_handlers[handler.Kind].GetType().Name} and {handler.GetType().Name}.");
    }

    /// <summary>This runner's lease owner name: unique per process and instance.</summary>
    public string Owner { get; } = $"{Environment.MachineName}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    /// <summary>Jobs running now.</summary>
    public int Running => _running.Count;

    /// <summary>The kinds this runner claims.</summary>
    public IReadOnlyCollection<string> Kinds => _handlers.Keys;

    /// <summary>Enqueues a job (a convenience over <see cref="IJobStore.EnqueueAsync"/> with the default attempts).</summary>
    public ValueTask<long> EnqueueAsync(string kind, string payload, CancellationToken ct, DateTimeOffset? runAt = null, int? maxAttempts = null) =>
        _store.EnqueueAsync(kind, payload, runAt ?? _time.GetUtcNow(), maxAttempts ?? _options.DefaultMaxAttempts, ct);

    /// <summary>Claims and runs jobs until <paramref name="ct"/> is cancelled, then waits for the running ones to stop.</summary>
    /// <param name="onFailure">Told of each failure (kind or <c>jobs</c>, exception), for the log; must not throw.</param>
    public async Task RunAsync(Action<string, Exception> onFailure, CancellationToken ct)
    {
        if (_handlers.Count == 0) return;
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            // Taken before claiming, so a job that ends while claiming wakes the wait below.
            var freed = Volatile.Read(ref _slotFreed).Task;
            var wait = _options.PollInterval;
            try
            {
                await ClaimAndStartAsync(onFailure, ct).ConfigureAwait(false);
                failures = 0;
                _health.Healthy(Component);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                // The store itself failed (a locked database, a full disk): back off, never stop.
                failures++;
                _health.Failing(Component, $"claiming jobs: {e.GetType().Name}: {e.Message}");
                onFailure(Component, e);
                wait = RetryBackoff.Exponential(_options.PollInterval, _options.RetryMax, failures);
            }
            using var delayCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var delay = Task.Delay(wait, _time, delayCts.Token);
            await Task.WhenAny(freed, delay).ConfigureAwait(false);
            await delayCts.CancelAsync().ConfigureAwait(false);
        }
        await Task.WhenAll(_running.Values).ConfigureAwait(false);
    }

    /// <summary>One claim: as many runnable jobs as there are free slots, each started on its own task.</summary>
    /// <returns>The started jobs' tasks (they never fault). Throws when the store fails to claim.</returns>
    public async Task<IReadOnlyList<Task>> ClaimAndStartAsync(Action<string, Exception> onFailure, CancellationToken ct)
    {
        int free = _options.MaxConcurrency - _running.Count;
        if (free <= 0 || _handlers.Count == 0) return [];
        var claimed = await _store.ClaimAsync(Owner, _handlers.Keys, free, _options.LeaseDuration, ct).ConfigureAwait(false);
        var started = new List<Task>(claimed.Count);
        foreach (var job in claimed)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var task = Task.Run(async () =>
            {
                await gate.Task.ConfigureAwait(false);
                await ExecuteAsync(job, onFailure, ct).ConfigureAwait(false);
            }, CancellationToken.None);
            _running[job.Id] = task;
            _ = task.ContinueWith(t =>
            {
                // Only this task's entry: the same job may already run again here (a retry due at once).
                _running.TryRemove(new KeyValuePair<long, Task>(job.Id, t));
                Interlocked.Exchange(ref _slotFreed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
            gate.SetResult();
            started.Add(task);
        }
        return started;
    }

    private async Task ExecuteAsync(JobRecord job, Action<string, Exception> onFailure, CancellationToken hostCt)
    {
        using var jobCts = CancellationTokenSource.CreateLinkedTokenSource(hostCt);
        using var stopRenewal = new CancellationTokenSource();
        var leaseEnded = new Flag();
        var renewal = RenewAsync(job, jobCts, leaseEnded, onFailure, stopRenewal.Token);
        Exception? error = null;
        try
        {
            await _handlers[job.Kind].RunAsync(new JobContext(job, _store, Owner), jobCts.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            error = e;
        }
        await stopRenewal.CancelAsync().ConfigureAwait(false);
        await renewal.ConfigureAwait(false);
        try
        {
            if (error is null)
            {
                // false: the lease was lost meanwhile, and the new holder records the outcome.
                await _store.CompleteAsync(job.Id, Owner, CancellationToken.None).ConfigureAwait(false);
            }
            else if (leaseEnded.Value)
            {
                // Cancelled (acknowledged here), or the lease was lost (false: another runner has the job now).
                await _store.AcknowledgeCancelAsync(job.Id, Owner, CancellationToken.None).ConfigureAwait(false);
            }
            else if (hostCt.IsCancellationRequested && error is OperationCanceledException)
            {
                // The host is stopping: give the job back at once, so another node need not wait for the lease.
                await _store.FailAsync(job.Id, Owner, "interrupted: the host stopped", _time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
            }
            else
            {
                bool permanent = error is IPermanentJobFailure;
                bool retry = !permanent && job.Attempts < job.MaxAttempts;
                string reason = permanent ? error.Message : $"{error.GetType().Name}: {error.Message}";
                onFailure(job.Kind, error);
                var retryAt = retry ? _time.GetUtcNow() + RetryBackoff.Exponential(_options.RetryBase, _options.RetryMax, job.Attempts) : (DateTimeOffset?)null;
                await _store.FailAsync(job.Id, Owner, reason, retryAt, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception storeFailure)
        {
            // Not recorded: the lease runs out and the job is claimed again (a job may run more than once).
            _health.Failing(Component, $"recording job {job.Id}: {storeFailure.GetType().Name}: {storeFailure.Message}");
            onFailure(Component, storeFailure);
        }
    }

    /// <summary>
    /// Renews the lease every third of its duration; when renewal says stop (lost or cancelled), cancels the job. When
    /// renewals fail (the store is unreachable) until the lease would run out before the next tick, cancels the job
    /// too: another runner may claim it once the lease expires, and the two must not run it at once.
    /// </summary>
    private async Task RenewAsync(JobRecord job, CancellationTokenSource jobCts, Flag leaseEnded, Action<string, Exception> onFailure, CancellationToken stop)
    {
        var period = _options.LeaseDuration / 3;
        var expires = job.LeaseExpiresAt ?? _time.GetUtcNow() + _options.LeaseDuration;
        using var timer = new PeriodicTimer(period, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                var asked = _time.GetUtcNow();
                bool held;
                try
                {
                    held = await _store.RenewLeaseAsync(job.Id, Owner, _options.LeaseDuration, stop).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    _health.Failing(Component, $"renewing the lease of job {job.Id}: {e.GetType().Name}: {e.Message}");
                    onFailure(Component, e);
                    if (_time.GetUtcNow() + period < expires) continue; // try again at the next tick, the lease still holds
                    held = false; // give the job up before its lease runs out
                }
                if (held)
                {
                    expires = asked + _options.LeaseDuration;
                    continue;
                }
                leaseEnded.Value = true;
                await jobCts.CancelAsync().ConfigureAwait(false);
                return;
            }
        }
        catch (OperationCanceledException)
        {
            // the job ended
        }
    }

    private sealed class Flag
    {
        public volatile bool Value;
    }
}
