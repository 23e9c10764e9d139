using Bollard.Core.Health;

namespace Bollard.Core.Jobs;

/// <summary>
/// Enqueues each registered <see cref="RecurringJob"/> when its schedule is due, through
/// <see cref="IJobStore.EnqueueIfDueAsync"/>: the schedule (next due time) lives in the store and advances in the
/// same transaction that enqueues the run, unique by kind, so with several nodes sharing the store each interval
/// enqueues at most one run and never a second one while a run is queued or running (a slow run delays the next one,
/// it never stacks them). The first run is due one interval after the schedule is first seen. A recurring job with
/// a zero interval is off. It wakes at the earliest due time, and at least every <see cref="MaxSleep"/> (another
/// node may have moved the schedule, or the interval changed). A failing store is reported as
/// <see cref="Component"/> and retried; nothing ends <see cref="RunAsync"/> but its token. One per process.
/// </summary>
public sealed class RecurringJobScheduler
{
    /// <summary>The <see cref="BackgroundHealth"/> component of the scheduler.</summary>
    public const string Component = "jobs:schedule";

    /// <summary>The longest the scheduler sleeps between looks at the store.</summary>
    public static readonly TimeSpan MaxSleep = TimeSpan.FromMinutes(1);

    private readonly IJobStore _store;
    private readonly IReadOnlyList<RecurringJob> _jobs;
    private readonly BackgroundHealth _health;
    private readonly JobOptions _options;
    private readonly TimeProvider _time;

    public RecurringJobScheduler(IJobStore store, IEnumerable<RecurringJob> jobs, BackgroundHealth health, JobOptions options, TimeProvider time)
    {
        _store = store;
        _health = health;
        _options = options;
        _time = time;
        _jobs = jobs.ToList();
        var twice = _jobs.GroupBy(j => j.Kind, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new InvalidOperationException($"Two recurring jobs of kind '{twice.Key}'.");
        var negative = _jobs.FirstOrDefault(j => j.Interval < TimeSpan.Zero);
        if (negative is not null) throw new InvalidOperationException($"The recurring job '{negative.Kind}' has a negative interval.");
    }

    /// <summary>The recurring jobs that are on (interval above zero).</summary>
    public IReadOnlyList<RecurringJob> Active => _jobs.Where(j => j.Interval > TimeSpan.Zero).ToList();

    /// <summary>Looks at every active schedule once and enqueues the due runs.</summary>
    /// <returns>When the earliest schedule is due next (null when none is active).</returns>
    public async Task<DateTimeOffset?> TickAsync(CancellationToken ct)
    {
        DateTimeOffset? earliest = null;
        foreach (var job in Active)
        {
            var result = await _store.EnqueueIfDueAsync(job.Kind, job.Payload, job.Interval, job.MaxAttempts ?? _options.DefaultMaxAttempts, ct).ConfigureAwait(false);
            if (earliest is null || result.NextDueAt < earliest) earliest = result.NextDueAt;
        }
        return earliest;
    }

    /// <summary>Ticks until <paramref name="ct"/> is cancelled.</summary>
    /// <param name="onFailure">Told of each store failure, for the log; must not throw.</param>
    public async Task RunAsync(Action<Exception> onFailure, CancellationToken ct)
    {
        if (Active.Count == 0) return;
        int failures = 0;
        while (!ct.IsCancellationRequested)
        {
            var wait = MaxSleep;
            try
            {
                var next = await TickAsync(ct).ConfigureAwait(false);
                failures = 0;
                _health.Healthy(Component);
                if (next is { } due)
                {
                    var untilDue = due - _time.GetUtcNow();
                    wait = untilDue <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : untilDue < MaxSleep ? untilDue : MaxSleep;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                failures++;
                _health.Failing(Component, $"scheduling jobs: {e.GetType().Name}: {e.Message}");
                onFailure(e);
                wait = RetryBackoff.Exponential(_options.PollInterval, MaxSleep, failures);
            }
            try
            {
                await Task.Delay(wait, _time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }
}
