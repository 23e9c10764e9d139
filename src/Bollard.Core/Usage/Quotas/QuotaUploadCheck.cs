using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Registry.Hooks;

namespace Bollard.Core.Usage.Quotas;

/// <summary>
/// Refuses blob uploads early into a repository that a quota already at or over its limit covers: nothing more fits,
/// so the bytes would only wait for garbage collection. An upload that fits starts; the manifest push decides
/// (<see cref="QuotaPushCheck"/>). Reads the quotas through <see cref="IQuotaStore"/> (a few rows), outside any transaction.
/// </summary>
public sealed class QuotaUploadCheck(IQuotaStore quotas) : IUploadCheck
{
    public async ValueTask<PushCheckResult> CheckAsync(RepositoryName repository, RegistryActor actor, CancellationToken ct)
    {
        foreach (var quota in await quotas.ListAsync(ct).ConfigureAwait(false))
            if (quota.Usage.TotalBytes >= quota.LimitBytes && quota.Pattern.Matches(repository.Value))
            {
                string message =
                    $"quota {ByteSize.Format(quota.LimitBytes)} for {quota.Pattern} exceeded: {ByteSize.Format(quota.Usage.TotalBytes, roundUp: true)} used; delete images (then garbage collection frees their bytes) or ask an admin for more";
                return PushCheckResult.Refuse(message, OciErrors.Denied with { Message = message });
            }
        return PushCheckResult.Allow;
    }
}
