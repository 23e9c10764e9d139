using Bollard.Core.Auth;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

public sealed class SqliteIdentityStore(SqliteDatabase db) : IIdentityStore
{
    private const string UserColumns = "id, name, password_hash AS PasswordHash, is_admin AS IsAdmin, created_at AS CreatedAt";
    private const string RobotColumns = "id, name, secret_hash AS SecretHash, description, expires_at AS ExpiresAt, created_by AS CreatedBy, created_at AS CreatedAt";
    private const string TokenColumns = "id, user_id AS UserId, name, hash, expires_at AS ExpiresAt, created_at AS CreatedAt";

    public async ValueTask<UserRecord?> CreateUserAsync(string name, string passwordHash, bool isAdmin, DateTimeOffset now, CancellationToken ct)
    {
        long? id = await db.WriteAsync(async (c, tx) => await c.ExecuteScalarAsync<long?>(
            "INSERT INTO users(name, password_hash, is_admin, created_at) VALUES (@name, @passwordHash, @isAdmin, @now) ON CONFLICT(name) DO NOTHING RETURNING id",
            new { name, passwordHash, isAdmin, now = now.ToUnixTimeMilliseconds() }, tx).ConfigureAwait(false), ct).ConfigureAwait(false);
        return id is null ? null : new UserRecord(id.Value, name, passwordHash, isAdmin, DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds()));
    }

    public async ValueTask<UserRecord?> GetUserAsync(string name, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<UserRow>($"SELECT {UserColumns} FROM users WHERE name = @name", new { name })).ConfigureAwait(false))?.ToRecord();

    public async ValueTask<UserRecord?> GetUserAsync(long id, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<UserRow>($"SELECT {UserColumns} FROM users WHERE id = @id", new { id })).ConfigureAwait(false))?.ToRecord();

    public async ValueTask<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<UserRow>($"SELECT {UserColumns} FROM users ORDER BY name")).ConfigureAwait(false)).Select(r => r.ToRecord()).ToList();

    public async ValueTask<bool> UpdateUserAsync(long id, string? passwordHash, bool? isAdmin, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync(
            "UPDATE users SET password_hash = coalesce(@passwordHash, password_hash), is_admin = coalesce(@isAdmin, is_admin) WHERE id = @id",
            new { id, passwordHash, isAdmin }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    public async ValueTask<bool> DeleteUserAsync(long id, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("DELETE FROM role_bindings WHERE kind = 1 AND principal_id = @id; DELETE FROM refresh_tokens WHERE kind = 1 AND principal_id = @id", new { id }, tx).ConfigureAwait(false);
            return await c.ExecuteAsync("DELETE FROM users WHERE id = @id", new { id }, tx).ConfigureAwait(false) > 0;
        }, ct).ConfigureAwait(false);

    public async ValueTask<RobotRecord?> CreateRobotAsync(string name, string secretHash, string description, DateTimeOffset? expiresAt, string createdBy, DateTimeOffset now, CancellationToken ct)
    {
        long? id = await db.WriteAsync(async (c, tx) => await c.ExecuteScalarAsync<long?>(
            """
            INSERT INTO robots(name, secret_hash, description, expires_at, created_by, created_at)
            VALUES (@name, @secretHash, @description, @expires, @createdBy, @now) ON CONFLICT(name) DO NOTHING RETURNING id
            """,
            new { name, secretHash, description, expires = expiresAt?.ToUnixTimeMilliseconds(), createdBy, now = now.ToUnixTimeMilliseconds() }, tx).ConfigureAwait(false), ct).ConfigureAwait(false);
        return id is null ? null : await GetRobotAsync(id.Value, ct).ConfigureAwait(false);
    }

    public async ValueTask<RobotRecord?> GetRobotAsync(string name, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<RobotRow>($"SELECT {RobotColumns} FROM robots WHERE name = @name", new { name })).ConfigureAwait(false))?.ToRecord();

    public async ValueTask<RobotRecord?> GetRobotAsync(long id, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<RobotRow>($"SELECT {RobotColumns} FROM robots WHERE id = @id", new { id })).ConfigureAwait(false))?.ToRecord();

    public async ValueTask<IReadOnlyList<RobotRecord>> ListRobotsAsync(CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<RobotRow>($"SELECT {RobotColumns} FROM robots ORDER BY name")).ConfigureAwait(false)).Select(r => r.ToRecord()).ToList();

    public async ValueTask<bool> DeleteRobotAsync(long id, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) =>
        {
            await c.ExecuteAsync("DELETE FROM role_bindings WHERE kind = 2 AND principal_id = @id; DELETE FROM refresh_tokens WHERE kind = 2 AND principal_id = @id", new { id }, tx).ConfigureAwait(false);
            return await c.ExecuteAsync("DELETE FROM robots WHERE id = @id", new { id }, tx).ConfigureAwait(false) > 0;
        }, ct).ConfigureAwait(false);

    public async ValueTask<AccessTokenRecord> CreateAccessTokenAsync(long userId, string name, string hash, DateTimeOffset? expiresAt, DateTimeOffset now, CancellationToken ct)
    {
        long id = await db.WriteAsync(async (c, tx) => await c.ExecuteScalarAsync<long>(
            "INSERT INTO access_tokens(user_id, name, hash, expires_at, created_at) VALUES (@userId, @name, @hash, @expires, @now) RETURNING id",
            new { userId, name, hash, expires = expiresAt?.ToUnixTimeMilliseconds(), now = now.ToUnixTimeMilliseconds() }, tx).ConfigureAwait(false), ct).ConfigureAwait(false);
        return (await db.ReadAsync(c => c.QuerySingleAsync<TokenRow>($"SELECT {TokenColumns} FROM access_tokens WHERE id = @id", new { id })).ConfigureAwait(false)).ToRecord();
    }

    public async ValueTask<AccessTokenRecord?> FindAccessTokenAsync(string hash, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<TokenRow>($"SELECT {TokenColumns} FROM access_tokens WHERE hash = @hash", new { hash })).ConfigureAwait(false))?.ToRecord();

    public async ValueTask<IReadOnlyList<AccessTokenRecord>> ListAccessTokensAsync(long userId, CancellationToken ct) =>
        (await db.ReadAsync(c => c.QueryAsync<TokenRow>($"SELECT {TokenColumns} FROM access_tokens WHERE user_id = @userId ORDER BY id", new { userId })).ConfigureAwait(false)).Select(r => r.ToRecord()).ToList();

    public async ValueTask<bool> DeleteAccessTokenAsync(long userId, long id, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) => await c.ExecuteAsync("DELETE FROM access_tokens WHERE id = @id AND user_id = @userId", new { id, userId }, tx).ConfigureAwait(false) > 0, ct).ConfigureAwait(false);

    private const string RefreshColumns = "hash, kind, principal_id AS PrincipalId, audience, expires_at AS ExpiresAt, credential, family, used_at AS UsedAt";

    public async ValueTask CreateRefreshTokenAsync(RefreshTokenRecord token, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => InsertRefreshAsync(c, tx, token), ct).ConfigureAwait(false);

    public async ValueTask<RefreshTokenRecord?> FindRefreshTokenAsync(string hash, CancellationToken ct)
    {
        var row = await db.ReadAsync(c => c.QuerySingleOrDefaultAsync<RefreshRow>(
            $"SELECT {RefreshColumns} FROM refresh_tokens WHERE hash = @hash", new { hash })).ConfigureAwait(false);
        return row?.ToRecord();
    }

    public async ValueTask<bool> RotateRefreshTokenAsync(string usedHash, RefreshTokenRecord replacement, DateTimeOffset now, CancellationToken ct) =>
        await db.WriteAsync(async (c, tx) =>
        {
            if (await c.ExecuteAsync("UPDATE refresh_tokens SET used_at = @now WHERE hash = @usedHash AND used_at IS NULL",
                    new { usedHash, now = now.ToUnixTimeMilliseconds() }, tx).ConfigureAwait(false) == 0)
                return false;
            await InsertRefreshAsync(c, tx, replacement).ConfigureAwait(false);
            // Used tokens are kept (a replay must be recognised) until they expire; then they go.
            await c.ExecuteAsync("DELETE FROM refresh_tokens WHERE expires_at <= @now", new { now = now.ToUnixTimeMilliseconds() }, tx).ConfigureAwait(false);
            return true;
        }, ct).ConfigureAwait(false);

    public async ValueTask<int> RevokeRefreshTokensAsync(PrincipalKind kind, long principalId, string? credential, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync(
            credential is null
                ? "DELETE FROM refresh_tokens WHERE kind = @kind AND principal_id = @principalId"
                : "DELETE FROM refresh_tokens WHERE kind = @kind AND principal_id = @principalId AND credential IN (@credential, '')",
            new { kind = (int)kind, principalId, credential }, tx), ct).ConfigureAwait(false);

    public async ValueTask<int> RevokeRefreshTokenFamilyAsync(string family, CancellationToken ct) =>
        await db.WriteAsync((c, tx) => c.ExecuteAsync("DELETE FROM refresh_tokens WHERE family = @family", new { family }, tx), ct).ConfigureAwait(false);

    private static Task<int> InsertRefreshAsync(SqliteConnection c, SqliteTransaction tx, RefreshTokenRecord token) =>
        c.ExecuteAsync(
            "INSERT INTO refresh_tokens(hash, kind, principal_id, audience, expires_at, credential, family, used_at) VALUES (@Hash, @kind, @PrincipalId, @Audience, @expires, @Credential, @family, @used)",
            new
            {
                token.Hash, kind = (int)token.Kind, token.PrincipalId, token.Audience, expires = token.ExpiresAt.ToUnixTimeMilliseconds(),
                token.Credential, family = token.Family.Length > 0 ? token.Family : token.Hash, used = token.UsedAt?.ToUnixTimeMilliseconds(),
            }, tx);

    internal static DateTimeOffset? Time(long? ms) => ms is null ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms.Value);

    // Row classes with setters, not records: Dapper then converts SQLite's Int64/expression columns by name.
    internal sealed class UserRow
    {
        public long Id { get; set; }
        public string Name { get; set; } = "";
        public string PasswordHash { get; set; } = "";
        public long IsAdmin { get; set; }
        public long CreatedAt { get; set; }
        public UserRecord ToRecord() => new(Id, Name, PasswordHash, IsAdmin != 0, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }

    internal sealed class RobotRow
    {
        public long Id { get; set; }
        public string Name { get; set; } = "";
        public string SecretHash { get; set; } = "";
        public string Description { get; set; } = "";
        public long? ExpiresAt { get; set; }
        public string CreatedBy { get; set; } = "";
        public long CreatedAt { get; set; }
        public RobotRecord ToRecord() => new(Id, Name, SecretHash, Description, Time(ExpiresAt), CreatedBy, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }

    internal sealed class TokenRow
    {
        public long Id { get; set; }
        public long UserId { get; set; }
        public string Name { get; set; } = "";
        public string Hash { get; set; } = "";
        public long? ExpiresAt { get; set; }
        public long CreatedAt { get; set; }
        public AccessTokenRecord ToRecord() => new(Id, UserId, Name, Hash, Time(ExpiresAt), DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt));
    }

    internal sealed class RefreshRow
    {
        public string Hash { get; set; } = "";
        public long Kind { get; set; }
        public long PrincipalId { get; set; }
        public string Audience { get; set; } = "";
        public long ExpiresAt { get; set; }
        public string Credential { get; set; } = "";
        public string Family { get; set; } = "";
        public long? UsedAt { get; set; }
        public RefreshTokenRecord ToRecord() => new(Hash, (PrincipalKind)Kind, PrincipalId, Audience, DateTimeOffset.FromUnixTimeMilliseconds(ExpiresAt))
        {
            Credential = Credential, Family = Family, UsedAt = Time(UsedAt),
        };
    }
}
