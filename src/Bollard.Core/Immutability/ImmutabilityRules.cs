using Bollard.Core.Storage;

namespace Bollard.Core.Immutability;

/// <summary>
/// The rules in memory, so that the push check (which runs inside the writer transaction, on every push and delete)
/// costs a list walk, not a query (a <see cref="CachedList{T}"/>); <see cref="ImmutabilityService"/> calls
/// <see cref="Invalidate"/> on every change.
/// </summary>
/// <remarks>Per node only, like every <see cref="CachedList{T}"/>.</remarks>
public sealed class ImmutabilityRules(IImmutabilityStore store) : IDisposable
{
    private readonly CachedList<ImmutabilityRule> _rules = new(store.ListAsync);

    public ValueTask<IReadOnlyList<ImmutabilityRule>> GetAsync(CancellationToken ct) => _rules.GetAsync(ct);

    /// <summary>The first rule that protects <paramref name="tag"/> in <paramref name="repository"/>, or null.</summary>
    public async ValueTask<ImmutabilityRule?> FindAsync(string repository, string tag, CancellationToken ct)
    {
        foreach (var rule in await GetAsync(ct).ConfigureAwait(false))
            if (rule.Matches(repository, tag)) return rule;
        return null;
    }

    public void Invalidate() => _rules.Invalidate();

    public void Dispose() => _rules.Dispose();
}
