using Bollard.Core.Auth;
using Bollard.Core.Immutability;

namespace Bollard.Core.Tests.Immutability;

/// <summary>Immutability rules in a list, for unit tests; counts loads to show the cache works.</summary>
public sealed class InMemoryImmutabilityStore : IImmutabilityStore
{
    private readonly List<ImmutabilityRule> _rules = [];
    private long _next;

    public int Loads { get; private set; }

    public ValueTask<IReadOnlyList<ImmutabilityRule>> ListAsync(CancellationToken ct)
    {
        Loads++;
        lock (_rules) return ValueTask.FromResult<IReadOnlyList<ImmutabilityRule>>(_rules.ToList());
    }

    public ValueTask<ImmutabilityRule?> AddAsync(string namespacePattern, string tagPattern, string createdBy, DateTimeOffset now, CancellationToken ct)
    {
        lock (_rules)
        {
            if (_rules.Any(r => r.Namespace.Value == namespacePattern && r.Tag.Value == tagPattern)) return ValueTask.FromResult<ImmutabilityRule?>(null);
            var rule = new ImmutabilityRule(++_next, NamespacePattern.Parse(namespacePattern), TagPattern.Parse(tagPattern), createdBy, now);
            _rules.Add(rule);
            return ValueTask.FromResult<ImmutabilityRule?>(rule);
        }
    }

    public ValueTask<bool> DeleteAsync(long id, CancellationToken ct)
    {
        lock (_rules) return ValueTask.FromResult(_rules.RemoveAll(r => r.Id == id) > 0);
    }
}
