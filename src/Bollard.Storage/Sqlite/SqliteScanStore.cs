using System.Text;
using Bollard.Core.Oci;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Pipeline;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

/// <summary>
/// Scan state, inventories, the package index and findings (<c>Migrations/0084_scans.sql</c>). An inventory is one
/// compact JSON row; its packages are also rows of <c>scan_packages</c> (indexed by advisory key and purl) so that the
/// re-match after an import and the packages query never open an inventory they do not need.
/// </summary>
/// <remarks>
/// Rows are written only while a manifest with the digest exists (every write checks it on the single writer), so a scan
/// that finishes after its image was deleted and forgotten leaves nothing behind.
/// </remarks>
public sealed class SqliteScanStore(SqliteDatabase db) : IScanStore
{
    /// <summary>SQLite's default limit of host parameters is 32766; stay well under it.</summary>
    private const int ParameterBatch = 500;

    private static readonly string[] PackageParameters = ["$digest", "$type", "$name", "$version", "$key", "$source", "$base", "$purl", "$path"];
    private static readonly string[] FindingParameters = ["$d", "$a", "$t", "$n", "$s", "$f"];

    public async Task<ImageScan?> GetAsync(string digest, CancellationToken ct)
    {
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<ScanRow>(
            $"SELECT {ScanRow.Columns} FROM scan_images WHERE digest = @digest", new { digest, ct })).ConfigureAwait(false);
        return row?.ToScan();
    }

    public Task MarkQueuedAsync(string digest, long jobId, DateTimeOffset now, CancellationToken ct) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(
            """
            INSERT INTO scan_images(digest, state, job_id, queued_at, updated_at) SELECT @digest, 'Queued', @jobId, @now, @now WHERE EXISTS (SELECT 1 FROM manifests WHERE digest = @digest)
            ON CONFLICT(digest) DO UPDATE SET state = 'Queued', reason = NULL, job_id = @jobId, queued_at = @now, started_at = NULL, updated_at = @now
            """, new { digest, jobId, now = now.ToUnixTimeMilliseconds() }, tx), ct);

    public Task MarkRunningAsync(string digest, long jobId, DateTimeOffset now, CancellationToken ct) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(
            """
            INSERT INTO scan_images(digest, state, job_id, queued_at, started_at, updated_at) SELECT @digest, 'Running', @jobId, @now, @now, @now WHERE EXISTS (SELECT 1 FROM manifests WHERE digest = @digest)
            ON CONFLICT(digest) DO UPDATE SET state = 'Running', reason = NULL, job_id = @jobId, started_at = @now, updated_at = @now
            """, new { digest, jobId, now = now.ToUnixTimeMilliseconds() }, tx), ct);

    public Task MarkFailedAsync(string digest, string reason, DateTimeOffset now, CancellationToken ct) =>
        SetEndedAsync(digest, "Failed", reason, now, ct);

    public Task MarkSkippedAsync(string digest, string reason, DateTimeOffset now, CancellationToken ct) =>
        SetEndedAsync(digest, "Skipped", reason, now, ct);

    private Task SetEndedAsync(string digest, string state, string reason, DateTimeOffset now, CancellationToken ct) =>
        db.WriteAsync((c, tx) => c.ExecuteAsync(
            """
            INSERT INTO scan_images(digest, state, reason, finished_at, updated_at) SELECT @digest, @state, @reason, @now, @now WHERE EXISTS (SELECT 1 FROM manifests WHERE digest = @digest)
            ON CONFLICT(digest) DO UPDATE SET state = @state, reason = @reason, finished_at = @now, updated_at = @now
            """, new { digest, state, reason, now = now.ToUnixTimeMilliseconds() }, tx), ct);

    public Task SaveScanAsync(ImageInventory inventory, ImageSizeReport? size, IReadOnlyList<Finding> findings, string? advisoryGeneration, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(findings);
        byte[] json = ScanJson.Serialize(inventory);
        byte[]? sizeJson = size is null ? null : ScanJson.Serialize(size);
        string digest = inventory.ManifestDigest;
        long ms = now.ToUnixTimeMilliseconds();
        return db.WriteAsync(async (c, tx) =>
        {
            // A manifest deleted while its scan ran was forgotten on ManifestDeleted (same writer, in commit order): store nothing for it.
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM manifests WHERE digest = @digest", new { digest }, tx).ConfigureAwait(false) == 0)
                return 0;
            await c.ExecuteAsync(
                """
                INSERT INTO scan_inventories(digest, engine_version, inventory, size_report) VALUES (@digest, @engine, @json, @sizeJson)
                ON CONFLICT(digest) DO UPDATE SET engine_version = @engine, inventory = @json, size_report = coalesce(@sizeJson, size_report)
                """, new { digest, engine = inventory.EngineVersion, json = new SqliteBlob(json), sizeJson = new SqliteBlob(sizeJson) }, tx).ConfigureAwait(false);
            await c.ExecuteAsync("DELETE FROM scan_packages WHERE digest = @digest", new { digest }, tx).ConfigureAwait(false);
            using (var insert = c.CreateCommand())
            {
                insert.Transaction = tx;
                insert.CommandText =
                    """
                    INSERT INTO scan_packages(digest, type, name, version, key_name, key_source, purl_base, purl, path)
                    VALUES ($digest, $type, $name, $version, $key, $source, $base, $purl, $path)
                    """;
                var p = PackageParameters.Select(n => insert.Parameters.Add(n, SqliteType.Text)).ToArray();
                p[0].Value = digest;
                foreach (var package in inventory.Packages)
                {
                    string key = ScanKeys.Name(package.Type, package.Name);
                    string? source = package.SourceName is { Length: > 0 } s && ScanKeys.Name(package.Type, s) is var sk && sk != key ? sk : null;
                    p[1].Value = package.Type;
                    p[2].Value = package.Name;
                    p[3].Value = package.Version;
                    p[4].Value = key;
                    p[5].Value = (object?)source ?? DBNull.Value;
                    p[6].Value = ScanPurls.Base(package.Purl);
                    p[7].Value = package.Purl;
                    p[8].Value = package.Path;
                    await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
            }
            await ReplaceFindingsAsync(c, tx, digest, findings, ct).ConfigureAwait(false);
            await c.ExecuteAsync(
                """
                INSERT INTO scan_images(digest, state, engine_version, advisory_generation, platform, packages, findings, warnings, finished_at, matched_at, updated_at)
                VALUES (@digest, 'Done', @engine, @generation, @platform, @packages, @count, @warnings, @now, @now, @now)
                ON CONFLICT(digest) DO UPDATE SET state = 'Done', reason = NULL, engine_version = @engine, advisory_generation = @generation,
                    platform = @platform, packages = @packages, findings = @count, warnings = @warnings, finished_at = @now, matched_at = @now, updated_at = @now
                """,
                new
                {
                    digest, engine = inventory.EngineVersion, generation = advisoryGeneration, platform = inventory.Platform,
                    packages = inventory.Packages.Count, count = findings.Count,
                    warnings = inventory.Warnings.Count == 0 ? null : SqliteJson.Strings(inventory.Warnings), now = ms,
                }, tx).ConfigureAwait(false);
            return 0;
        }, ct);
    }

    public Task<bool> SaveFindingsAsync(string digest, IReadOnlyList<Finding> findings, string? advisoryGeneration, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(findings);
        return db.WriteAsync(async (c, tx) =>
        {
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM scan_inventories WHERE digest = @digest", new { digest }, tx).ConfigureAwait(false) == 0)
                return false;
            await ReplaceFindingsAsync(c, tx, digest, findings, ct).ConfigureAwait(false);
            await c.ExecuteAsync(
                "UPDATE scan_images SET advisory_generation = @generation, findings = @count, matched_at = @now, updated_at = @now WHERE digest = @digest",
                new { digest, generation = advisoryGeneration, count = findings.Count, now = now.ToUnixTimeMilliseconds() }, tx).ConfigureAwait(false);
            return true;
        }, ct);
    }

    private static async Task ReplaceFindingsAsync(SqliteConnection c, SqliteTransaction tx, string digest, IReadOnlyList<Finding> findings, CancellationToken ct)
    {
        await c.ExecuteAsync("DELETE FROM scan_findings WHERE digest = @digest", new { digest }, tx).ConfigureAwait(false);
        using var insert = c.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO scan_findings(digest, advisory_id, package_type, package_name, severity, finding) VALUES ($d, $a, $t, $n, $s, $f)";
        var p = FindingParameters.Select(n => insert.Parameters.Add(n, SqliteType.Text)).ToArray();
        p[0].Value = digest;
        foreach (var f in findings)
        {
            p[1].Value = f.AdvisoryId;
            p[2].Value = f.PackageType;
            p[3].Value = f.PackageName;
            p[4].Value = f.Severity;
            p[5].Value = Encoding.UTF8.GetString(ScanJson.Serialize(f));
            await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
    }

    public async Task<ImageInventory?> GetInventoryAsync(string digest, CancellationToken ct)
    {
        byte[]? json = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<byte[]?>(
            "SELECT inventory FROM scan_inventories WHERE digest = @digest", new { digest, ct })).ConfigureAwait(false);
        return json is null ? null : ScanJson.Deserialize<ImageInventory>(json);
    }

    public async Task<ImageSizeReport?> GetSizeReportAsync(string digest, CancellationToken ct)
    {
        byte[]? json = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<byte[]?>(
            "SELECT size_report FROM scan_inventories WHERE digest = @digest", new { digest, ct })).ConfigureAwait(false);
        return json is null ? null : ScanJson.Deserialize<ImageSizeReport>(json);
    }

    public Task AddWarningsAsync(string digest, IReadOnlyList<string> warnings, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(warnings);
        return db.WriteAsync(async (c, tx) =>
        {
            string? stored = await c.ExecuteScalarAsync<string?>("SELECT warnings FROM scan_images WHERE digest = @digest", new { digest }, tx).ConfigureAwait(false);
            var all = SqliteJson.ReadStrings(stored);
            all.AddRange(warnings.Where(w => !all.Contains(w)));
            return await c.ExecuteAsync("UPDATE scan_images SET warnings = @w WHERE digest = @digest",
                new { digest, w = SqliteJson.Strings(all.TakeLast(200)) }, tx).ConfigureAwait(false);
        }, ct);
    }

    public async Task<IReadOnlyList<Finding>> GetFindingsAsync(string digest, CancellationToken ct)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<string>(
            "SELECT finding FROM scan_findings WHERE digest = @digest ORDER BY rowid", new { digest, ct })).ConfigureAwait(false);
        return rows.Select(r => ScanJson.Deserialize<Finding>(Encoding.UTF8.GetBytes(r))).ToList();
    }

    public async Task<IReadOnlyList<string>> FindImagesWithPackagesAsync(IReadOnlyCollection<(string Type, string Name)> keys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var batch in keys.Distinct().Chunk(ParameterBatch / 2))
        {
            var sql = new StringBuilder("WITH k(type, name) AS (VALUES ");
            var args = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < batch.Length; i++)
            {
                if (i > 0) sql.Append(',');
                sql.Append(System.Globalization.CultureInfo.InvariantCulture, $"(@t{i}, @n{i})");
                args.Add($"@t{i}", batch[i].Type);
                args.Add($"@n{i}", ScanKeys.Name(batch[i].Type, batch[i].Name));
            }
            sql.Append(
                """
                )
                SELECT p.digest FROM k JOIN scan_packages p ON p.type = k.type AND p.key_name = k.name
                UNION
                SELECT p.digest FROM k JOIN scan_packages p ON p.type = k.type AND p.key_source = k.name
                """);
            string text = sql.ToString();
            foreach (string d in await db.ReadAsync(c => SqliteDynamicQuery.StringsAsync(c, text, args, ct)).ConfigureAwait(false))
                found.Add(d);
        }
        return found.ToList();
    }

    public async Task<IReadOnlyList<string>> ListInventoriesAsync(string? after, int limit, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<string>(
            "SELECT digest FROM scan_inventories WHERE digest > @after ORDER BY digest LIMIT @limit",
            new { after = after ?? "", limit, ct })).ConfigureAwait(false)).ToList();

    public Task<bool> ForgetIfUnreferencedAsync(string digest, CancellationToken ct) =>
        db.WriteAsync(async (c, tx) =>
        {
            if (await c.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM manifests WHERE digest = @digest", new { digest }, tx).ConfigureAwait(false) > 0)
                return false;
            int removed = await c.ExecuteAsync(
                """
                DELETE FROM scan_findings WHERE digest = @digest;
                DELETE FROM scan_packages WHERE digest = @digest;
                DELETE FROM scan_inventories WHERE digest = @digest;
                DELETE FROM scan_images WHERE digest = @digest;
                """, new { digest }, tx).ConfigureAwait(false);
            return removed > 0;
        }, ct);

    public async Task<IReadOnlyList<PackageHit>> FindPackagesAsync(PackageQuery query, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        var where = new List<string>();
        if (query.PurlBase is not null) where.Add("p.purl_base = @purlBase");
        if (query.Type is not null) where.Add("p.type = @type");
        if (query.Name is not null) where.Add(query.Type is null ? "p.name = @name" : "p.key_name = @keyName");
        if (query.Version is not null) where.Add("p.version = @version");
        if (where.Count == 0) throw new ArgumentException("a purl, or a type and name, is needed", nameof(query));
        // Keyset paging on (package rowid, repository id): the lookup index (purl_base, (type, key_name) or name) holds
        // its rows in rowid order per key, so a page is a range scan from the cursor, not a sort of every hit.
        where.Add("p.rowid >= @afterRow AND (p.rowid > @afterRow OR m.repository_id > @afterRepository)");
        string sql =
            $"""
            SELECT p.rowid AS Row, m.repository_id AS RepositoryId, r.name AS Repository, p.digest AS Digest, p.type AS Type, p.name AS Name, p.version AS Version, p.purl AS Purl, p.path AS Path,
                   (SELECT group_concat(t.name, char(10)) FROM tags t WHERE t.repository_id = m.repository_id
                      AND (t.manifest_digest = m.digest OR t.manifest_digest IN
                           (SELECT mr.manifest_digest FROM manifest_references mr WHERE mr.repository_id = m.repository_id AND mr.kind = 'm' AND mr.digest = m.digest))) AS Tags
            FROM scan_packages p
            JOIN manifests m ON m.digest = p.digest
            JOIN repositories r ON r.id = m.repository_id
            WHERE {string.Join(" AND ", where)}
            ORDER BY p.rowid, m.repository_id
            LIMIT @limit
            """;
        // The token is checked here, not passed with the arguments: Dapper.AOT 1.1.0 generates code that does not compile
        // for a cancellable call whose SQL is built at run time. The query is one LIMITed range scan.
        ct.ThrowIfCancellationRequested();
        var rows = await db.ReadAsync(c => c.QueryAsync<HitRow>(sql, new
        {
            purlBase = query.PurlBase, type = query.Type, name = query.Name,
            keyName = query.Type is null || query.Name is null ? null : ScanKeys.Name(query.Type, query.Name),
            version = query.Version, limit = query.Limit, afterRow = query.After.Row, afterRepository = query.After.Repository,
        })).ConfigureAwait(false);
        return rows.Select(r => new PackageHit(r.Repository, r.Digest, Tags(r.Tags), r.Type, r.Name, r.Version, r.Purl, r.Path)
        {
            Cursor = new PackageCursor(r.Row, r.RepositoryId),
        }).ToList();
    }

    public async Task<IReadOnlyList<RepositoryImage>> ListRepositoryImagesAsync(RepositoryName repository, CancellationToken ct)
    {
        var rows = await db.ReadAsync(c => c.QueryAsync<ImageRow>(
            """
            SELECT m.digest AS Digest, m.media_type AS MediaType, s.state AS State,
                   (SELECT group_concat(t.name, char(10)) FROM tags t WHERE t.repository_id = m.repository_id AND t.manifest_digest = m.digest) AS Tags
            FROM manifests m JOIN repositories r ON r.id = m.repository_id
            LEFT JOIN scan_images s ON s.digest = m.digest
            WHERE r.name = @name AND m.subject IS NULL
            ORDER BY m.created_at, m.digest
            """, new { name = repository.Value, ct })).ConfigureAwait(false);
        return rows.Select(r => new RepositoryImage(r.Digest, r.MediaType, Tags(r.Tags), r.State is null ? null : Enum.Parse<ScanState>(r.State))).ToList();
    }

    public async Task<IReadOnlyList<RepositoryName>> RepositoriesOfAsync(string digest, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<string>(
            "SELECT r.name FROM manifests m JOIN repositories r ON r.id = m.repository_id WHERE m.digest = @digest ORDER BY r.name",
            new { digest, ct })).ConfigureAwait(false)).Select(RepositoryName.Parse).ToList();

    public async Task<IReadOnlySet<string>> SharedLayersAsync(string digest, IReadOnlyCollection<string> layers, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(layers);
        var shared = new HashSet<string>(StringComparer.Ordinal);
        foreach (var batch in layers.Distinct().Chunk(ParameterBatch))
        {
            var args = new Dictionary<string, string>(StringComparer.Ordinal) { ["@digest"] = digest };
            var names = new List<string>();
            for (int i = 0; i < batch.Length; i++)
            {
                names.Add($"@l{i}");
                args.Add($"@l{i}", batch[i]);
            }
            string sql = $"SELECT DISTINCT digest FROM manifest_references WHERE kind = 'b' AND manifest_digest <> @digest AND digest IN ({string.Join(',', names)})";
            foreach (string d in await db.ReadAsync(c => SqliteDynamicQuery.StringsAsync(c, sql, args, ct)).ConfigureAwait(false))
                shared.Add(d);
        }
        return shared;
    }

    private static List<string> Tags(string? joined) =>
        string.IsNullOrEmpty(joined) ? [] : joined.Split('\n').Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    internal sealed class ScanRow
    {
        public const string Columns =
            "digest AS Digest, state AS State, reason AS Reason, job_id AS JobId, engine_version AS EngineVersion, advisory_generation AS AdvisoryGeneration, " +
            "platform AS Platform, packages AS Packages, findings AS Findings, warnings AS Warnings, queued_at AS QueuedAt, started_at AS StartedAt, " +
            "finished_at AS FinishedAt, matched_at AS MatchedAt, updated_at AS UpdatedAt";

        public string Digest { get; set; } = "";
        public string State { get; set; } = "";
        public string? Reason { get; set; }
        public long? JobId { get; set; }
        public long? EngineVersion { get; set; }
        public string? AdvisoryGeneration { get; set; }
        public string? Platform { get; set; }
        public long Packages { get; set; }
        public long Findings { get; set; }
        public string? Warnings { get; set; }
        public long? QueuedAt { get; set; }
        public long? StartedAt { get; set; }
        public long? FinishedAt { get; set; }
        public long? MatchedAt { get; set; }
        public long UpdatedAt { get; set; }

        public ImageScan ToScan() => new()
        {
            Digest = Digest, State = Enum.Parse<ScanState>(State), Reason = Reason, JobId = JobId, EngineVersion = EngineVersion is { } e ? (int)e : null,
            AdvisoryGeneration = AdvisoryGeneration, Platform = Platform, Packages = (int)Packages, Findings = (int)Findings,
            Warnings = SqliteJson.ReadStrings(Warnings),
            QueuedAt = Time(QueuedAt), StartedAt = Time(StartedAt), FinishedAt = Time(FinishedAt), MatchedAt = Time(MatchedAt),
            UpdatedAt = DateTimeOffset.FromUnixTimeMilliseconds(UpdatedAt),
        };

        private static DateTimeOffset? Time(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
    }

    internal sealed class HitRow
    {
        public long Row { get; set; }
        public long RepositoryId { get; set; }
        public string Repository { get; set; } = "";
        public string Digest { get; set; } = "";
        public string Type { get; set; } = "";
        public string Name { get; set; } = "";
        public string Version { get; set; } = "";
        public string Purl { get; set; } = "";
        public string Path { get; set; } = "";
        public string? Tags { get; set; }
    }

    internal sealed class ImageRow
    {
        public string Digest { get; set; } = "";
        public string MediaType { get; set; } = "";
        public string? State { get; set; }
        public string? Tags { get; set; }
    }
}
