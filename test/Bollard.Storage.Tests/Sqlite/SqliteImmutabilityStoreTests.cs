using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Tests.Sqlite;

public sealed class SqliteImmutabilityStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-immutability-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task AddListDelete_DuplicateIsNull_IdsNeverReused_SurvivesReopen()
    {
        string path = Path.Combine(_dir, "bollard.db");
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123);
        long second;
        using (var db = new SqliteDatabase(new SqliteOptions { Path = path }))
        {
            var store = new SqliteImmutabilityStore(db);
            var first = await store.AddAsync("prod/**", "v*", "admin", now, default);
            Assert.NotNull(first);
            Assert.Null(await store.AddAsync("prod/**", "v*", "other", now, default));
            Assert.True(await store.DeleteAsync(first.Id, default));
            Assert.False(await store.DeleteAsync(first.Id, default));
            second = (await store.AddAsync("prod/**", "v*", "admin", now, default))!.Id;
            Assert.True(second > first.Id, "a rule id was handed out again");
            await store.AddAsync("**", "release-*", "root", now, default);
        }
        using (var db = new SqliteDatabase(new SqliteOptions { Path = path }))
        {
            var rules = await new SqliteImmutabilityStore(db).ListAsync(default);
            Assert.Equal(["prod/** v*", "** release-*"], rules.Select(r => $"{r.Namespace} {r.Tag}"));
            Assert.Equal(second, rules[0].Id);
            Assert.Equal(now, rules[0].CreatedAt);
            Assert.Equal("root", rules[1].CreatedBy);
        }
    }
}
