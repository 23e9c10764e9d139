using Bollard.Core.Jobs;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

/// <summary>
/// <see cref="IJobStore"/> over the <c>jobs</c> table (<c>Migrations/0021_jobs.sql</c>). Every change is one
/// transaction on the single writer, so a claim is atomic without row locks; see <see cref="IJobStore"/> for
/// the PostgreSQL form (<c>FOR UPDATE SKIP LOCKED</c>).
/// </summary>
public sealed class SqliteJobStore(SqliteDatabase db, TimeProvider time) : IJobStore
{
    private const string Columns =
        """
        id AS Id, kind AS Kind, payload AS Payload, state AS State, attempts AS Attempts, max_attempts AS MaxAttempts,
        lease_owner AS LeaseOwner, lease_expires_at AS LeaseExpiresAt, next_run_at AS NextRunAt, progress AS Progress,
        progress_message AS ProgressMessage, last_error AS LastError, cancel_requested AS CancelRequested,
        created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    // Only the lease holder of a running job may change it.
    private const string Held = "id = @id AND lease_owner = @owner AND state = 'Running'";

    public async ValueTask<long> EnqueueAsync(string kind, string payload, DateTimeOffset runAt, int maxAttempts, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteScalarAsync<long>(
            """
            INSERT INTO jobs(kind, payload, state, max_attempts, next_run_at, created_at, updated_at)
            VALUES (@kind, @payload, 'Queued', @maxAttempts, @runAt, @now, @now);
            SELECT last_insert_rowid();
            """, new { kind, payload, maxAttempts, runAt = runAt.ToUnixTimeMilliseconds(), now = Now() }, tx), ct).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<JobRecord>> ClaimAsync(string owner, IReadOnlyCollection<string> kinds, int limit, TimeSpan lease, CancellationToken ct)
    {
        if (kinds.Count == 0 || limit <= 0) return [];
        long now = Now();
        var rows = await db.WriteAsync(async (c, tx) =>
        {
            const string Runnable = "kind IN @kinds AND ((state = 'Queued' AND next_run_at <= @now) OR (state = 'Running' AND lease_expires_at < @now))";
            // An expired lease whose attempts are used up: the last attempt died with its node. Failed, not retried.
            await c.ExecuteAsync(
                $"UPDATE jobs SET state = 'Failed', lease_owner = NULL, lease_expires_at = NULL, updated_at = @now, last_error = COALESCE(last_error, 'lease expired') WHERE {Runnable} AND attempts >= max_attempts",
                new { kinds, now }, tx).ConfigureAwait(false);
            return await c.QueryAsync<JobRow>(
                $"""
                UPDATE jobs SET state = 'Running', lease_owner = @owner, lease_expires_at = @until, attempts = attempts + 1, updated_at = @now
                WHERE id IN (SELECT id FROM jobs WHERE {Runnable} ORDER BY next_run_at, id LIMIT @limit)
                RETURNING {Columns}
                """, new { kinds, now, owner, until = now + (long)lease.TotalMilliseconds, limit }, tx).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);
        return rows.Select(r => r.ToRecord()).OrderBy(j => j.NextRunAt).ThenBy(j => j.Id).ToList();
    }

    public async ValueTask<bool> RenewLeaseAsync(long id, string owner, TimeSpan lease, CancellationToken ct)
    {
        long now = Now();
        return await WriteAsync((c, tx) => c.ExecuteAsync($"UPDATE jobs SET lease_expires_at = @until, updated_at = @now WHERE {Held} AND cancel_requested = 0",
            new { id, owner, now, until = now + (long)lease.TotalMilliseconds }, tx), ct).ConfigureAwait(false);
    }

    public ValueTask<bool> ReportProgressAsync(long id, string owner, double progress, string? message, CancellationToken ct) =>
        WriteAsync((c, tx) => c.ExecuteAsync($"UPDATE jobs SET progress = @progress, progress_message = @message, updated_at = @now WHERE {Held}",
            new { id, owner, progress, message, now = Now() }, tx), ct);

    public ValueTask<bool> CompleteAsync(long id, string owner, CancellationToken ct) =>
        WriteAsync((c, tx) => c.ExecuteAsync($"UPDATE jobs SET state = 'Succeeded', progress = 1, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now WHERE {Held}",
            new { id, owner, now = Now() }, tx), ct);

    public ValueTask<bool> FailAsync(long id, string owner, string reason, DateTimeOffset? retryAt, CancellationToken ct) =>
        WriteAsync((c, tx) => c.ExecuteAsync(
            $"""
            UPDATE jobs SET state = CASE WHEN @retryAt IS NULL THEN 'Failed' ELSE 'Queued' END, next_run_at = COALESCE(@retryAt, next_run_at),
                   last_error = @reason, lease_owner = NULL, lease_expires_at = NULL, updated_at = @now
            WHERE {Held}
            """, new { id, owner, reason, retryAt = retryAt?.ToUnixTimeMilliseconds(), now = Now() }, tx), ct);

    public ValueTask<bool> CancelAsync(long id, CancellationToken ct) =>
        WriteAsync((c, tx) => c.ExecuteAsync(
            """
            UPDATE jobs SET state = CASE state WHEN 'Queued' THEN 'Cancelled' ELSE state END, cancel_requested = 1, updated_at = @now
            WHERE id = @id AND state IN ('Queued', 'Running')
            """, new { id, now = Now() }, tx), ct);

    public ValueTask<bool> AcknowledgeCancelAsync(long id, string owner, CancellationToken ct) =>
        WriteAsync((c, tx) => c.ExecuteAsync($"UPDATE jobs SET state = 'Cancelled', lease_owner = NULL, lease_expires_at = NULL, updated_at = @now WHERE {Held} AND cancel_requested = 1",
            new { id, owner, now = Now() }, tx), ct);

    public async ValueTask<JobRecord?> GetAsync(long id, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<JobRow>($"SELECT {Columns} FROM jobs WHERE id = @id", new { id })).ConfigureAwait(false))?.ToRecord();

    public async ValueTask<JobEnqueueResult> EnqueueUniqueAsync(string kind, string uniqueKey, string payload, DateTimeOffset runAt, int maxAttempts, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => EnqueueUniqueAsync(c, tx, kind, uniqueKey, payload, runAt.ToUnixTimeMilliseconds(), maxAttempts, Now()), ct).ConfigureAwait(false);

    public async ValueTask<ScheduleResult> EnqueueIfDueAsync(string kind, string payload, TimeSpan interval, int maxAttempts, CancellationToken ct)
    {
        long now = Now();
        long step = (long)interval.TotalMilliseconds;
        return await db.WriteAsync(async (c, tx) =>
        {
            long? due = await c.ExecuteScalarAsync<long?>("SELECT next_run_at FROM job_schedules WHERE kind = @kind", new { kind }, tx).ConfigureAwait(false);
            if (due is null)
            {
                await c.ExecuteAsync("INSERT INTO job_schedules(kind, next_run_at) VALUES (@kind, @next)", new { kind, next = now + step }, tx).ConfigureAwait(false);
                return new ScheduleResult(null, DateTimeOffset.FromUnixTimeMilliseconds(now + step));
            }
            if (due > now)
            {
                long next = Math.Min(due.Value, now + step);
                if (next != due)
                    await c.ExecuteAsync("UPDATE job_schedules SET next_run_at = @next WHERE kind = @kind", new { kind, next }, tx).ConfigureAwait(false);
                return new ScheduleResult(null, DateTimeOffset.FromUnixTimeMilliseconds(next));
            }
            var job = await EnqueueUniqueAsync(c, tx, kind, kind, payload, now, maxAttempts, now).ConfigureAwait(false);
            await c.ExecuteAsync("UPDATE job_schedules SET next_run_at = @next, last_job_id = @id WHERE kind = @kind",
                new { kind, next = now + step, id = job.Id }, tx).ConfigureAwait(false);
            return new ScheduleResult(job, DateTimeOffset.FromUnixTimeMilliseconds(now + step));
        }, ct).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<JobRecord>> ListAsync(string kind, int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<JobRow>($"SELECT {Columns} FROM jobs WHERE kind = @kind ORDER BY id DESC LIMIT @limit", new { kind, limit })).ConfigureAwait(false))
        .Select(r => r.ToRecord()).ToList();

    private static async Task<JobEnqueueResult> EnqueueUniqueAsync(
        SqliteConnection c, SqliteTransaction tx, string kind, string uniqueKey, string payload, long runAt, int maxAttempts, long now)
    {
        // The partial unique index (0040) is the guard; OR IGNORE turns a conflict into "already active".
        long? id = await c.ExecuteScalarAsync<long?>(
            """
            INSERT OR IGNORE INTO jobs(kind, payload, state, max_attempts, next_run_at, created_at, updated_at, unique_key)
            VALUES (@kind, @payload, 'Queued', @maxAttempts, @runAt, @now, @now, @uniqueKey)
            RETURNING id
            """, new { kind, payload, maxAttempts, runAt, now, uniqueKey }, tx).ConfigureAwait(false);
        if (id is { } created) return new JobEnqueueResult(created, true);
        long existing = await c.ExecuteScalarAsync<long>(
            "SELECT id FROM jobs WHERE unique_key = @uniqueKey AND state IN ('Queued', 'Running') ORDER BY id LIMIT 1", new { uniqueKey }, tx).ConfigureAwait(false);
        return new JobEnqueueResult(existing, false);
    }

    public async ValueTask<IReadOnlyList<JobCount>> CountAsync(CancellationToken ct)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<CountRow>("SELECT kind, state, COUNT(*) AS Count FROM jobs GROUP BY kind, state")).ConfigureAwait(false);
        return [.. rows.Select(r => new JobCount(r.Kind, Enum.Parse<JobState>(r.State), r.Count))];
    }

    public async ValueTask<int> PruneEndedAsync(DateTimeOffset endedBefore, int keepPerKind, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync(
            """
            DELETE FROM jobs
            WHERE state IN ('Succeeded', 'Failed', 'Cancelled') AND updated_at < @before
              AND id NOT IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY kind ORDER BY id DESC) AS n
                                             FROM jobs WHERE state IN ('Succeeded', 'Failed', 'Cancelled'))
                             WHERE n <= @keep)
            """, new { before = endedBefore.ToUnixTimeMilliseconds(), keep = keepPerKind }, tx).ConfigureAwait(false), ct).ConfigureAwait(false);

    // Each caller passes its own ExecuteAsync call so that Dapper.AOT sees the argument type at the call site (an
    // `object` parameter here would leave the call on reflection-based Dapper).
    private async ValueTask<bool> WriteAsync(Func<SqliteConnection, SqliteTransaction, Task<int>> execute, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await execute(c, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    // Dapper.AOT builds records, not tuples; internal because its generated readers live outside this class.
    internal readonly record struct CountRow(string Kind, string State, long Count);

    internal sealed class JobRow
    {
        public long Id { get; set; }
        public string Kind { get; set; } = "";
        public string Payload { get; set; } = "";
        public string State { get; set; } = "";
        public long Attempts { get; set; }
        public long MaxAttempts { get; set; }
        public string? LeaseOwner { get; set; }
        public long? LeaseExpiresAt { get; set; }
        public long NextRunAt { get; set; }
        public double Progress { get; set; }
        public string? ProgressMessage { get; set; }
        public string? LastError { get; set; }
        public long CancelRequested { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public JobRecord ToRecord() => new()
        {
            Id = Id, Kind = Kind, Payload = Payload, State = Enum.Parse<JobState>(State), Attempts = (int)Attempts, MaxAttempts = (int)MaxAttempts,
            LeaseOwner = LeaseOwner, LeaseExpiresAt = LeaseExpiresAt is { } l ? DateTimeOffset.FromUnixTimeMilliseconds(l) : null,
            NextRunAt = DateTimeOffset.FromUnixTimeMilliseconds(NextRunAt), Progress = Progress, ProgressMessage = ProgressMessage,
            LastError = LastError, CancelRequested = CancelRequested != 0,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt),
        };
    }
}
