using Bollard.Core.Auth;
using Bollard.Storage.Sqlite;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Tests.Sqlite;

/// <summary>Token and role-binding ids are never handed out twice, also in a database made before migration 0010.</summary>
public sealed class SqliteIdReuseTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-ids-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task DeleteTheNewest_ThenCreate_GivesANewId()
    {
        using var db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        var identities = new SqliteIdentityStore(db);
        var access = new SqliteAccessStore(db);
        var now = DateTimeOffset.UtcNow;
        var user = (await identities.CreateUserAsync("alice", "hash", false, now, default))!;

        var first = await identities.CreateAccessTokenAsync(user.Id, "one", "h1", null, now, default);
        Assert.True(await identities.DeleteAccessTokenAsync(user.Id, first.Id, default));
        var second = await identities.CreateAccessTokenAsync(user.Id, "two", "h2", null, now, default);
        Assert.True(second.Id > first.Id, $"token id {first.Id} was handed out again");

        var b1 = await access.AddBindingAsync(PrincipalKind.User, user.Id, Role.Reader, "a/**", now, default);
        Assert.True(await access.DeleteBindingAsync(b1.Id, default));
        var b2 = await access.AddBindingAsync(PrincipalKind.User, user.Id, Role.Reader, "a/**", now, default);
        Assert.True(b2.Id > b1.Id, $"binding id {b1.Id} was handed out again");
    }

    [Fact]
    public void Migration_KeepsExistingTokensAndBindings()
    {
        string path = Path.Combine(_dir, "old.db");
        using (var db = new SqliteDatabase(new SqliteOptions { Path = path })) { }
        using (var c = new SqliteConnection($"Data Source={path}"))
        {
            // Back to the schema of migrations 1-3, with data in it, as an existing installation has.
            c.Open();
            c.Execute("""
                DELETE FROM schema_migrations WHERE version = 10;
                DROP TABLE access_tokens; DROP TABLE role_bindings;
                CREATE TABLE access_tokens (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                    name TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, expires_at INTEGER, created_at INTEGER NOT NULL);
                CREATE TABLE role_bindings (id INTEGER PRIMARY KEY, kind INTEGER NOT NULL, principal_id INTEGER NOT NULL, role INTEGER NOT NULL,
                    pattern TEXT NOT NULL, created_at INTEGER NOT NULL, UNIQUE (kind, principal_id, role, pattern));
                INSERT INTO users(id, name, password_hash, is_admin, created_at) VALUES (5, 'bob', 'h', 0, 1);
                INSERT INTO access_tokens VALUES (7, 5, 'laptop', 'hash7', NULL, 1);
                INSERT INTO role_bindings VALUES (12, 1, 5, 0, 'team/**', 1);
                """);
        }
        SqliteConnection.ClearAllPools();
        using var migrated = new SqliteDatabase(new SqliteOptions { Path = path });
        Assert.Contains(10, migrated.AppliedMigrations());
        using var check = new SqliteConnection($"Data Source={path}");
        check.Open();
        Assert.Equal("laptop", check.ExecuteScalar<string>("SELECT name FROM access_tokens WHERE id = 7 AND user_id = 5"));
        Assert.Equal("team/**", check.ExecuteScalar<string>("SELECT pattern FROM role_bindings WHERE id = 12"));
        Assert.Contains("AUTOINCREMENT", check.ExecuteScalar<string>("SELECT sql FROM sqlite_master WHERE name = 'access_tokens'"), StringComparison.Ordinal);
    }
}
