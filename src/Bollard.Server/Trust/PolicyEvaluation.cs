using Bollard.Core.Auth;
using Bollard.Core.Registry;
using Bollard.Core.Trust;

namespace Bollard.Server.Trust;

/// <summary>
/// The API's questions about policy decisions: the recent decisions (admins see all, others the repositories they may pull).
/// </summary>
public sealed class PolicyEvaluation(RepositoryManagement repositories, IDecisionLog log, AccessEvaluator access)
{
    public const int MaxDecisions = 1000;

    public async Task<IReadOnlyList<TrustDecisionRecord>> RecentAsync(RegistryCaller caller, string? repository, int? limit, CancellationToken ct)
    {
        PolicyService.RequireAuthenticated(caller);
        if (limit is < 1 or > MaxDecisions) throw new ManagementException(ManagementError.BadRequest, $"limit: 1 to {MaxDecisions}");
        int n = limit ?? 100;
        if (repository is { Length: > 0 })
        {
            var name = await repositories.AuthorizeAsync(caller, repository, RepositoryAccess.Pull, ct).ConfigureAwait(false);
            return await log.RecentAsync(name.Value, n, ct).ConfigureAwait(false);
        }
        if (PolicyService.IsAdmin(caller)) return await log.RecentAsync(null, n, ct).ConfigureAwait(false);
        var visible = new Dictionary<string, bool>(StringComparer.Ordinal);
        var result = new List<TrustDecisionRecord>();
        foreach (var record in await log.RecentAsync(null, MaxDecisions, ct).ConfigureAwait(false))
        {
            if (!visible.TryGetValue(record.Repository, out bool may))
                visible[record.Repository] = may = (await access.RightsAsync(caller.Principal, record.Repository, ct).ConfigureAwait(false)).HasFlag(RepositoryAccess.Pull);
            if (!may) continue;
            result.Add(record);
            if (result.Count == n) break;
        }
        return result;
    }
}
