namespace Bollard.Core.Immutability;

/// <summary>
/// The rules in memory, so that the push check (which runs inside the writer transaction, on every push and delete)
/// costs a list walk, not a query. Loaded on first use and again after <see cref="Invalidate"/>, which
/// <see cref="ImmutabilityService"/> calls on every change. A load that raced with an invalidation is not kept.
/// </summary>
/// <remarks>
/// One process holds the metadata store today (SQLite). Nodes sharing one PostgreSQL store will also need the
/// cache to notice other nodes' changes (a version row read in the transaction); until then a change is seen at once
/// by the node that made it only.
/// </remarks>
public sealed class ImmutabilityRules(IImmutabilityStore store) : IDisposable
{
    private readonly SemaphoreSlim _loading = new(1, 1);
    private volatile IReadOnlyList<ImmutabilityRule>? _rules;
    private long _version;

    public async ValueTask<IReadOnlyList<ImmutabilityRule>> GetAsync(CancellationToken ct)
    {
        if (_rules is { } rules) return rules;
        await _loading.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_rules is { } loaded) return loaded;
            long version = Interlocked.Read(ref _version);
            var fresh = await store.ListAsync(ct).ConfigureAwait(false);
            if (Interlocked.Read(ref _version) == version) _rules = fresh;
            return fresh;
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>The first rule that protects <paramref name="tag"/> in <paramref name="repository"/>, or null.</summary>
    public async ValueTask<ImmutabilityRule?> FindAsync(string repository, string tag, CancellationToken ct)
    {
        foreach (var rule in await GetAsync(ct).ConfigureAwait(false))
            if (rule.Matches(repository, tag)) return rule;
        return null;
    }

    public void Dispose() => _loading.Dispose();

    public void Invalidate()
    {
        Interlocked.Increment(ref _version);
        _rules = null;
    }
}
