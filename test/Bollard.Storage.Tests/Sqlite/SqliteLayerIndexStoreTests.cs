using Bollard.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Tests.Sqlite;

public sealed class SqliteLayerIndexStoreTests : IDisposable
{
    private const string Layer = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-layerindex-").FullName;
    private readonly SqliteDatabase _db;
    private readonly SqliteLayerIndexStore _store;

    public SqliteLayerIndexStoreTests()
    {
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        _store = new SqliteLayerIndexStore(_db);
    }

    public void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Get_Missing_IsNull_ThenPutRoundTrips_PerEngineVersion()
    {
        Assert.Null(await _store.GetAsync(Layer, 1, default));
        await _store.PutAsync(Layer, 1, [1, 2, 3], default);
        Assert.Equal([1, 2, 3], await _store.GetAsync(Layer, 1, default));
        Assert.Null(await _store.GetAsync(Layer, 2, default));
        Assert.Null(await _store.GetAsync("sha256:2222222222222222222222222222222222222222222222222222222222222222", 1, default));
    }

    [Fact]
    public async Task Put_Twice_Replaces_AndANewerEngineDropsOlderRows()
    {
        await _store.PutAsync(Layer, 1, [1], default);
        await _store.PutAsync(Layer, 1, [9], default);
        Assert.Equal([9], await _store.GetAsync(Layer, 1, default));

        await _store.PutAsync(Layer, 2, [2], default);
        Assert.Equal([2], await _store.GetAsync(Layer, 2, default));
        Assert.Null(await _store.GetAsync(Layer, 1, default));
    }

    [Fact]
    public async Task Put_Concurrently_BothSucceed_AndSurviveReopen()
    {
        var big = new byte[300_000];
        new Random(1).NextBytes(big);
        await Task.WhenAll(_store.PutAsync(Layer, 1, big, default), _store.PutAsync(Layer, 1, big, default));

        using var reopened = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        Assert.Equal(big, await new SqliteLayerIndexStore(reopened).GetAsync(Layer, 1, default));
    }
}
