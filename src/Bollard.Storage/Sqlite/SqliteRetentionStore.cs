using Bollard.Core.Auth;
using Bollard.Core.Immutability;
using Bollard.Core.Retention;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>Retention policies (<c>Migrations/0061_retention.sql</c>).</summary>
public sealed class SqliteRetentionStore(SqliteDatabase db) : IRetentionStore
{
    public async ValueTask<IReadOnlyList<RetentionPolicy>> ListAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<PolicyRow>(
            """
            SELECT id, namespace, keep_last AS KeepLast, order_by AS OrderBy, keep_tags AS KeepTags, untagged_after AS UntaggedAfter,
                   created_by AS CreatedBy, created_at AS CreatedAt
            FROM retention_policies ORDER BY id
            """)).ConfigureAwait(false)).Select(r => r.ToPolicy()).ToList();

    public async ValueTask<RetentionPolicy?> AddAsync(RetentionPolicy policy, CancellationToken ct)
    {
        long? id = await db.WriteAsync((c, tx) => c.ExecuteScalarAsync<long?>(
            """
            INSERT INTO retention_policies(namespace, keep_last, order_by, keep_tags, untagged_after, created_by, created_at)
            VALUES (@ns, @keepLast, @order, @keepTags, @untaggedAfter, @createdBy, @now)
            ON CONFLICT DO NOTHING RETURNING id
            """,
            new
            {
                ns = policy.Namespace.Value, keepLast = policy.KeepLast, order = policy.Order == RetentionOrder.Pulled ? "pull" : "push",
                keepTags = string.Join(',', policy.KeepTags.Select(t => t.Value)),
                untaggedAfter = policy.UntaggedAfter is { } d ? (long?)(long)d.TotalMilliseconds : null,
                createdBy = policy.CreatedBy, now = policy.CreatedAt.ToUnixTimeMilliseconds(),
            }, tx), ct).ConfigureAwait(false);
        return id is { } created ? policy with { Id = created, CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(policy.CreatedAt.ToUnixTimeMilliseconds()) } : null;
    }

    public async ValueTask<bool> DeleteAsync(long id, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync("DELETE FROM retention_policies WHERE id = @id", new { id }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    internal sealed class PolicyRow
    {
        public long Id { get; set; }
        public string Namespace { get; set; } = "";
        public long? KeepLast { get; set; }
        public string OrderBy { get; set; } = "push";
        public string KeepTags { get; set; } = "";
        public long? UntaggedAfter { get; set; }
        public string CreatedBy { get; set; } = "";
        public long CreatedAt { get; set; }

        public RetentionPolicy ToPolicy() => new(
            Id, NamespacePattern.Parse(Namespace), KeepLast is { } n ? (int)n : null, OrderBy == "pull" ? RetentionOrder.Pulled : RetentionOrder.Pushed,
            KeepTags.Length == 0 ? [] : KeepTags.Split(',').Select(TagPattern.Parse).ToList(),
            UntaggedAfter is { } ms ? TimeSpan.FromMilliseconds(ms) : null, CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }
}
