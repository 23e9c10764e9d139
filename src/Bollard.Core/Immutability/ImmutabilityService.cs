using Bollard.Core.Auth;

namespace Bollard.Core.Immutability;

/// <summary>
/// Management of immutability rules: registry admins only (a rule binds admins too, so only they may lift it),
/// every change audited (<c>immutability.add</c>, <c>immutability.remove</c>) and seen by the push check at once.
/// </summary>
public sealed class ImmutabilityService(IImmutabilityStore store, ImmutabilityRules rules, AuditRecorder audit, TimeProvider time)
{
    public async Task<ImmutabilityRule> AddAsync(RegistryCaller caller, string? namespacePattern, string? tagPattern, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        if (!NamespacePattern.TryParse(namespacePattern, out var ns, out var nsProblem)) throw new ManagementException(ManagementError.BadRequest, nsProblem);
        if (!TagPattern.TryParse(tagPattern, out var tag, out var tagProblem)) throw new ManagementException(ManagementError.BadRequest, tagProblem);
        var rule = await store.AddAsync(ns.Value, tag.Value, caller.Principal.Name, time.GetUtcNow(), ct).ConfigureAwait(false)
            ?? throw new ManagementException(ManagementError.Conflict, $"a rule for tags '{tag}' in '{ns}' exists");
        rules.Invalidate();
        audit.Record(caller.Principal.Name, caller.ClientAddress, "immutability.add", "success", reference: $"rule {rule.Id}", detail: $"{rule.Namespace} {rule.Tag}");
        return rule;
    }

    public async Task<IReadOnlyList<ImmutabilityRule>> ListAsync(RegistryCaller caller, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        return await store.ListAsync(ct).ConfigureAwait(false);
    }

    public async Task RemoveAsync(RegistryCaller caller, long id, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        var rule = (await store.ListAsync(ct).ConfigureAwait(false)).FirstOrDefault(r => r.Id == id);
        if (rule is null || !await store.DeleteAsync(id, ct).ConfigureAwait(false))
            throw new ManagementException(ManagementError.NotFound, $"no immutability rule {id}");
        rules.Invalidate();
        audit.Record(caller.Principal.Name, caller.ClientAddress, "immutability.remove", "success", reference: $"rule {id}", detail: $"{rule.Namespace} {rule.Tag}");
    }
}
