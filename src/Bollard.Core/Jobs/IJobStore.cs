namespace Bollard.Core.Jobs;

/// <summary>
/// Durable background jobs (GC, retention, scans, webhook delivery) with leases, so any node may run them and a dead
/// node's work is picked up again; <see cref="JobRunner"/> claims and runs them. Every method is one short transaction; thread-safe. Methods that take an
/// <c>owner</c> do nothing and return false when that owner no longer holds the job's lease (it expired and another
/// runner claimed it, or the job was cancelled): the caller has lost the job and must stop.
/// </summary>
/// <remarks>
/// Claim design. SQLite (one writer): a single <c>UPDATE jobs SET state='Running', lease_owner=@owner,
/// lease_expires_at=@now+@lease, attempts=attempts+1 WHERE id IN (SELECT id FROM jobs WHERE kind IN (...) AND
/// ((state='Queued' AND next_run_at &lt;= @now) OR (state='Running' AND lease_expires_at &lt; @now)) ORDER BY
/// next_run_at, id LIMIT @n) RETURNING *</c>. PostgreSQL, with many nodes claiming at once:
/// <code>
/// WITH c AS (SELECT id FROM jobs WHERE kind = ANY(@kinds) AND ((state = 'Queued' AND next_run_at &lt;= now())
///            OR (state = 'Running' AND lease_expires_at &lt; now())) ORDER BY next_run_at, id LIMIT @n
///            FOR UPDATE SKIP LOCKED)
/// UPDATE jobs j SET state = 'Running', lease_owner = @owner, lease_expires_at = now() + @lease, attempts = attempts + 1
/// FROM c WHERE j.id = c.id RETURNING j.*;
/// </code>
/// <c>SKIP LOCKED</c> lets concurrent claimers pass over each other's rows instead of waiting; a partial index on
/// <c>(next_run_at, id) WHERE state IN ('Queued', 'Running')</c> keeps the scan short. Lease renewal and the
/// terminal updates are guarded by <c>WHERE id = @id AND lease_owner = @owner AND state = 'Running'</c>.
/// </remarks>
public interface IJobStore
{
    /// <returns>The new job's id.</returns>
    ValueTask<long> EnqueueAsync(string kind, string payload, DateTimeOffset runAt, int maxAttempts, CancellationToken ct);

    /// <summary>
    /// Claims at most <paramref name="limit"/> runnable jobs of <paramref name="kinds"/> (queued and due, or running
    /// with an expired lease), oldest due first, and starts an attempt of each (leased to <paramref name="owner"/> for
    /// <paramref name="lease"/>). A job whose attempts are used up is marked failed instead of claimed.
    /// </summary>
    ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(string owner, IReadOnlyCollection<string> kinds, int limit, TimeSpan lease, CancellationToken ct);

    /// <summary>Extends the lease to now + <paramref name="lease"/>.</summary>
    /// <returns>false when the lease is lost or cancellation was requested: stop the job.</returns>
    ValueTask<bool> RenewLeaseAsync(long id, string owner, TimeSpan lease, CancellationToken ct);

    /// <returns>false when the lease is lost.</returns>
    ValueTask<bool> ReportProgressAsync(long id, string owner, double progress, string? message, CancellationToken ct);

    /// <returns>false when the lease is lost.</returns>
    ValueTask<bool> CompleteAsync(long id, string owner, CancellationToken ct);

    /// <summary>Records a failed attempt: queued again at <paramref name="retryAt"/>, or failed for good when it is null.</summary>
    /// <returns>false when the lease is lost.</returns>
    ValueTask<bool> FailAsync(long id, string owner, string reason, DateTimeOffset? retryAt, CancellationToken ct);

    /// <summary>
    /// Asks for cancellation: a queued job is cancelled at once; a running one gets <see cref="JobRecord.CancelRequested"/>
    /// and is cancelled by its runner (<see cref="RenewLeaseAsync"/> returns false, then <see cref="AcknowledgeCancelAsync"/>).
    /// </summary>
    /// <returns>false when the job does not exist or already ended.</returns>
    ValueTask<bool> CancelAsync(long id, CancellationToken ct);

    /// <summary>The runner stopped a job whose cancellation was requested.</summary>
    ValueTask<bool> AcknowledgeCancelAsync(long id, string owner, CancellationToken ct);

    ValueTask<JobRecord?> GetAsync(long id, CancellationToken ct);

    /// <summary>
    /// Enqueues a job unless one with the same <paramref name="uniqueKey"/> is queued or running, checked and inserted
    /// atomically (SQLite: one writer transaction and a partial unique index; PostgreSQL: the same index with
    /// <c>INSERT ... ON CONFLICT DO NOTHING</c>), so several nodes never enqueue two. A job that ended frees the key.
    /// </summary>
    /// <returns>The new job, or the active one holding the key (<see cref="JobEnqueueResult.Created"/> false).</returns>
    ValueTask<JobEnqueueResult> EnqueueUniqueAsync(string kind, string uniqueKey, string payload, DateTimeOffset runAt, int maxAttempts, CancellationToken ct);

    /// <summary>
    /// The recurring schedule of <paramref name="kind"/>, in one transaction: the first call creates it due one
    /// <paramref name="interval"/> from now; once due, it advances to now + <paramref name="interval"/> and enqueues
    /// a run as <see cref="EnqueueUniqueAsync"/> does (unique key = kind), so of several nodes exactly one
    /// enqueues and a run still queued or running is not doubled. A schedule due later than now +
    /// <paramref name="interval"/> (the interval was shortened) is moved in to that.
    /// </summary>
    ValueTask<ScheduleResult> EnqueueIfDueAsync(string kind, string payload, TimeSpan interval, int maxAttempts, CancellationToken ct);

    /// <summary>The newest <paramref name="limit"/> jobs of <paramref name="kind"/>, newest first.</summary>
    ValueTask<IReadOnlyList<JobRecord>> ListAsync(string kind, int limit, CancellationToken ct);

    /// <summary>How many jobs there are of each kind in each state (for metrics; one grouped read).</summary>
    ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken ct);

    /// <summary>
    /// Deletes ended jobs (succeeded, failed, cancelled) last updated before <paramref name="endedBefore"/>, except the
    /// newest <paramref name="keepPerKind"/> ended jobs of each kind. Queued and running jobs are never deleted.
    /// </summary>
    /// <returns>How many were deleted.</returns>
    ValueTask<int> PruneEndedAsync(DateTimeOffset endedBefore, int keepPerKind, CancellationToken ct);
}
