using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Bollard.Core.Usage.Quotas;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>
/// One unit of work on the writer connection. Schema: <c>Migrations/0001_init.sql</c> (repositories, links,
/// manifests with their references, tags) and <c>0020_events.sql</c> (outbox, cursors, removal generation); <c>0050_usage.sql</c> keeps storage usage by triggers on these rows.
/// </summary>
internal sealed class SqliteMetadataTransaction(SqliteWriteScope scope, RegistryEventSignal signal, TimeProvider time) : IMetadataTransaction
{
    private const string RepoId = "(SELECT id FROM repositories WHERE name = @name)";
    private bool _appended;
    private bool _committed;

    private Microsoft.Data.Sqlite.SqliteConnection C => scope.Connection;
    private Microsoft.Data.Sqlite.SqliteTransaction Tx => scope.Transaction;

    public async ValueTask<bool> RepositoryExistsAsync(RepositoryName repository, CancellationToken ct) =>
        await C.ExecuteScalarAsync<bool>("SELECT EXISTS(SELECT 1 FROM repositories WHERE name = @name)", new { name = repository.Value }, Tx).ConfigureAwait(false);

    public async ValueTask<long> GenerationAsync(RepositoryName repository, CancellationToken ct) =>
        await C.ExecuteScalarAsync<long?>("SELECT generation FROM repositories WHERE name = @name", new { name = repository.Value }, Tx).ConfigureAwait(false) ?? 0;

    public async ValueTask<ReferenceCheck> FindMissingReferencesAsync(RepositoryName repository, IReadOnlyCollection<Digest> blobs, IReadOnlyCollection<Digest> manifests, CancellationToken ct) =>
        await SqliteRegistryQueries.FindMissingAsync(C, Tx, repository, blobs, manifests).ConfigureAwait(false);

    public async ValueTask<bool> IsBlobLinkedAsync(RepositoryName repository, Digest digest, CancellationToken ct) =>
        await C.ExecuteScalarAsync<bool>($"SELECT EXISTS(SELECT 1 FROM repository_blobs WHERE repository_id = {RepoId} AND digest = @digest)",
            new { name = repository.Value, digest = digest.ToString() }, Tx).ConfigureAwait(false);

    public async ValueTask<bool> ManifestExistsAsync(RepositoryName repository, Digest digest, CancellationToken ct) =>
        await C.ExecuteScalarAsync<bool>($"SELECT EXISTS(SELECT 1 FROM manifests WHERE repository_id = {RepoId} AND digest = @digest)",
            new { name = repository.Value, digest = digest.ToString() }, Tx).ConfigureAwait(false);

    public async ValueTask<Digest?> GetTagAsync(RepositoryName repository, string tag, CancellationToken ct) =>
        await C.ExecuteScalarAsync<string?>($"SELECT manifest_digest FROM tags WHERE repository_id = {RepoId} AND name = @tag",
            new { name = repository.Value, tag }, Tx).ConfigureAwait(false) is { } d ? Digest.Parse(d) : null;

    public async ValueTask<IReadOnlyList<string>> ListTagsOfAsync(RepositoryName repository, Digest manifest, CancellationToken ct) =>
        (await C.QueryAsync<string>($"SELECT name FROM tags WHERE repository_id = {RepoId} AND manifest_digest = @digest ORDER BY name",
            new { name = repository.Value, digest = manifest.ToString() }, Tx).ConfigureAwait(false)).AsList();

    public async ValueTask<Digest?> FindReferencingManifestAsync(RepositoryName repository, Digest digest, ReferenceKind kind, CancellationToken ct) =>
        // manifest_references_by_target (repository_id, digest) answers this without a scan.
        await C.ExecuteScalarAsync<string?>(
            $"""
            SELECT manifest_digest FROM manifest_references
            WHERE repository_id = {RepoId} AND digest = @digest AND kind = @kind AND manifest_digest <> @digest
            ORDER BY manifest_digest LIMIT 1
            """, new { name = repository.Value, digest = digest.ToString(), kind = kind == ReferenceKind.Blob ? "b" : "m" }, Tx).ConfigureAwait(false) is { } m
            ? Digest.Parse(m) : null;

    public async ValueTask<IReadOnlyList<Digest>> ListManifestsAsync(RepositoryName repository, Digest? after, int limit, CancellationToken ct) =>
        (await C.QueryAsync<string>($"SELECT digest FROM manifests WHERE repository_id = {RepoId} AND (@after IS NULL OR digest > @after) ORDER BY digest LIMIT @limit",
            new { name = repository.Value, after = after?.ToString(), limit }, Tx).ConfigureAwait(false)).Select(Digest.Parse).ToList();

    public async ValueTask<IReadOnlyList<Digest>> ListBlobLinksAsync(RepositoryName repository, Digest? after, int limit, CancellationToken ct) =>
        (await C.QueryAsync<string>($"SELECT digest FROM repository_blobs WHERE repository_id = {RepoId} AND (@after IS NULL OR digest > @after) ORDER BY digest LIMIT @limit",
            new { name = repository.Value, after = after?.ToString(), limit }, Tx).ConfigureAwait(false)).Select(Digest.Parse).ToList();

    public async ValueTask<IReadOnlyList<Quota>> QuotasOfAsync(RepositoryName repository, CancellationToken ct) =>
        await SqliteUsageQueries.QuotasOfAsync(C, Tx, repository.Value).ConfigureAwait(false);

    public async ValueTask<bool> EnsureRepositoryAsync(RepositoryName repository, CancellationToken ct)
    {
        bool created = await C.ExecuteAsync("INSERT OR IGNORE INTO repositories(name, created_at) VALUES (@name, @now)",
            new { name = repository.Value, now = Now() }, Tx).ConfigureAwait(false) > 0;
        // The trigger usage_repository_created adds its own, namespace and registry scopes; quota patterns are matched here.
        if (created) await SqliteUsageQueries.JoinQuotasAsync(C, Tx, repository.Value).ConfigureAwait(false);
        return created;
    }

    public async ValueTask<bool> LinkBlobAsync(RepositoryName repository, Digest digest, long size, CancellationToken ct) =>
        await C.ExecuteAsync($"INSERT OR IGNORE INTO repository_blobs(repository_id, digest, size, created_at) VALUES ({RepoId}, @digest, @size, @now)",
            new { name = repository.Value, digest = digest.ToString(), size, now = Now() }, Tx).ConfigureAwait(false) > 0;

    public async ValueTask<bool> UnlinkBlobAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        bool removed = await C.ExecuteAsync($"DELETE FROM repository_blobs WHERE repository_id = {RepoId} AND digest = @digest",
            new { name = repository.Value, digest = digest.ToString() }, Tx).ConfigureAwait(false) > 0;
        if (removed) await BumpGenerationAsync(repository).ConfigureAwait(false);
        return removed;
    }

    public async ValueTask<bool> PutManifestAsync(RepositoryName repository, ManifestRecord manifest, IReadOnlyCollection<Digest> blobs, IReadOnlyCollection<Digest> manifests, CancellationToken ct)
    {
        long id = await C.ExecuteScalarAsync<long>("SELECT id FROM repositories WHERE name = @name", new { name = repository.Value }, Tx).ConfigureAwait(false);
        string digest = manifest.Digest.ToString();
        int inserted = await C.ExecuteAsync(
            """
            INSERT OR IGNORE INTO manifests(repository_id, digest, media_type, artifact_type, subject, annotations, size, content, created_at, untagged_at)
            VALUES (@id, @digest, @MediaType, @ArtifactType, @subject, @AnnotationsJson, @Size, @Content, @now, @now)
            """,
            new { id, digest, manifest.MediaType, manifest.ArtifactType, subject = manifest.Subject?.ToString(), manifest.AnnotationsJson, manifest.Size, Content = new SqliteBlob(manifest.Content), now = manifest.CreatedAt.ToUnixTimeMilliseconds() },
            Tx).ConfigureAwait(false);
        if (inserted == 0) return false;
        // One statement per kind with many rows (Dapper runs it once per element on the same prepared command).
        await C.ExecuteAsync("INSERT OR IGNORE INTO manifest_references VALUES (@id, @digest, 'b', @d)", blobs.Select(d => new { id, digest, d = d.ToString() }), Tx).ConfigureAwait(false);
        await C.ExecuteAsync("INSERT OR IGNORE INTO manifest_references VALUES (@id, @digest, 'm', @d)", manifests.Select(d => new { id, digest, d = d.ToString() }), Tx).ConfigureAwait(false);
        return true;
    }

    public async ValueTask SetTagAsync(RepositoryName repository, string tag, Digest manifest, CancellationToken ct)
    {
        var previous = await GetTagAsync(repository, tag, ct).ConfigureAwait(false);
        await C.ExecuteAsync(
            $"""
            INSERT INTO tags(repository_id, name, manifest_digest, updated_at) VALUES ({RepoId}, @tag, @digest, @now)
            ON CONFLICT(repository_id, name) DO UPDATE SET manifest_digest = excluded.manifest_digest, updated_at = excluded.updated_at;
            UPDATE manifests SET untagged_at = NULL WHERE repository_id = {RepoId} AND digest = @digest;
            """, new { name = repository.Value, tag, digest = manifest.ToString(), now = Now() }, Tx).ConfigureAwait(false);
        if (previous is { } old && old != manifest) await MarkIfUntaggedAsync(repository, old).ConfigureAwait(false);
    }

    public async ValueTask<bool> DeleteTagAsync(RepositoryName repository, string tag, CancellationToken ct)
    {
        var target = await GetTagAsync(repository, tag, ct).ConfigureAwait(false);
        if (target is null) return false;
        await C.ExecuteAsync($"DELETE FROM tags WHERE repository_id = {RepoId} AND name = @tag", new { name = repository.Value, tag }, Tx).ConfigureAwait(false);
        await MarkIfUntaggedAsync(repository, target.Value).ConfigureAwait(false);
        return true;
    }

    /// <summary>GC's clock for untagged manifests (<c>untagged_at</c>, migration 0041): set when the last tag goes.</summary>
    private Task MarkIfUntaggedAsync(RepositoryName repository, Digest manifest) =>
        C.ExecuteAsync(
            $"""
            UPDATE manifests SET untagged_at = @now
            WHERE repository_id = {RepoId} AND digest = @digest
              AND NOT EXISTS (SELECT 1 FROM tags WHERE repository_id = manifests.repository_id AND manifest_digest = manifests.digest)
            """, new { name = repository.Value, digest = manifest.ToString(), now = Now() }, Tx);

    public async ValueTask<bool> DeleteManifestAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        // GC's grace for the links it leaves unreferenced counts from now (released_at, migration 0041).
        await C.ExecuteAsync(
            $"""
            UPDATE repository_blobs SET released_at = @now
            WHERE repository_id = {RepoId} AND digest IN
                (SELECT digest FROM manifest_references WHERE repository_id = {RepoId} AND manifest_digest = @digest AND kind = 'b')
            """, new { name = repository.Value, digest = digest.ToString(), now = Now() }, Tx).ConfigureAwait(false);
        // Tags and references go with it (ON DELETE CASCADE).
        bool removed = await C.ExecuteAsync($"DELETE FROM manifests WHERE repository_id = {RepoId} AND digest = @digest",
            new { name = repository.Value, digest = digest.ToString() }, Tx).ConfigureAwait(false) > 0;
        if (removed) await BumpGenerationAsync(repository).ConfigureAwait(false);
        return removed;
    }

    public async ValueTask<bool> DeleteRepositoryAsync(RepositoryName repository, CancellationToken ct)
    {
        var name = new { name = repository.Value };
        // Contents first, explicitly (not by ON DELETE CASCADE from the repository row), so that every row's own
        // triggers (the usage counters of 0050_usage.sql) see the repository they belonged to.
        await C.ExecuteAsync($"DELETE FROM tags WHERE repository_id = {RepoId}", name, Tx).ConfigureAwait(false);
        await C.ExecuteAsync($"DELETE FROM manifests WHERE repository_id = {RepoId}", name, Tx).ConfigureAwait(false);
        await C.ExecuteAsync($"DELETE FROM repository_blobs WHERE repository_id = {RepoId}", name, Tx).ConfigureAwait(false);
        return await C.ExecuteAsync("DELETE FROM repositories WHERE name = @name", name, Tx).ConfigureAwait(false) > 0;
    }

    public async ValueTask<long> AppendEventAsync(RegistryEvent e, CancellationToken ct)
    {
        long seq = await C.ExecuteScalarAsync<long>(
            """
            INSERT INTO registry_events(time, kind, repository, digest, tag, previous_digest, media_type, size, principal, client, detail)
            VALUES (@time, @kind, @repository, @digest, @Tag, @previous, @MediaType, @Size, @Principal, @ClientAddress, @Detail);
            SELECT last_insert_rowid();
            """,
            new
            {
                time = e.Time.ToUnixTimeMilliseconds(), kind = e.Kind.ToString(), repository = e.Repository?.Value ?? "", digest = e.Digest?.ToString(),
                e.Tag, previous = e.PreviousDigest?.ToString(), e.MediaType, e.Size, e.Principal, e.ClientAddress, e.Detail,
            }, Tx).ConfigureAwait(false);
        _appended = true;
        return seq;
    }

    public ValueTask CommitAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_committed, this);
        try
        {
            scope.Commit();
        }
        // The writer is held (an immediate transaction), so BUSY cannot happen here; a full disk or an I/O error
        // surfaces at commit, when the WAL is written: the same 507/503 as a single write (issue 6 B10).
        catch (Microsoft.Data.Sqlite.SqliteException e) when (SqliteDatabase.Translate(e) is { } translated)
        {
            throw translated;
        }
        _committed = true;
        if (_appended) signal.Notify();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        scope.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task BumpGenerationAsync(RepositoryName repository) =>
        C.ExecuteAsync("UPDATE repositories SET generation = generation + 1 WHERE name = @name", new { name = repository.Value }, Tx);

    private long Now() => time.GetUtcNow().ToUnixTimeMilliseconds();
}
