using Bollard.Core.Auth;

namespace Bollard.Core.Usage.Quotas;

/// <summary>
/// Quota management for the API and CLI: registry admins only (a namespace maintainer must not raise their own
/// limit), every change audited (<c>quota.set</c>, <c>quota.remove</c>). Overlapping patterns all apply.
/// </summary>
public sealed class QuotaService(IQuotaStore quotas, AuditRecorder audit)
{
    public async Task<IReadOnlyList<Quota>> ListAsync(RegistryCaller caller, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        return await quotas.ListAsync(ct).ConfigureAwait(false);
    }

    /// <returns>The quota as now stored, and whether it was created.</returns>
    /// <exception cref="ManagementException">400 for a bad pattern or size, 401/403 for a non-admin.</exception>
    public async Task<(Quota Quota, bool Created)> SetAsync(RegistryCaller caller, string pattern, string? limit, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        var p = Parse(pattern);
        if (!ByteSize.TryParse(limit, out long bytes) || bytes <= 0)
            throw new ManagementException(ManagementError.BadRequest, $"limit '{limit}' is not a size like 10GiB, 500MiB, 2TB or a number of bytes (more than 0)");
        bool created = await quotas.SetAsync(p, bytes, ct).ConfigureAwait(false);
        audit.Record(caller.Principal.Name, caller.ClientAddress, "quota.set", "success", reference: p.Value, detail: $"{bytes} bytes ({ByteSize.Format(bytes)})");
        var quota = (await quotas.ListAsync(ct).ConfigureAwait(false)).First(q => q.Pattern.Equals(p));
        return (quota, created);
    }

    public async Task RemoveAsync(RegistryCaller caller, string pattern, CancellationToken ct)
    {
        IdentityService.RequireAdmin(caller);
        var p = Parse(pattern);
        if (!await quotas.RemoveAsync(p, ct).ConfigureAwait(false))
            throw new ManagementException(ManagementError.NotFound, $"no quota for '{p}'");
        audit.Record(caller.Principal.Name, caller.ClientAddress, "quota.remove", "success", reference: p.Value);
    }

    private static NamespacePattern Parse(string pattern) =>
        NamespacePattern.TryParse(pattern, out var p, out var problem) ? p : throw new ManagementException(ManagementError.BadRequest, problem);
}
