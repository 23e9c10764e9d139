namespace Bollard.Core.Retention;

/// <summary>Where retention policies are kept (at most one per namespace pattern). Thread-safe; ids are never reused.</summary>
public interface IRetentionStore
{
    ValueTask<IReadOnlyList<RetentionPolicy>> ListAsync(CancellationToken ct);

    /// <returns>The policy with its id; null when a policy for the same namespace pattern exists.</returns>
    ValueTask<RetentionPolicy?> AddAsync(RetentionPolicy policy, CancellationToken ct);

    /// <returns>false when there was no such policy.</returns>
    ValueTask<bool> DeleteAsync(long id, CancellationToken ct);
}
