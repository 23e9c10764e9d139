using Bollard.Core.Auth;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Usage.Quotas;

namespace Bollard.Core.Usage;

/// <summary>
/// Storage usage for the API and CLI, with who may see what: a repository's usage (and the quotas that apply to
/// it) to anyone who may pull it; the registry total and every namespace to admins; other callers see a namespace
/// when they may pull all of it (a binding like <c>team-a/**</c> or <c>team-a/*</c>).
/// </summary>
public sealed class UsageService(IUsageStore usage, IQuotaStore quotas, RepositoryManagement repositories, AccessEvaluator evaluator)
{
    public async Task<(StorageUsage? Registry, IReadOnlyList<NamespaceUsage> Namespaces)> OverviewAsync(RegistryCaller caller, CancellationToken ct)
    {
        if (!caller.Principal.IsAuthenticated && !caller.Unrestricted) throw new ManagementException(ManagementError.Unauthorized, "authentication required");
        var all = await usage.ListNamespacesAsync(ct).ConfigureAwait(false);
        if (caller.Unrestricted || caller.Principal.IsAdmin) return (await usage.GetRegistryAsync(ct).ConfigureAwait(false), all);
        var visible = new List<NamespaceUsage>();
        foreach (var ns in all)
            // "ns/*" is no repository name: only a pattern whose components are globs there (*, **) matches it.
            if ((await evaluator.RightsAsync(caller.Principal, ns.Namespace + "/*", ct).ConfigureAwait(false)).HasFlag(RepositoryAccess.Pull))
                visible.Add(ns);
        return (null, visible);
    }

    /// <exception cref="ManagementException">404 unknown or not visible.</exception>
    public async Task<(RepositoryName Name, StorageUsage Usage, IReadOnlyList<Quota> Quotas)> RepositoryAsync(RegistryCaller caller, string name, CancellationToken ct)
    {
        var repository = await repositories.AuthorizeAsync(caller, name, RepositoryAccess.Pull, ct).ConfigureAwait(false);
        var u = await usage.GetRepositoryAsync(repository, ct).ConfigureAwait(false) ?? throw new ManagementException(ManagementError.NotFound, $"no repository '{repository}'");
        var applying = (await quotas.ListAsync(ct).ConfigureAwait(false)).Where(q => q.Pattern.Matches(repository.Value)).ToList();
        return (repository, u, applying);
    }
}
