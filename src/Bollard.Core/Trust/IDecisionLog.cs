namespace Bollard.Core.Trust;

/// <summary>
/// A bounded log of recent policy decisions, for <c>GET /api/v1/decisions</c>: written in batches by the server's
/// decision recorder, pruned to a configured number of rows. Thread-safe.
/// </summary>
public interface IDecisionLog
{
    ValueTask AppendAsync(IReadOnlyList<TrustDecisionRecord> decisions, CancellationToken ct);

    /// <summary>The newest decisions first, of <paramref name="repository"/> only when given, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<TrustDecisionRecord>> RecentAsync(string? repository, int limit, CancellationToken ct);

    /// <summary>Deletes all but the newest <paramref name="keep"/> decisions. Idempotent.</summary>
    /// <returns>How many were deleted.</returns>
    ValueTask<int> PruneAsync(int keep, CancellationToken ct);
}
