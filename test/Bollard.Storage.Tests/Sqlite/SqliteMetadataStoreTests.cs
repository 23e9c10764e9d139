using Bollard.Core.Events;
using Bollard.Core.Storage;
using Bollard.Storage.Sqlite;
using Bollard.Storage.Tests.Contracts;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Tests.Sqlite;

public sealed class SqliteMetadataStoreTests : MetadataStoreContractTests
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-sqlite-").FullName;
    private readonly SqliteDatabase _db;

    public SqliteMetadataStoreTests()
    {
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "sub", "bollard.db") });
        Repositories = new SqliteRepositoryStore(_db);
        Manifests = new SqliteManifestStore(_db);
        Uploads = new SqliteUploadStore(_db);
        Metadata = new SqliteMetadataStore(_db, new RegistryEventSignal(), TimeProvider.System);
        Events = new SqliteEventStore(_db, TimeProvider.System);
        var usage = new SqliteUsageStore(_db);
        Usage = usage;
        Quotas = usage;
    }

    protected override IRepositoryStore Repositories { get; }
    protected override IManifestStore Manifests { get; }
    protected override IUploadStore Uploads { get; }
    protected override IMetadataStore Metadata { get; }
    protected override IEventStore Events { get; }
    protected override Bollard.Core.Usage.IUsageStore Usage { get; }
    protected override Bollard.Core.Usage.Quotas.IQuotaStore Quotas { get; }

    public override void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Open_RunsMigrationsOnce_AndUsesWal()
    {
        var applied = _db.AppliedMigrations();
        Assert.Equal([1, 2, 3], applied.Take(3));
        Assert.Contains(30, applied); // 0030_uploads_owner
        Assert.Contains(20, applied); // 0020_events

        Assert.Equal(applied.Order().Distinct(), applied);
        using var again = new SqliteDatabase(new SqliteOptions { Path = _db.Path });
        Assert.Equal(applied, again.AppliedMigrations());
        using var c = new SqliteConnection($"Data Source={_db.Path}");
        c.Open();
        Assert.Equal("wal", c.ExecuteScalar<string>("PRAGMA journal_mode"));
    }
}
