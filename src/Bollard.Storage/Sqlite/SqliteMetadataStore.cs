using Bollard.Core.Events;
using Bollard.Core.Storage;

namespace Bollard.Storage.Sqlite;

/// <summary>Units of work on the database's single writer connection (one at a time, <c>BEGIN IMMEDIATE</c>).</summary>
public sealed class SqliteMetadataStore(SqliteDatabase db, RegistryEventSignal signal, TimeProvider time) : IMetadataStore
{
    public async ValueTask<IMetadataTransaction> BeginWriteAsync(CancellationToken ct) =>
        new SqliteMetadataTransaction(await db.BeginWriteAsync(ct).ConfigureAwait(false), signal, time);
}
