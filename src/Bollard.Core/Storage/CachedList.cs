namespace Bollard.Core.Storage;

/// <summary>
/// A small list read from a store (immutability rules, retention policies), kept in memory so the hot paths that
/// consult it (push checks inside the writer transaction, GC per repository) cost a list walk, not a query. Loaded on
/// first use and again after <see cref="Invalidate"/>, which the owner calls on every change; a load that raced with
/// an invalidation is returned but not kept. Thread-safe.
/// </summary>
/// <remarks>
/// One process holds the metadata store today (SQLite). Nodes sharing one PostgreSQL store will also need the cache
/// to notice other nodes' changes (a version row read in the transaction); until then a change is seen at once by the
/// node that made it only.
/// </remarks>
public sealed class CachedList<T>(Func<CancellationToken, ValueTask<IReadOnlyList<T>>> load) : IDisposable
{
    private readonly SemaphoreSlim _loading = new(1, 1);
    private volatile IReadOnlyList<T>? _items;
    private long _version;

    public async ValueTask<IReadOnlyList<T>> GetAsync(CancellationToken ct)
    {
        if (_items is { } items) return items;
        await _loading.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_items is { } loaded) return loaded;
            long version = Interlocked.Read(ref _version);
            var fresh = await load(ct).ConfigureAwait(false);
            if (Interlocked.Read(ref _version) == version) _items = fresh;
            return fresh;
        }
        finally
        {
            _loading.Release();
        }
    }

    public void Invalidate()
    {
        Interlocked.Increment(ref _version);
        _items = null;
    }

    public void Dispose() => _loading.Dispose();
}
