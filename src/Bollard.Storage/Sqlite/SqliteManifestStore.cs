using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Dapper;

namespace Bollard.Storage.Sqlite;

public sealed class SqliteManifestStore(SqliteDatabase db, TimeProvider time) : IManifestStore
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

    public async ValueTask<PutManifestResult> PutAsync(
        RepositoryName repository, ManifestRecord manifest, IReadOnlyCollection<Digest> requiredBlobs,
        IReadOnlyCollection<Digest> requiredManifests, string? tag, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) =>
        {
            long now = time.GetUtcNow().ToUnixTimeMilliseconds();
            long? id = await c.ExecuteScalarAsync<long?>("SELECT id FROM repositories WHERE name = @name", new { name = repository.Value }, tx).ConfigureAwait(false);
            var missingBlobs = new List<Digest>();
            var missingManifests = new List<Digest>();
            foreach (var d in requiredBlobs)
                if (id is null || !await c.ExecuteScalarAsync<bool>(
                        "SELECT EXISTS(SELECT 1 FROM repository_blobs WHERE repository_id = @id AND digest = @d)", new { id, d = d.ToString() }, tx).ConfigureAwait(false))
                    missingBlobs.Add(d);
            foreach (var d in requiredManifests)
                if (id is null || !await c.ExecuteScalarAsync<bool>(
                        "SELECT EXISTS(SELECT 1 FROM manifests WHERE repository_id = @id AND digest = @d)", new { id, d = d.ToString() }, tx).ConfigureAwait(false))
                    missingManifests.Add(d);
            if (missingBlobs.Count > 0 || missingManifests.Count > 0) return new PutManifestResult(missingBlobs, missingManifests);

            id ??= await SqliteRepositoryStore.EnsureRepositoryAsync(c, tx, repository, now).ConfigureAwait(false);
            string digest = manifest.Digest.ToString();
            int inserted = await c.ExecuteAsync(
                """
                INSERT OR IGNORE INTO manifests(repository_id, digest, media_type, artifact_type, subject, annotations, size, content, created_at)
                VALUES (@id, @digest, @MediaType, @ArtifactType, @subject, @AnnotationsJson, @Size, @Content, @now)
                """,
                new { id, digest, manifest.MediaType, manifest.ArtifactType, subject = manifest.Subject?.ToString(), manifest.AnnotationsJson, manifest.Size, manifest.Content, now }, tx).ConfigureAwait(false);
            if (inserted > 0)
            {
                foreach (var d in requiredBlobs)
                    await c.ExecuteAsync("INSERT OR IGNORE INTO manifest_references VALUES (@id, @digest, 'b', @d)", new { id, digest, d = d.ToString() }, tx).ConfigureAwait(false);
                foreach (var d in requiredManifests)
                    await c.ExecuteAsync("INSERT OR IGNORE INTO manifest_references VALUES (@id, @digest, 'm', @d)", new { id, digest, d = d.ToString() }, tx).ConfigureAwait(false);
            }
            if (tag is not null)
                await c.ExecuteAsync(
                    """
                    INSERT INTO tags(repository_id, name, manifest_digest, updated_at) VALUES (@id, @tag, @digest, @now)
                    ON CONFLICT(repository_id, name) DO UPDATE SET manifest_digest = excluded.manifest_digest, updated_at = excluded.updated_at
                    """, new { id, tag, digest, now }, tx).ConfigureAwait(false);
            return PutManifestResult.Stored;
        }, ct).ConfigureAwait(false);

    public async ValueTask<bool> DeleteAsync(RepositoryName repository, Digest digest, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync(
            // Tags and references go with it (ON DELETE CASCADE).
            "DELETE FROM manifests WHERE digest = @digest AND repository_id = (SELECT id FROM repositories WHERE name = @name)",
            new { name = repository.Value, digest = digest.ToString() }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    public async ValueTask<bool> DeleteTagAsync(RepositoryName repository, string tag, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync(
            "DELETE FROM tags WHERE name = @tag AND repository_id = (SELECT id FROM repositories WHERE name = @name)",
            new { name = repository.Value, tag }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<string>> ListTagsAsync(RepositoryName repository, string? last, int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<string>(
            """
            SELECT t.name FROM tags t JOIN repositories r ON r.id = t.repository_id
            WHERE r.name = @name AND (@last IS NULL OR t.name > @last)
            ORDER BY t.name LIMIT @limit
            """, new { name = repository.Value, last, limit })).ConfigureAwait(false)).AsList();

    public async ValueTask<IReadOnlyList<ReferrerRecord>> ListReferrersAsync(RepositoryName repository, Digest subject, string? artifactType, CancellationToken ct)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<ReferrerRow>(
            """
            SELECT m.digest, m.media_type AS MediaType, m.size AS Size, m.artifact_type AS ArtifactType, m.annotations
            FROM manifests m JOIN repositories r ON r.id = m.repository_id
            WHERE r.name = @name AND m.subject = @subject AND (@artifactType IS NULL OR m.artifact_type = @artifactType)
            ORDER BY m.created_at, m.digest
            """, new { name = repository.Value, subject = subject.ToString(), artifactType })).ConfigureAwait(false);
        return rows.Select(r => new ReferrerRecord(Digest.Parse(r.Digest), r.MediaType, r.Size, r.ArtifactType, r.Annotations)).ToList();
    }

    private sealed class ManifestRow
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

    private sealed class ReferrerRow
    {
        public string Digest { get; set; } = "";
        public string MediaType { get; set; } = "";
        public long Size { get; set; }
        public string? ArtifactType { get; set; }
        public string? Annotations { get; set; }
    }
}
