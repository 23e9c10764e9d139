using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>Manifest reads on pooled read connections; writes are in <see cref="SqliteMetadataTransaction"/>.</summary>
public sealed class SqliteManifestStore(SqliteDatabase db) : IManifestStore
{
    private const string Columns = "m.digest, m.media_type AS MediaType, m.content, m.artifact_type AS ArtifactType, m.subject, m.annotations, m.created_at AS CreatedAt";

    public async ValueTask<ManifestRecord?> GetAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<ManifestRow>(
            $"SELECT {Columns} FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE r.name = @name AND m.digest = @digest",
            new { name = repository.Value, digest = digest.ToString() })).ConfigureAwait(false);
        return row?.ToRecord();
    }

    public async ValueTask<ManifestRecord?> GetByTagAsync(RepositoryName repository, string tag, CancellationToken ct)
    {
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<ManifestRow>(
            $"""
            SELECT {Columns} FROM tags t
            JOIN repositories r ON r.id = t.repository_id
            JOIN manifests m ON m.repository_id = t.repository_id AND m.digest = t.manifest_digest
            WHERE r.name = @name AND t.name = @tag
            """, new { name = repository.Value, tag })).ConfigureAwait(false);
        return row?.ToRecord();
    }

    public async ValueTask<ReferenceCheck> FindMissingReferencesAsync(
        RepositoryName repository, IReadOnlyCollection<Digest> blobs, IReadOnlyCollection<Digest> manifests, CancellationToken ct) =>
        await db.ReadAsync(c => SqliteRegistryQueries.FindMissingAsync(c, null, repository, blobs, manifests)).ConfigureAwait(false);

    public async ValueTask<Digest?> FindReferencingManifestAsync(RepositoryName repository, Digest digest, ReferenceKind kind, CancellationToken ct) =>
        // manifest_references_by_target (repository_id, digest) answers this without a scan.
        await db.ReadAsync(c => c.ExecuteScalarAsync<string?>(
            """
            SELECT manifest_digest FROM manifest_references
            WHERE repository_id = (SELECT id FROM repositories WHERE name = @name) AND digest = @digest AND kind = @kind AND manifest_digest <> @digest
            ORDER BY manifest_digest LIMIT 1
            """, new { name = repository.Value, digest = digest.ToString(), kind = kind == ReferenceKind.Blob ? "b" : "m" })).ConfigureAwait(false) is { } m
            ? Digest.Parse(m) : null;

    public async ValueTask<IReadOnlyList<string>> ListTagsAsync(RepositoryName repository, string? last, int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<string>(
            """
            SELECT t.name FROM tags t JOIN repositories r ON r.id = t.repository_id
            WHERE r.name = @name AND (@last IS NULL OR t.name > @last)
            ORDER BY t.name LIMIT @limit
            """, new { name = repository.Value, last, limit })).ConfigureAwait(false)).AsList();

    public async ValueTask<IReadOnlyList<ReferrerRecord>> ListReferrersAsync(RepositoryName repository, Digest subject, string? artifactType, Digest? after, int limit,
        CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        // The cursor is the (created_at, digest) of the referrer named by `after`, read in the same statement; a digest
        // that is no referrer of this subject matches no row, so the page is empty rather than restarting.
        var rows = await db.ReadAsync(c => c.QueryAsync<ReferrerRow>(
            """
            SELECT m.digest, m.media_type AS MediaType, m.size AS Size, m.artifact_type AS ArtifactType, m.annotations
            FROM manifests m JOIN repositories r ON r.id = m.repository_id
            WHERE r.name = @name AND m.subject = @subject AND (@artifactType IS NULL OR m.artifact_type = @artifactType)
              AND (@after IS NULL OR (m.created_at, m.digest) > (
                SELECT a.created_at, a.digest FROM manifests a WHERE a.repository_id = m.repository_id AND a.digest = @after AND a.subject = @subject))
            ORDER BY m.created_at, m.digest
            LIMIT @limit
            """, new { name = repository.Value, subject = subject.ToString(), artifactType, after = after?.ToString(), limit })).ConfigureAwait(false);
        return rows.Select(r => new ReferrerRecord(Digest.Parse(r.Digest), r.MediaType, r.Size, r.ArtifactType, r.Annotations)).ToList();
    }

    internal sealed class ManifestRow
    {
        public string Digest { get; set; } = "";
        public string MediaType { get; set; } = "";
        public byte[] Content { get; set; } = [];
        public string? ArtifactType { get; set; }
        public string? Subject { get; set; }
        public string? Annotations { get; set; }
        public long CreatedAt { get; set; }
        public ManifestRecord ToRecord() => new(
            Core.Oci.Digest.Parse(Digest), MediaType, Content, ArtifactType,
            Subject is null ? null : Core.Oci.Digest.Parse(Subject), Annotations, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }

    internal sealed class ReferrerRow
    {
        public string Digest { get; set; } = "";
        public string MediaType { get; set; } = "";
        public long Size { get; set; }
        public string? ArtifactType { get; set; }
        public string? Annotations { get; set; }
    }
}
