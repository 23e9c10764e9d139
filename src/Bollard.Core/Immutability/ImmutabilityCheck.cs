using Bollard.Core.Oci;
using Bollard.Core.Registry.Hooks;

namespace Bollard.Core.Immutability;

/// <summary>
/// The push check of tag immutability. Refuses, with <c>DENIED</c> and a message naming the rule
/// (<c>tag v1.2 in prod/api is immutable (rule 3: prod/** v*): ...</c>), for every principal:
/// <list type="bullet">
/// <item>a PUT by tag that would move an existing protected tag to another manifest (creating a protected tag works,
/// and a PUT of the digest the tag already points at changes nothing, so it is allowed);</item>
/// <item>a DELETE by a protected tag;</item>
/// <item>a DELETE by digest of a manifest a protected tag points at (it would delete the tag);</item>
/// <item>a repository delete while a protected tag exists (asked once per tag), and so every delete retention and
/// GC make, which go through the same checks.</item>
/// </list>
/// The message is also the OCI error's <c>message</c>, not only its <c>detail</c>: clients (skopeo, docker) print
/// the message only.
/// </summary>
public sealed class ImmutabilityCheck(ImmutabilityRules rules) : IPushCheck
{
    public async ValueTask<PushCheckResult> CheckAsync(PushCheckContext context, CancellationToken ct)
    {
        var all = await rules.GetAsync(ct).ConfigureAwait(false);
        if (all.Count == 0) return PushCheckResult.Allow;
        string repository = context.Repository.Value;
        List<ImmutabilityRule>? applicable = null;
        foreach (var rule in all)
            if (rule.Namespace.Matches(repository)) (applicable ??= []).Add(rule);
        if (applicable is null) return PushCheckResult.Allow;

        switch (context.Change)
        {
            case RegistryChange.PutManifest when context.Tag is { } tag && context.PreviousTagTarget is { } previous && previous != context.Digest:
                if (Find(applicable, tag) is { } moved)
                    return Refuse(tag, repository, moved, $"it points at {previous} and cannot be moved to {context.Digest}");
                break;
            case RegistryChange.DeleteTag when context.Tag is { } tag:
                if (Find(applicable, tag) is { } deleted)
                    return Refuse(tag, repository, deleted, "it cannot be deleted");
                break;
            case RegistryChange.DeleteRepository when context.Tag is { } tag:
                if (Find(applicable, tag) is { } inRepository)
                    return Refuse(tag, repository, inRepository, $"repository {repository} cannot be deleted");
                break;
            case RegistryChange.DeleteManifest:
                foreach (string tag in await context.Reads.ListTagsOfAsync(context.Repository, context.Digest, ct).ConfigureAwait(false))
                    if (Find(applicable, tag) is { } onManifest)
                        return Refuse(tag, repository, onManifest, $"manifest {context.Digest}, which it points at, cannot be deleted");
                break;
        }
        return PushCheckResult.Allow;
    }

    private static ImmutabilityRule? Find(List<ImmutabilityRule> applicable, string tag)
    {
        foreach (var rule in applicable)
            if (rule.Tag.Matches(tag)) return rule;
        return null;
    }

    /// <summary>The sentence every refusal starts with: <c>tag v1.2 in prod/api is immutable (rule 3: prod/** v*)</c>.</summary>
    public static string Describe(string tag, string repository, ImmutabilityRule rule) => $"tag {tag} in {repository} is immutable ({rule})";

    private static PushCheckResult Refuse(string tag, string repository, ImmutabilityRule rule, string consequence)
    {
        string reason = $"{Describe(tag, repository, rule)}: {consequence} until the rule is removed";
        return PushCheckResult.Refuse(reason, OciErrors.Denied with { Message = reason });
    }
}
