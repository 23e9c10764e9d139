namespace Bollard.Core.Retention;

/// <summary>
/// The policies in memory (GC asks <see cref="RetentionUntaggedManifestPolicy"/> once per repository): loaded on first
/// use and again after <see cref="Invalidate"/>, which <see cref="RetentionService"/> calls on every change.
/// </summary>
public sealed class RetentionPolicies(IRetentionStore store) : IDisposable
{
    private readonly SemaphoreSlim _loading = new(1, 1);
    private volatile IReadOnlyList<RetentionPolicy>? _policies;
    private long _version;

    public async ValueTask<IReadOnlyList<RetentionPolicy>> GetAsync(CancellationToken ct)
    {
        if (_policies is { } policies) return policies;
        await _loading.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_policies is { } loaded) return loaded;
            long version = Interlocked.Read(ref _version);
            var fresh = await store.ListAsync(ct).ConfigureAwait(false);
            if (Interlocked.Read(ref _version) == version) _policies = fresh;
            return fresh;
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>The policies whose namespace pattern matches the repository.</summary>
    public async ValueTask<IReadOnlyList<RetentionPolicy>> ForAsync(string repository, CancellationToken ct) =>
        (await GetAsync(ct).ConfigureAwait(false)).Where(p => p.Namespace.Matches(repository)).ToList();

    public void Dispose() => _loading.Dispose();

    public void Invalidate()
    {
        Interlocked.Increment(ref _version);
        _policies = null;
    }
}
