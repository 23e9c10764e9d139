namespace Bollard.Core.Immutability;

/// <summary>Where immutability rules are kept. Thread-safe; ids are never reused.</summary>
public interface IImmutabilityStore
{
    /// <summary>Every rule, by id.</summary>
    ValueTask<IReadOnlyList<ImmutabilityRule>> ListAsync(CancellationToken ct);

    /// <returns>The new rule; null when a rule with the same namespace and tag pattern exists.</returns>
    ValueTask<ImmutabilityRule?> AddAsync(string namespacePattern, string tagPattern, string createdBy, DateTimeOffset now, CancellationToken ct);

    /// <returns>false when there was no such rule.</returns>
    ValueTask<bool> DeleteAsync(long id, CancellationToken ct);
}
