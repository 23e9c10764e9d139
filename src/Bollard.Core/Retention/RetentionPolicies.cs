using Bollard.Core.Storage;

namespace Bollard.Core.Retention;

/// <summary>
/// The policies in memory (GC asks <see cref="RetentionUntaggedManifestPolicy"/> once per repository), a
/// <see cref="CachedList{T}"/>: <see cref="RetentionService"/> calls <see cref="Invalidate"/> on every change.
/// </summary>
public sealed class RetentionPolicies(IRetentionStore store) : IDisposable
{
    private readonly CachedList<RetentionPolicy> _policies = new(store.ListAsync);

    public ValueTask<IReadOnlyList<RetentionPolicy>> GetAsync(CancellationToken ct) => _policies.GetAsync(ct);

    /// <summary>The policies whose namespace pattern matches the repository.</summary>
    public async ValueTask<IReadOnlyList<RetentionPolicy>> ForAsync(string repository, CancellationToken ct) =>
        (await GetAsync(ct).ConfigureAwait(false)).Where(p => p.Namespace.Matches(repository)).ToList();

    public void Invalidate() => _policies.Invalidate();

    public void Dispose() => _policies.Dispose();
}
