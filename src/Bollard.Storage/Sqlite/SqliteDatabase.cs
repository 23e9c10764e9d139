using System.Reflection;
using Bollard.Core.Storage;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Bollard.Storage.Sqlite;

/// <summary>
/// The SQLite file behind every Sqlite*Store. WAL mode, <c>synchronous=FULL</c> (a commit is on disk before it
/// is acknowledged), foreign keys on. Writes go through one connection under a lock, which is how SQLite
/// wants writers anyway and avoids SQLITE_BUSY storms; reads use pooled connections and run in parallel
/// with the writer thanks to WAL. Versioned migrations (embedded <c>Migrations/NNNN_name.sql</c>) run at startup.
/// </summary>
public sealed class SqliteDatabase : IDisposable
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private volatile bool _disposed;
    private readonly SqliteConnection _writer;
    private readonly string _readConnectionString;

    public SqliteDatabase(SqliteOptions options)
    {
        string path = System.IO.Path.GetFullPath(options.Path);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Max(1, options.BusyTimeout.TotalSeconds),
        };
        _writer = new SqliteConnection(builder.ToString());
        _writer.Open();
        ExecuteAtStartup(FormattableString.Invariant($"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout={(long)options.BusyTimeout.TotalMilliseconds};"));
        builder.Mode = SqliteOpenMode.ReadWrite;
        _readConnectionString = builder.ToString();
        Path = path;
        Migrate();
    }

    public string Path { get; }

    /// <summary>For a store that streams rows on its own read connection (<see cref="SqliteAdvisoryStore.ReadAllAsync"/>).</summary>
    internal string ReadConnectionString => _readConnectionString;

    public async Task<T> ReadAsync<T>(Func<SqliteConnection, Task<T>> read)
    {
        try
        {
            await using var connection = new SqliteConnection(_readConnectionString);
            await connection.OpenAsync().ConfigureAwait(false);
            return await read(connection).ConfigureAwait(false);
        }
        catch (SqliteException e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>
    /// SQLite's answers that are not bugs become Core's storage exceptions, which the server maps once:
    /// BUSY/LOCKED (another connection or process holds the lock past the busy timeout), READONLY and CANTOPEN
    /// are "unavailable, retry" (503); FULL is "storage full" (507). Everything else stays as it is.
    /// </summary>
    internal static IOException? Translate(SqliteException e) => e.SqliteErrorCode switch
    {
        5 or 6 => new StorageUnavailableException($"the metadata database is locked by another connection or process: {e.Message}", e),
        8 or 14 => new StorageUnavailableException($"the metadata database cannot be written: {e.Message}", e),
        13 => new StorageFullException($"the metadata database's disk is full: {e.Message}", e),
        _ => null,
    };

    /// <summary>Runs <paramref name="write"/> in an immediate transaction and commits it durably unless it throws.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, Task<T>> write, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var tx = _writer.BeginTransaction(deferred: false);
            var result = await write(_writer, tx).ConfigureAwait(false);
            tx.Commit();
            return result;
        }
        catch (SqliteException e) when (Translate(e) is { } translated)
        {
            throw translated;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Takes the single writer and opens an immediate transaction on it, for a unit of work that spans several
    /// calls (<see cref="SqliteMetadataStore"/>). The writer is held until the scope is disposed; commit first to keep the work.
    /// </summary>
    internal async Task<SqliteWriteScope> BeginWriteAsync(CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return new SqliteWriteScope(_writer, _writer.BeginTransaction(deferred: false), _writeLock);
        }
        catch (SqliteException e) when (Translate(e) is { } translated)
        {
            _writeLock.Release();
            throw translated;
        }
        catch
        {
            _writeLock.Release();
            throw;
        }
    }

    public IReadOnlyList<int> AppliedMigrations()
    {
        using var command = _writer.CreateCommand();
        command.CommandText = "SELECT version FROM schema_migrations ORDER BY version";
        using var reader = command.ExecuteReader();
        var versions = new List<int>();
        while (reader.Read()) versions.Add(reader.GetInt32(0));
        return versions;
    }

    /// <summary>
    /// Plain ADO.NET for the statements the constructor runs: Dapper's first call costs ~0.1 s of CPU (its caches,
    /// a generated regex, IL emit) that the server's first answer would wait for (D1 in bench/README.md).
    /// </summary>
    private void ExecuteAtStartup(string sql, SqliteTransaction? transaction = null, params (string Name, object Value)[] parameters)
    {
        using var command = _writer.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        command.ExecuteNonQuery();
    }

    /// <remarks>
    /// A background write (a job finishing while the host stops) may hold the writer. SqliteConnection is not
    /// thread-safe, so closing it under a running transaction can crash in the driver: the writer is taken first (for
    /// at most 10 s, so a stuck write does not hold shutdown), and writes that come after see the database disposed.
    /// </remarks>
    public void Dispose()
    {
        if (_disposed) return;
        bool held = _writeLock.Wait(TimeSpan.FromSeconds(10));
        _disposed = true;
        try
        {
            _writer.Dispose();
        }
        finally
        {
            // Waiters released here see _disposed; the semaphore itself is not disposed so that they can still release it.
            if (held) _writeLock.Release();
        }
    }

    private void Migrate()
    {
        ExecuteAtStartup("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
        var applied = AppliedMigrations().ToHashSet();
        var assembly = Assembly.GetExecutingAssembly();
        var scripts = assembly.GetManifestResourceNames()
            .Where(n => n.Contains(".Sqlite.Migrations.", StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => (Resource: n, File: n[(n.IndexOf(".Migrations.", StringComparison.Ordinal) + 12)..]))
            .Select(x => (x.Resource, x.File, Version: int.Parse(x.File.AsSpan(x.File.StartsWith('_') ? 1 : 0, 4), System.Globalization.CultureInfo.InvariantCulture)))
            .OrderBy(x => x.Version);
        foreach (var (resource, file, version) in scripts)
        {
            if (applied.Contains(version)) continue;
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            string sql = reader.ReadToEnd();
            using var tx = _writer.BeginTransaction(deferred: false);
            ExecuteAtStartup(sql, tx);
            ExecuteAtStartup("INSERT INTO schema_migrations(version, name, applied_at) VALUES (@version, @file, @now)", tx,
                ("@version", version), ("@file", file), ("@now", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
            tx.Commit();
        }
    }
}
