using Bollard.Core.Auth;
using Bollard.Core.Scanning.Pipeline;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>Scan exceptions (<c>Migrations/0084_scans.sql</c>, table <c>scan_exceptions</c>).</summary>
public sealed class SqliteScanExceptionStore(SqliteDatabase db) : IScanExceptionStore
{
    public async Task<IReadOnlyList<ScanExceptionRule>> ListAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<Row>(
            """
            SELECT id AS Id, advisory_id AS AdvisoryId, namespace AS Namespace, image_digest AS ImageDigest, package AS Package, reason AS Reason,
                   owner AS Owner, expires_at AS ExpiresAt, created_by AS CreatedBy, created_at AS CreatedAt
            FROM scan_exceptions ORDER BY id
            """, new { ct })).ConfigureAwait(false)).Select(r => r.ToException()).ToList();

    public async Task<ScanExceptionRule> AddAsync(ScanExceptionRule exception, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(exception);
        long id = await db.WriteAsync((c, tx) => c.ExecuteScalarAsync<long>(
            """
            INSERT INTO scan_exceptions(advisory_id, namespace, image_digest, package, reason, owner, expires_at, created_by, created_at)
            VALUES (@AdvisoryId, @ns, @ImageDigest, @Package, @Reason, @Owner, @expires, @CreatedBy, @created) RETURNING id
            """,
            new
            {
                exception.AdvisoryId, ns = exception.Namespace.Value, exception.ImageDigest, exception.Package, exception.Reason, exception.Owner,
                expires = exception.ExpiresAt.ToUnixTimeMilliseconds(), exception.CreatedBy, created = exception.CreatedAt.ToUnixTimeMilliseconds(),
            }, tx), ct).ConfigureAwait(false);
        return exception with
        {
            Id = id,
            ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(exception.ExpiresAt.ToUnixTimeMilliseconds()),
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(exception.CreatedAt.ToUnixTimeMilliseconds()),
        };
    }

    public async Task<bool> DeleteAsync(long id, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync("DELETE FROM scan_exceptions WHERE id = @id", new { id }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    internal sealed class Row
    {
        public long Id { get; set; }
        public string AdvisoryId { get; set; } = "";
        public string Namespace { get; set; } = "";
        public string? ImageDigest { get; set; }
        public string? Package { get; set; }
        public string Reason { get; set; } = "";
        public string Owner { get; set; } = "";
        public long ExpiresAt { get; set; }
        public string CreatedBy { get; set; } = "";
        public long CreatedAt { get; set; }

        public ScanExceptionRule ToException() => new()
        {
            Id = Id, AdvisoryId = AdvisoryId, Namespace = NamespacePattern.Parse(Namespace), ImageDigest = ImageDigest, Package = Package, Reason = Reason,
            Owner = Owner, ExpiresAt = DateTimeOffset.FromUnixTimeMilliseconds(ExpiresAt), CreatedBy = CreatedBy,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
        };
    }
}
