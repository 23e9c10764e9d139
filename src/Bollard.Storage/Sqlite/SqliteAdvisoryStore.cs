using System.Runtime.CompilerServices;
using Bollard.Core.Scanning.Advisories;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

/// <summary>The advisory database (<c>Migrations/0090_advisories.sql</c>).</summary>
public sealed class SqliteAdvisoryStore(SqliteDatabase db) : IAdvisoryStore
{
    public Task<IReadOnlyDictionary<string, StoredAdvisoryState>> GetFeedStateAsync(string feed, CancellationToken ct) =>
        db.ReadAsync<IReadOnlyDictionary<string, StoredAdvisoryState>>(async c =>
        {
            var hashes = (await c.QueryAsync<HashRow>(
                "SELECT id, hash FROM advisories WHERE feed = @feed", new { feed, ct }).ConfigureAwait(false)).ToList();
            var keys = new Dictionary<string, List<AdvisoryKey>>(StringComparer.Ordinal);
            foreach (var row in await c.QueryAsync<PackageRow>(
                "SELECT advisory_id, type, release, name FROM advisory_packages WHERE feed = @feed", new { feed, ct }).ConfigureAwait(false))
            {
                if (!keys.TryGetValue(row.AdvisoryId, out var list)) keys[row.AdvisoryId] = list = [];
                list.Add(new AdvisoryKey(row.Type, row.Release.Length == 0 ? null : row.Release, row.Name));
            }
            return hashes.ToDictionary(h => h.Id, h => new StoredAdvisoryState(h.Hash, keys.TryGetValue(h.Id, out var k) ? k : []), StringComparer.Ordinal);
        });

    public Task PutAsync(IReadOnlyList<StoredAdvisory> advisories, CancellationToken ct) =>
        advisories.Count == 0 ? Task.CompletedTask : db.WriteAsync(async (c, tx) =>
        {
            foreach (var stored in advisories)
            {
                var a = stored.Advisory;
                var key = new { feed = stored.Feed, id = a.Id };
                // Replacing the row cascades to its ids and packages, which are then written anew.
                await c.ExecuteAsync("DELETE FROM advisories WHERE feed = @feed AND id = @id", key, tx).ConfigureAwait(false);
                await c.ExecuteAsync(
                    "INSERT INTO advisories(feed, id, source, hash, modified_at, body) VALUES (@feed, @id, @source, @hash, @modified, @body)",
                    new { feed = stored.Feed, id = a.Id, source = a.Source, hash = stored.Hash, modified = a.Modified?.ToUnixTimeMilliseconds(), body = new SqliteBlob(AdvisoryJson.Serialize(a)) }, tx).ConfigureAwait(false);
                var aliases = a.Aliases.Append(a.Id).Select(x => x.ToLowerInvariant()).Distinct(StringComparer.Ordinal)
                    .Select(alias => new { feed = stored.Feed, id = a.Id, alias });
                await c.ExecuteAsync("INSERT INTO advisory_ids(feed, advisory_id, alias) VALUES (@feed, @id, @alias)", aliases, tx).ConfigureAwait(false);
                var packages = a.Affected.Select(p => p.Key).Distinct()
                    .Select(k => new { feed = stored.Feed, id = a.Id, type = k.Type, release = k.Release ?? "", name = k.Name });
                await c.ExecuteAsync("INSERT INTO advisory_packages(feed, advisory_id, type, release, name) VALUES (@feed, @id, @type, @release, @name)", packages, tx).ConfigureAwait(false);
            }
            return 0;
        }, ct);

    public Task DeleteAsync(string feed, IReadOnlyCollection<string> ids, CancellationToken ct) =>
        ids.Count == 0 ? Task.CompletedTask : db.WriteAsync(async (c, tx) =>
            await c.ExecuteAsync("DELETE FROM advisories WHERE feed = @feed AND id = @id", ids.Select(id => new { feed, id }), tx).ConfigureAwait(false), ct);

    public async IAsyncEnumerable<StoredAdvisory> ReadAllAsync([EnumeratorCancellation] CancellationToken ct)
    {
        // One read connection for the whole scan (WAL: a consistent snapshot while imports write).
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT feed, hash, body FROM advisories";
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            yield return new StoredAdvisory(reader.GetString(0), AdvisoryJson.Deserialize((byte[])reader.GetValue(2)), reader.GetString(1));
        }
    }

    public async IAsyncEnumerable<StoredAdvisory> ReadByKeysAsync(IReadOnlyCollection<AdvisoryKey> keys, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count == 0) yield break;
        // The keys travel as one JSON array of [type, release, name] (no parameter limit); json_each drives the loop over
        // the advisory_packages_key index (0091), and the distinct (feed, id) pairs then find their rows by primary key.
        string json = System.Text.Json.JsonSerializer.Serialize(keys.Distinct().Select(k => new[] { k.Type, k.Release ?? "", k.Name }).ToArray(), SqliteJson.Default.StringArrayArray);
        await using var connection = await OpenAsync(ct).ConfigureAwait(false);
        await using var command = connection.CreateCommand();
        command.CommandText =
            """
            SELECT a.feed, a.hash, a.body FROM advisories a
            WHERE (a.feed, a.id) IN (
                SELECT p.feed, p.advisory_id FROM json_each(@keys) k
                JOIN advisory_packages p ON p.type = k.value ->> 0 AND p.release = k.value ->> 1 AND p.name = k.value ->> 2)
            """;
        command.Parameters.AddWithValue("@keys", json);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            yield return new StoredAdvisory(reader.GetString(0), AdvisoryJson.Deserialize((byte[])reader.GetValue(2)), reader.GetString(1));
        }
    }

    public Task<IReadOnlyList<StoredAdvisory>> FindAsync(string id, CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<StoredAdvisory>>(async c =>
            (await c.QueryAsync<BodyRow>(
                """
                SELECT a.feed, a.hash, a.body FROM advisories a
                WHERE EXISTS (SELECT 1 FROM advisory_ids i WHERE i.alias = @alias AND i.feed = a.feed AND i.advisory_id = a.id)
                ORDER BY a.feed, a.id
                """, new { alias = id.ToLowerInvariant(), ct }).ConfigureAwait(false))
            .Select(r => new StoredAdvisory(r.Feed, AdvisoryJson.Deserialize(r.Body), r.Hash)).ToList());

    public async Task<AdvisoryImportRecord> RecordImportAsync(AdvisoryImportRecord record, CancellationToken ct)
    {
        long id = await db.WriteAsync((c, tx) => c.ExecuteScalarAsync<long>(
            """
            INSERT INTO advisory_imports(imported_at, feed, source, path, added, changed, removed, unchanged, warnings, duration_ms)
            VALUES (@at, @Feed, @Source, @Path, @Added, @Changed, @Removed, @Unchanged, @Warnings, @ms) RETURNING id
            """,
            new
            {
                at = record.ImportedAt.ToUnixTimeMilliseconds(), record.Feed, record.Source, record.Path, record.Added, record.Changed,
                record.Removed, record.Unchanged, record.Warnings, ms = (long)record.Duration.TotalMilliseconds,
            }, tx), ct).ConfigureAwait(false);
        return record with { Id = id, ImportedAt = DateTimeOffset.FromUnixTimeMilliseconds(record.ImportedAt.ToUnixTimeMilliseconds()) };
    }

    public Task<IReadOnlyList<AdvisoryImportRecord>> ListImportsAsync(int limit, CancellationToken ct) =>
        db.ReadAsync<IReadOnlyList<AdvisoryImportRecord>>(async c =>
            (await c.QueryAsync<ImportRow>(
                """
                SELECT id, imported_at AS ImportedAt, feed, source, path, added, changed, removed, unchanged, warnings, duration_ms AS DurationMs
                FROM advisory_imports ORDER BY id DESC LIMIT @limit
                """, new { limit = Math.Max(0, limit), ct }).ConfigureAwait(false))
            .Select(r => r.ToRecord()).ToList());

    public Task<IReadOnlyDictionary<string, int>> CountByFeedAsync(CancellationToken ct) =>
        db.ReadAsync<IReadOnlyDictionary<string, int>>(async c =>
            (await c.QueryAsync<FeedCountRow>(
                "SELECT feed, COUNT(*) AS Count FROM advisories GROUP BY feed ORDER BY feed", new { ct }).ConfigureAwait(false))
            .ToDictionary(r => r.Feed, r => r.Count, StringComparer.Ordinal));

    private async Task<SqliteConnection> OpenAsync(CancellationToken ct)
    {
        var connection = new SqliteConnection(db.ReadConnectionString);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    // Dapper.AOT builds records, not tuples; internal because its generated readers live outside this class.
    internal readonly record struct HashRow(string Id, string Hash);

    internal readonly record struct PackageRow(string AdvisoryId, string Type, string Release, string Name);

    internal readonly record struct BodyRow(string Feed, string Hash, byte[] Body);

    internal readonly record struct FeedCountRow(string Feed, int Count);

    internal sealed class ImportRow
    {
        public long Id { get; set; }
        public long ImportedAt { get; set; }
        public string Feed { get; set; } = "";
        public string Source { get; set; } = "";
        public string Path { get; set; } = "";
        public int Added { get; set; }
        public int Changed { get; set; }
        public int Removed { get; set; }
        public int Unchanged { get; set; }
        public int Warnings { get; set; }
        public long DurationMs { get; set; }

        public AdvisoryImportRecord ToRecord() => new()
        {
            Id = Id, ImportedAt = DateTimeOffset.FromUnixTimeMilliseconds(ImportedAt), Feed = Feed, Source = Source, Path = Path,
            Added = Added, Changed = Changed, Removed = Removed, Unchanged = Unchanged, Warnings = Warnings,
            Duration = TimeSpan.FromMilliseconds(DurationMs),
        };
    }
}
