using Bollard.Core.Events;

namespace Bollard.Core.Trust;

/// <summary>
/// Trust policies, versioned (<see cref="TrustPolicyVersion"/>). Few and small: read whole, cached by the caller.
/// Thread-safe.
/// </summary>
public interface ITrustPolicyStore
{
    /// <summary>The latest version of every policy that is not deleted, by name.</summary>
    ValueTask<IReadOnlyList<TrustPolicyVersion>> ListAsync(CancellationToken ct);

    /// <summary>The latest version of <paramref name="name"/>, a tombstone included.</summary>
    /// <returns>null when no version of the name was ever stored.</returns>
    ValueTask<TrustPolicyVersion?> GetAsync(string name, CancellationToken ct);

    /// <returns>The version <paramref name="version"/> of <paramref name="name"/>; null when there is none.</returns>
    ValueTask<TrustPolicyVersion?> GetVersionAsync(string name, long version, CancellationToken ct);

    /// <summary>The versions of <paramref name="name"/>, newest first, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<TrustPolicyVersion>> HistoryAsync(string name, int limit, CancellationToken ct);

    /// <summary>
    /// Stores <paramref name="version"/> and, in the same transaction, appends <paramref name="changed"/> to the registry
    /// event outbox (<see cref="RegistryEventKind.PolicyChanged"/>), so a change is never stored without its event.
    /// </summary>
    /// <returns>false, storing nothing, when the name already has that version number (someone else changed it meanwhile).</returns>
    ValueTask<bool> AppendAsync(TrustPolicyVersion version, RegistryEvent changed, CancellationToken ct);
}
