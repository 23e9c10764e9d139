using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

/// <summary>The writer connection and its open transaction, held until disposed (<see cref="SqliteDatabase.BeginWriteAsync"/>).</summary>
internal sealed class SqliteWriteScope(SqliteConnection connection, SqliteTransaction transaction, SemaphoreSlim writeLock) : IDisposable
{
    private bool _disposed;

    public SqliteConnection Connection { get; } = connection;
    public SqliteTransaction Transaction { get; } = transaction;

    /// <summary>Commits (durable on return with <c>synchronous=FULL</c>).</summary>
    public void Commit() => Transaction.Commit();

    /// <summary>Rolls back unless committed, and releases the writer. Idempotent.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            Transaction.Dispose();
        }
        finally
        {
            writeLock.Release();
        }
    }
}
