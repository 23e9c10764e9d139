using Bollard.Core.Oci;
using Bollard.Core.Retention;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>Last-pull times of tags and manifests (<c>Migrations/0061_retention.sql</c>), one transaction per batch.</summary>
public sealed class SqlitePullTimeStore(SqliteDatabase db) : IPullTimeStore
{
    public async ValueTask StoreAsync(IReadOnlyCollection<PullTime> pulls, CancellationToken ct)
    {
        if (pulls.Count == 0) return;
        // Sequences, not lists: Dapper.AOT 1.1.0 casts a List of anonymous rows to List<object> and fails.
        var tags = pulls.Where(p => p.Tag is not null).Select(p => new { repo = p.Repository.Value, tag = p.Tag, at = p.At.ToUnixTimeMilliseconds() });
        var manifests = pulls.Where(p => p.Tag is null && p.Digest is not null)
            .Select(p => new { repo = p.Repository.Value, digest = p.Digest!.Value.ToString(), at = p.At.ToUnixTimeMilliseconds() });
        await db.WriteAsync(async (c, tx) =>
        {
            // Only rows for tags and manifests that exist: a client pulling names that are gone adds nothing.
            await c.ExecuteAsync(
                """
                INSERT INTO tag_pulls(repository_id, tag, pulled_at)
                SELECT t.repository_id, t.name, @at FROM tags t JOIN repositories r ON r.id = t.repository_id WHERE r.name = @repo AND t.name = @tag
                ON CONFLICT(repository_id, tag) DO UPDATE SET pulled_at = max(pulled_at, excluded.pulled_at)
                """, tags, tx).ConfigureAwait(false);
            await c.ExecuteAsync(
                """
                INSERT INTO manifest_pulls(repository_id, digest, pulled_at)
                SELECT m.repository_id, m.digest, @at FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.name = @repo AND m.digest = @digest
                ON CONFLICT(repository_id, digest) DO UPDATE SET pulled_at = max(pulled_at, excluded.pulled_at)
                """, manifests, tx).ConfigureAwait(false);
            return 0;
        }, ct).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<TagTimes>> ListTagTimesAsync(RepositoryName repository, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<TagRow>(
            """
            SELECT t.name AS Tag, t.manifest_digest AS Digest, t.updated_at AS PushedAt,
                   (SELECT p.pulled_at FROM tag_pulls p WHERE p.repository_id = t.repository_id AND p.tag = t.name AND p.pulled_at >= t.updated_at) AS TagPulledAt,
                   (SELECT mp.pulled_at FROM manifest_pulls mp WHERE mp.repository_id = t.repository_id AND mp.digest = t.manifest_digest AND mp.pulled_at >= m.created_at) AS ManifestPulledAt
            FROM tags t
            JOIN repositories r ON r.id = t.repository_id
            JOIN manifests m ON m.repository_id = t.repository_id AND m.digest = t.manifest_digest
            WHERE r.name = @name
            ORDER BY t.name
            """, new { name = repository.Value })).ConfigureAwait(false))
        .Select(r => new TagTimes(r.Tag, Core.Oci.Digest.Parse(r.Digest), DateTimeOffset.FromUnixTimeMilliseconds(r.PushedAt),
            r.TagPulledAt is { } tp ? DateTimeOffset.FromUnixTimeMilliseconds(tp) : null,
            r.ManifestPulledAt is { } mp ? DateTimeOffset.FromUnixTimeMilliseconds(mp) : null))
        .ToList();

    public async ValueTask<IReadOnlyList<ManifestTimes>> ListUntaggedManifestTimesAsync(RepositoryName repository, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<ManifestRow>(
            """
            SELECT m.digest AS Digest, m.created_at AS StoredAt,
                   (SELECT max(mp.pulled_at) FROM manifest_pulls mp
                    WHERE mp.repository_id = m.repository_id AND mp.pulled_at >= m.created_at
                      AND (mp.digest = m.digest OR mp.digest IN (SELECT c.digest FROM manifest_references c
                           WHERE c.repository_id = m.repository_id AND c.manifest_digest = m.digest AND c.kind = 'm'))) AS PulledAt
            FROM manifests m
            JOIN repositories r ON r.id = m.repository_id
            WHERE r.name = @name AND m.subject IS NULL
              AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.repository_id = m.repository_id AND t.manifest_digest = m.digest)
              AND NOT EXISTS (SELECT 1 FROM manifest_references i WHERE i.repository_id = m.repository_id AND i.kind = 'm' AND i.digest = m.digest)
            ORDER BY m.digest
            """, new { name = repository.Value })).ConfigureAwait(false))
        .Select(r => new ManifestTimes(Core.Oci.Digest.Parse(r.Digest), DateTimeOffset.FromUnixTimeMilliseconds(r.StoredAt),
            r.PulledAt is { } p ? DateTimeOffset.FromUnixTimeMilliseconds(p) : null))
        .ToList();

    internal sealed class ManifestRow
    {
        public string Digest { get; set; } = "";
        public long StoredAt { get; set; }
        public long? PulledAt { get; set; }
    }

    internal sealed class TagRow
    {
        public string Tag { get; set; } = "";
        public string Digest { get; set; } = "";
        public long PushedAt { get; set; }
        public long? TagPulledAt { get; set; }
        public long? ManifestPulledAt { get; set; }
    }
}
