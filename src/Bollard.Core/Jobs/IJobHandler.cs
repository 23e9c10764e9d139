namespace Bollard.Core.Jobs;

/// <summary>
/// Runs the jobs of one <see cref="Kind"/>. Register with <c>services.AddSingleton&lt;IJobHandler, X&gt;()</c>; the
/// <see cref="JobRunner"/> claims only kinds that have a handler. A job may run more than once (a retry, or a lease
/// that expired while a slow node still worked): make it idempotent. Throwing fails the attempt (retried with
/// backoff until <see cref="JobRecord.MaxAttempts"/>); <paramref name="ct"/> is cancelled when the job is cancelled,
/// its lease is lost, or the host stops.
/// </summary>
public interface IJobHandler
{
    string Kind { get; }

    Task RunAsync(JobContext context, CancellationToken ct);
}
