using Bollard.Core.Events;
using Bollard.Core.Trust;
using Bollard.Storage.Sqlite;
using Bollard.Storage.Tests.Contracts;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Tests.Sqlite;

public sealed class SqliteTrustStoreTests : TrustStoreContractTests
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-sqlite-trust-").FullName;
    private readonly SqliteDatabase _db;

    public SqliteTrustStoreTests()
    {
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        Policies = new SqliteTrustPolicyStore(_db, new RegistryEventSignal());
        Decisions = new SqliteDecisionLog(_db);
        Events = new SqliteEventStore(_db, TimeProvider.System);
    }

    protected override ITrustPolicyStore Policies { get; }
    protected override IDecisionLog Decisions { get; }
    protected override IEventStore Events { get; }

    public override void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
