using Bollard.Core.Auth;
using Bollard.Core.Storage;
using Bollard.Storage.Sqlite;
using Bollard.Storage.Tests.Contracts;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Tests.Sqlite;

public sealed class SqliteAuthStoreTests : AuthStoreContractTests
{
    private readonly string _dir = Directory.CreateTempSubdirectory("bollard-sqlite-auth-").FullName;
    private readonly SqliteDatabase _db;

    public SqliteAuthStoreTests()
    {
        _db = new SqliteDatabase(new SqliteOptions { Path = Path.Combine(_dir, "bollard.db") });
        Identities = new SqliteIdentityStore(_db);
        Access = new SqliteAccessStore(_db);
        SigningKeys = new SqliteSigningKeyStore(_db);
        Audit = new SqliteAuditLog(_db);
    }

    protected override IIdentityStore Identities { get; }
    protected override IAccessStore Access { get; }
    protected override ISigningKeyStore SigningKeys { get; }
    protected override IAuditLog Audit { get; }

    public override void Dispose()
    {
        _db.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
