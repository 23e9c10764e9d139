using Bollard.Core.Gc;
using Bollard.Core.Oci;

namespace Bollard.Core.Retention;

/// <summary>
/// GC's answer for untagged manifests from the retention policies: the longest <see cref="RetentionPolicy.UntaggedAfter"/>
/// among the policies matching the repository; kept forever when none of them sets one.
/// </summary>
public sealed class RetentionUntaggedManifestPolicy(RetentionPolicies policies) : IUntaggedManifestPolicy
{
    public async ValueTask<TimeSpan?> UntaggedRetentionAsync(RepositoryName repository, CancellationToken ct)
    {
        TimeSpan? longest = null;
        foreach (var policy in await policies.ForAsync(repository.Value, ct).ConfigureAwait(false))
            if (policy.UntaggedAfter is { } after && (longest is null || after > longest)) longest = after;
        return longest;
    }
}
