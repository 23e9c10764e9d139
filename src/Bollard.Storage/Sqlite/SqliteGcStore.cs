using Bollard.Core.Gc;
using Bollard.Core.Oci;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

/// <summary>
/// <see cref="IGcStore"/>, <see cref="IBlobPins"/> and <see cref="IGcRunStore"/> over the tables of
/// <c>Migrations/0041_gc.sql</c> (<c>blobs</c>, <c>blob_pins</c>, <c>gc_runs</c>, <c>gc_run_items</c>) and the registry
/// tables. Reads of a repository run in one read transaction (a WAL snapshot: the writer goes on); every write is one
/// short transaction on the single writer, which is what makes "mark 'deleting' only when unlinked and unpinned"
/// and "pin only when not 'deleting'" atomic against each other and against links (the link trigger refuses a
/// 'deleting' blob).
/// </summary>
public sealed class SqliteGcStore(SqliteDatabase db, TimeProvider time) : IGcStore, IBlobPins, IGcRunStore
{
    private const string BlobColumns =
        """
        b.digest AS Digest, b.size AS Size, b.created_at AS CreatedAt, b.state AS State,
        (SELECT COUNT(*) FROM repository_blobs r WHERE r.digest = b.digest) AS Links,
        EXISTS (SELECT 1 FROM blob_pins p WHERE p.digest = b.digest AND p.expires_at > @now) AS Pinned
        """;

    public async ValueTask<(long Manifests, long Blobs)> CountAsync(CancellationToken ct)
    {
        var row = await db.ReadAsync(c => c.QuerySingleAsync<CountRow>("SELECT (SELECT COUNT(*) FROM manifests) AS Manifests, (SELECT COUNT(*) FROM blobs) AS Blobs")).ConfigureAwait(false);
        return (row.Manifests, row.Blobs);
    }

    public async ValueTask<GcRepositorySnapshot> LoadRepositoryAsync(RepositoryName repository, CancellationToken ct) =>
        await db.ReadAsync(async c =>
        {
            using var tx = c.BeginTransaction(deferred: true); // one snapshot for all the reads below
            long? id = await c.ExecuteScalarAsync<long?>("SELECT id FROM repositories WHERE name = @name", new { name = repository.Value }, tx).ConfigureAwait(false);
            if (id is null) return new GcRepositorySnapshot(repository, [], []);
            var manifests = (await c.QueryAsync<ManifestRow>(
                "SELECT digest, subject, created_at, untagged_at FROM manifests WHERE repository_id = @id", new { id }, tx).ConfigureAwait(false)).AsList();
            var tags = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var (name, target) in await c.QueryAsync<TagRow>("SELECT name, manifest_digest AS Target FROM tags WHERE repository_id = @id", new { id }, tx).ConfigureAwait(false))
                Add(tags, target, name);
            var children = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            var blobRefs = new Dictionary<string, List<string>>(StringComparer.Ordinal);
            foreach (var (manifest, kind, digest) in await c.QueryAsync<ReferenceRow>(
                         "SELECT manifest_digest AS Manifest, kind, digest FROM manifest_references WHERE repository_id = @id", new { id }, tx).ConfigureAwait(false))
                Add(kind == "m" ? children : blobRefs, manifest, digest);
            var links = (await c.QueryAsync<LinkRow>(
                "SELECT digest, size, MAX(created_at, COALESCE(released_at, 0)) AS Since FROM repository_blobs WHERE repository_id = @id", new { id }, tx).ConfigureAwait(false))
                .Select(l => new GcLink(Digest.Parse(l.Digest), l.Size, Ms(l.Since))).ToList();
            tx.Commit();
            return new GcRepositorySnapshot(repository, manifests.Select(m => new GcManifest(
                Digest.Parse(m.Digest), m.Subject is null ? null : Digest.Parse(m.Subject), Ms(m.CreatedAt), m.UntaggedAt is { } u ? Ms(u) : null,
                tags.TryGetValue(m.Digest, out var t) ? t : [],
                children.TryGetValue(m.Digest, out var ch) ? ch.Select(Digest.Parse).ToList() : [],
                blobRefs.TryGetValue(m.Digest, out var b) ? b.Select(Digest.Parse).ToList() : [])).ToList(), links);
        }).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<GcBlob>> ListUnlinkedAsync(Digest? after, int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<BlobRow>(
            $"""
            SELECT {BlobColumns} FROM blobs b
            WHERE b.state = 'live' AND (@after IS NULL OR b.digest > @after)
              AND NOT EXISTS (SELECT 1 FROM repository_blobs r WHERE r.digest = b.digest)
            ORDER BY b.digest LIMIT @limit
            """, new { after = after?.ToString(), limit, now = Now() })).ConfigureAwait(false)).Select(r => r.ToBlob()).ToList();

    public async ValueTask<IReadOnlyList<GcBlob>> GetBlobsAsync(IReadOnlyCollection<Digest> digests, CancellationToken ct) =>
        digests.Count == 0 ? [] :
        (await db.ReadAsync(c => c.QueryAsync<BlobRow>($"SELECT {BlobColumns} FROM blobs b WHERE b.digest IN @digests",
            new { digests = digests.Select(d => d.ToString()).ToList(), now = Now() })).ConfigureAwait(false)).Select(r => r.ToBlob()).ToList();

    public async ValueTask<int> AdoptExpiredPinsAsync(CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) =>
        {
            long now = Now();
            await c.ExecuteAsync(
                "INSERT OR IGNORE INTO blobs(digest, size, created_at) SELECT digest, 0, MIN(created_at) FROM blob_pins WHERE expires_at <= @now GROUP BY digest",
                new { now }, tx).ConfigureAwait(false);
            return await c.ExecuteAsync("DELETE FROM blob_pins WHERE expires_at <= @now", new { now }, tx).ConfigureAwait(false);
        }, ct).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<GcBlob>> MarkDeletingAsync(IReadOnlyCollection<Digest> digests, CancellationToken ct) =>
        digests.Count == 0 ? [] :
        (await db.WriteAsync((c, tx) => c.QueryAsync<BlobRow>(
            """
            UPDATE blobs SET state = 'deleting', deleting_since = @now
            WHERE digest IN @digests AND state = 'live'
              AND NOT EXISTS (SELECT 1 FROM repository_blobs r WHERE r.digest = blobs.digest)
              AND NOT EXISTS (SELECT 1 FROM blob_pins p WHERE p.digest = blobs.digest AND p.expires_at > @now)
            RETURNING digest AS Digest, size AS Size, created_at AS CreatedAt, state AS State, 0 AS Links, 0 AS Pinned
            """, new { digests = digests.Select(d => d.ToString()).ToList(), now = Now() }, tx), ct).ConfigureAwait(false)).Select(r => r.ToBlob()).ToList();

    public async ValueTask<IReadOnlyList<GcBlob>> ListDeletingAsync(int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<BlobRow>(
            $"SELECT {BlobColumns} FROM blobs b WHERE b.state = 'deleting' ORDER BY b.digest LIMIT @limit", new { limit, now = Now() })).ConfigureAwait(false))
        .Select(r => r.ToBlob()).ToList();

    public async ValueTask ForgetAsync(IReadOnlyCollection<Digest> digests, CancellationToken ct)
    {
        if (digests.Count == 0) return;
        await db.WriteAsync((c, tx) => c.ExecuteAsync("DELETE FROM blobs WHERE digest IN @digests AND state = 'deleting'",
            new { digests = digests.Select(d => d.ToString()).ToList() }, tx), ct).ConfigureAwait(false);
    }

    public async ValueTask<bool> TryPinAsync(Digest digest, string token, TimeSpan lifetime, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) =>
        {
            long now = Now();
            if (await c.ExecuteScalarAsync<string?>("SELECT state FROM blobs WHERE digest = @digest", new { digest = digest.ToString() }, tx).ConfigureAwait(false) == "deleting")
                return false;
            await c.ExecuteAsync("INSERT OR REPLACE INTO blob_pins(token, digest, created_at, expires_at) VALUES (@token, @digest, @now, @until)",
                new { token, digest = digest.ToString(), now, until = now + (long)lifetime.TotalMilliseconds }, tx).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);

    public async ValueTask UnpinAsync(string token, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync("DELETE FROM blob_pins WHERE token = @token", new { token }, tx), ct).ConfigureAwait(false);

    public async ValueTask<bool> StartAsync(long jobId, bool dryRun, string requestedBy, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync(
            """
            INSERT OR IGNORE INTO gc_runs(job_id, dry_run, requested_by, phase, started_at, updated_at)
            VALUES (@jobId, @dryRun, @requestedBy, 'starting', @now, @now)
            """, new { jobId, dryRun, requestedBy, now = Now() }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    public async ValueTask UpdateAsync(GcRun run, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync(
            """
            UPDATE gc_runs SET phase = @Phase, updated_at = @now, manifests_total = @ManifestsTotal, manifests_examined = @ManifestsExamined,
                   blobs_total = @BlobsTotal, blobs_examined = @BlobsExamined, planned = @Planned, done = @Done
            WHERE job_id = @JobId
            """, new { run.Phase, now = Now(), run.ManifestsTotal, run.ManifestsExamined, run.BlobsTotal, run.BlobsExamined, run.Planned, run.Done, run.JobId }, tx), ct).ConfigureAwait(false);

    public async ValueTask AddItemsAsync(long jobId, IReadOnlyCollection<GcItem> items, CancellationToken ct)
    {
        if (items.Count == 0) return;
        await db.WriteAsync((c, tx) => c.ExecuteAsync(
            "INSERT OR IGNORE INTO gc_run_items(job_id, kind, repository, digest, size, detail) VALUES (@jobId, @kind, @Repository, @digest, @Size, @Detail)",
            items.Select(i => new { jobId, kind = i.Kind.ToString(), i.Repository, digest = i.Digest.ToString(), i.Size, i.Detail }), tx), ct).ConfigureAwait(false);
    }

    public async ValueTask ClearItemsAsync(long jobId, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync("DELETE FROM gc_run_items WHERE job_id = @jobId", new { jobId }, tx), ct).ConfigureAwait(false);

    public async ValueTask FinishAsync(long jobId, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync("UPDATE gc_runs SET phase = 'finished', finished_at = @now, updated_at = @now WHERE job_id = @jobId",
            new { jobId, now = Now() }, tx), ct).ConfigureAwait(false);

    public async ValueTask<GcRun?> GetAsync(long jobId, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<RunRow>(
            """
            SELECT job_id AS JobId, dry_run AS DryRun, requested_by AS RequestedBy, phase AS Phase, started_at AS StartedAt, updated_at AS UpdatedAt,
                   finished_at AS FinishedAt, manifests_total AS ManifestsTotal, manifests_examined AS ManifestsExamined, blobs_total AS BlobsTotal,
                   blobs_examined AS BlobsExamined, planned AS Planned, done AS Done
            FROM gc_runs WHERE job_id = @jobId
            """, new { jobId })).ConfigureAwait(false))?.ToRun();

    public async ValueTask<GcTotals> TotalsAsync(long jobId, CancellationToken ct)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<TotalRow>(
            "SELECT kind, COUNT(*) AS Count, COALESCE(SUM(size), 0) AS Bytes FROM gc_run_items WHERE job_id = @jobId GROUP BY kind", new { jobId })).ConfigureAwait(false);
        var byKind = rows.ToDictionary(r => r.Kind, StringComparer.Ordinal);
        long Count(GcItemKind k) => byKind.TryGetValue(k.ToString(), out var r) ? r.Count : 0;
        return new GcTotals(Count(GcItemKind.Manifest), Count(GcItemKind.Link), Count(GcItemKind.Blob),
            byKind.TryGetValue(nameof(GcItemKind.Blob), out var blobs) ? blobs.Bytes : 0, Count(GcItemKind.Skipped));
    }

    public async ValueTask<IReadOnlyList<GcItem>> ListItemsAsync(long jobId, int offset, int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<ItemRow>(
            "SELECT kind, repository, digest, size, detail FROM gc_run_items WHERE job_id = @jobId ORDER BY kind, repository, digest LIMIT @limit OFFSET @offset",
            new { jobId, limit, offset })).ConfigureAwait(false))
        .Select(r => new GcItem(Enum.Parse<GcItemKind>(r.Kind), r.Repository, Digest.Parse(r.Digest), r.Size, r.Detail)).ToList();

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();

    private static DateTimeOffset Ms(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static void Add(Dictionary<string, List<string>> map, string key, string value)
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(value);
    }

    // Row types are records or classes that Dapper.AOT's generated readers build (it does not read tuples) and are
    // internal, not private, because the generated code lives outside this class.
    internal readonly record struct CountRow(long Manifests, long Blobs);

    internal readonly record struct ManifestRow(string Digest, string? Subject, long CreatedAt, long? UntaggedAt);

    internal readonly record struct TagRow(string Name, string Target);

    internal readonly record struct ReferenceRow(string Manifest, string Kind, string Digest);

    internal readonly record struct LinkRow(string Digest, long Size, long Since);

    internal readonly record struct TotalRow(string Kind, long Count, long Bytes);

    internal readonly record struct ItemRow(string Kind, string Repository, string Digest, long Size, string? Detail);

    internal sealed class BlobRow
    {
        public string Digest { get; set; } = "";
        public long Size { get; set; }
        public long CreatedAt { get; set; }
        public string State { get; set; } = "";
        public long Links { get; set; }
        public long Pinned { get; set; }

        public GcBlob ToBlob() => new(Bollard.Core.Oci.Digest.Parse(Digest), Size, Ms(CreatedAt), (int)Links, Pinned != 0, State == "deleting");
    }

    internal sealed class RunRow
    {
        public long JobId { get; set; }
        public long DryRun { get; set; }
        public string RequestedBy { get; set; } = "";
        public string Phase { get; set; } = "";
        public long StartedAt { get; set; }
        public long UpdatedAt { get; set; }
        public long? FinishedAt { get; set; }
        public long ManifestsTotal { get; set; }
        public long ManifestsExamined { get; set; }
        public long BlobsTotal { get; set; }
        public long BlobsExamined { get; set; }
        public long Planned { get; set; }
        public long Done { get; set; }

        public GcRun ToRun() => new()
        {
            JobId = JobId, DryRun = DryRun != 0, RequestedBy = RequestedBy, Phase = Phase, StartedAt = Ms(StartedAt), UpdatedAt = Ms(UpdatedAt),
            FinishedAt = FinishedAt is { } f ? Ms(f) : null, ManifestsTotal = ManifestsTotal, ManifestsExamined = ManifestsExamined,
            BlobsTotal = BlobsTotal, BlobsExamined = BlobsExamined, Planned = Planned, Done = Done,
        };
    }
}
