using Bollard.Core.Auth;
using Dapper;

namespace Bollard.Storage.Sqlite;

public sealed class SqliteAccessStore(SqliteDatabase db) : IAccessStore
{
    public async ValueTask<RoleBindingRecord> AddBindingAsync(PrincipalKind kind, long principalId, Role role, string pattern, DateTimeOffset now, CancellationToken ct)
    {
        await db.WriteAsync((c, tx) => c.ExecuteAsync(
            "INSERT INTO role_bindings(kind, principal_id, role, pattern, created_at) VALUES (@kind, @principalId, @role, @pattern, @now) ON CONFLICT DO NOTHING",
            new { kind = (int)kind, principalId, role = (int)role, pattern, now = now.ToUnixTimeMilliseconds() }, tx), ct).ConfigureAwait(false);
        var all = await ListBindingsAsync(ct).ConfigureAwait(false);
        return all.Single(b => b.Kind == kind && b.PrincipalId == principalId && b.Role == role && b.Pattern == pattern);
    }

    public async ValueTask<IReadOnlyList<RoleBindingRecord>> ListBindingsAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<BindingRow>(
            """
            SELECT b.id, b.kind, b.principal_id AS PrincipalId, coalesce(u.name, r.name, '') AS PrincipalName, b.role, b.pattern, b.created_at AS CreatedAt
            FROM role_bindings b
            LEFT JOIN users u ON b.kind = 1 AND u.id = b.principal_id
            LEFT JOIN robots r ON b.kind = 2 AND r.id = b.principal_id
            ORDER BY b.id
            """)).ConfigureAwait(false))
        .Select(r => new RoleBindingRecord(r.Id, (PrincipalKind)r.Kind, r.PrincipalId, r.PrincipalName, (Role)r.Role, r.Pattern, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAt)))
        .ToList();

    public async ValueTask<bool> DeleteBindingAsync(long id, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync("DELETE FROM role_bindings WHERE id = @id", new { id }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<string>> ListPublicPatternsAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<string>("SELECT pattern FROM public_namespaces ORDER BY pattern")).ConfigureAwait(false)).AsList();

    public async ValueTask<bool> SetPublicAsync(string pattern, bool isPublic, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync(
            isPublic ? "INSERT INTO public_namespaces(pattern) VALUES (@pattern) ON CONFLICT DO NOTHING" : "DELETE FROM public_namespaces WHERE pattern = @pattern",
            new { pattern }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    internal sealed class BindingRow
    {
        public long Id { get; set; }
        public long Kind { get; set; }
        public long PrincipalId { get; set; }
        public string PrincipalName { get; set; } = "";
        public long Role { get; set; }
        public string Pattern { get; set; } = "";
        public long CreatedAt { get; set; }
    }
}
