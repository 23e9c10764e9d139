using Bollard.Core.Auth;
using Bollard.Core.Immutability;
using Dapper;

namespace Bollard.Storage.Sqlite;

/// <summary>Immutability rules (<c>Migrations/0060_immutability.sql</c>).</summary>
public sealed class SqliteImmutabilityStore(SqliteDatabase db) : IImmutabilityStore
{
    public async ValueTask<IReadOnlyList<ImmutabilityRule>> ListAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<RuleRow>(
            "SELECT id, namespace, tag_pattern AS TagPattern, created_by AS CreatedBy, created_at AS CreatedAt FROM immutability_rules ORDER BY id")).ConfigureAwait(false))
        .Select(r => r.ToRule()).ToList();

    public async ValueTask<ImmutabilityRule?> AddAsync(string namespacePattern, string tagPattern, string createdBy, DateTimeOffset now, CancellationToken ct)
    {
        long? id = await db.WriteAsync((c, tx) => c.ExecuteScalarAsync<long?>(
            """
            INSERT INTO immutability_rules(namespace, tag_pattern, created_by, created_at) VALUES (@namespacePattern, @tagPattern, @createdBy, @now)
            ON CONFLICT DO NOTHING RETURNING id
            """, new { namespacePattern, tagPattern, createdBy, now = now.ToUnixTimeMilliseconds() }, tx), ct).ConfigureAwait(false);
        return id is { } created
            ? new ImmutabilityRule(created, NamespacePattern.Parse(namespacePattern), TagPattern.Parse(tagPattern), createdBy, DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds()))
            : null;
    }

    public async ValueTask<bool> DeleteAsync(long id, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync("DELETE FROM immutability_rules WHERE id = @id", new { id }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    internal sealed class RuleRow
    {
        public long Id { get; set; }
        public string Namespace { get; set; } = "";
        public string TagPattern { get; set; } = "";
        public string CreatedBy { get; set; } = "";
        public long CreatedAt { get; set; }

        public ImmutabilityRule ToRule() => new(Id, NamespacePattern.Parse(Namespace), Core.Immutability.TagPattern.Parse(TagPattern), CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }
}
