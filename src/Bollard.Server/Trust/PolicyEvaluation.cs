using Bollard.Core.Auth;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Scanning.Pipeline;
using Bollard.Core.Storage;
using Bollard.Core.Trust;
using Bollard.Trust.Policy;

namespace Bollard.Server.Trust;

/// <summary>
/// The API's questions to the policy engine: <c>test</c> (the CI enforcement point: the decision for an image by tag or
/// digest; pull right on its repository), <c>dry-run</c> (a document, not stored, against every image of its namespace;
/// the maintainer role on a namespace covering it, or admin) and the recent decisions (admins see all, others the
/// repositories they may pull).
/// </summary>
public sealed class PolicyEvaluation(
    ITrustDecisions decisions, ITrustDryRun dryRun, ITrustSignatureInspector inspector, PolicyService policies, RepositoryManagement repositories, IRepositoryStore repositoryStore, IManifestReader reader, IScanStore scans,
    IDecisionLog log, DecisionRecorder recorder, AccessEvaluator access, PolicyDecisionOptions options)
{
    public const int MaxDecisions = 1000;
    private const int RepositoryPage = 1000, MaxRepositories = 100_000;

    public sealed record DryRunImage(string Repository, IReadOnlyList<string> Tags, PolicyDecision Decision);

    public sealed record DryRun(TrustPolicy Policy, IReadOnlyList<DryRunImage> Images, int NotEvaluated);

    /// <returns>The decision and the tag asked about (null for a digest).</returns>
    public async Task<(PolicyDecision Decision, string? Tag)> TestAsync(RegistryCaller caller, string? repository, string? reference, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var name = await repositories.AuthorizeAsync(caller, repository ?? "", RepositoryAccess.Pull, ct).ConfigureAwait(false);
        Reference r;
        try
        {
            r = Reference.Parse(reference ?? "");
        }
        catch (Exception e) when (e is OciException or FormatException)
        {
            throw new ManagementException(ManagementError.BadRequest, $"reference: {e.Message}");
        }
        var manifest = await reader.GetAsync(name, r, ct).ConfigureAwait(false)
            ?? throw new ManagementException(ManagementError.NotFound, $"no manifest {r} in '{name}'");
        var decision = await decisions.DecideAsync(name, manifest.Digest, DecisionPoint.PolicyTest, ct).ConfigureAwait(false);
        recorder.Record(decision, DecisionPoint.PolicyTest, caller.Principal.Name, caller.ClientAddress);
        return (decision, r.Tag);
    }

    /// <summary>The signatures of a manifest with their verification status (pull right on its repository; 404 when the repository does not hold it).</summary>
    public async Task<SignatureReport> SignaturesAsync(RegistryCaller caller, string repository, string digest, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        var name = await repositories.AuthorizeAsync(caller, repository, RepositoryAccess.Pull, ct).ConfigureAwait(false);
        if (!Digest.TryParse(digest, out var d)) throw new ManagementException(ManagementError.BadRequest, $"'{digest}' is not a digest");
        _ = await reader.GetAsync(name, Reference.Parse(d.ToString()), ct).ConfigureAwait(false)
            ?? throw new ManagementException(ManagementError.NotFound, $"no manifest {d} in '{name}'");
        return await inspector.InspectAsync(name, d, ct).ConfigureAwait(false);
    }

    public async Task<DryRun> DryRunAsync(RegistryCaller caller, string? documentJson, CancellationToken ct)
    {
        PolicyService.RequireAuthenticated(caller);
        var policy = PolicyService.Parse(documentJson, null);
        await policies.RequireMaintainerAsync(caller, policy.Namespace, ct).ConfigureAwait(false);
        var found = new List<(RepositoryName Repository, Digest Digest, IReadOnlyList<string> Tags)>();
        int notEvaluated = 0, seen = 0;
        string? last = null;
        while (seen < MaxRepositories)
        {
            var page = await repositoryStore.ListAsync(last, RepositoryPage, ct).ConfigureAwait(false);
            if (page.Count == 0) break;
            seen += page.Count;
            last = page[^1];
            foreach (string repo in page)
            {
                if (!policy.Namespace.Matches(repo) || !RepositoryName.TryParse(repo, out var name)) continue;
                foreach (var image in await scans.ListRepositoryImagesAsync(name, ct).ConfigureAwait(false))
                {
                    // Signatures and other cosign-scheme artifacts are never gated, so a dry run does not judge them either.
                    if (image.Tags.Count > 0 && image.Tags.All(ManifestService.IsCosignSchemeTag)) continue;
                    if (found.Count >= options.DryRunMaxImages) { notEvaluated++; continue; }
                    found.Add((name, Digest.Parse(image.Digest), image.Tags));
                }
            }
            if (page.Count < RepositoryPage) break;
        }
        var results = await dryRun.DryRunAsync(policy, found.Select(f => (f.Repository, f.Digest)).ToList(), ct).ConfigureAwait(false);
        var images = found.Zip(results, (f, d) => new DryRunImage(f.Repository.Value, f.Tags, d)).ToList();
        return new DryRun(policy, images, notEvaluated);
    }

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
