using Bollard.Core.Oci;

namespace Bollard.Core.Gc;

/// <summary>The default <see cref="IUntaggedManifestPolicy"/>: untagged manifests are kept until deleted by hand.</summary>
public sealed class KeepUntaggedManifests : IUntaggedManifestPolicy
{
    public ValueTask<TimeSpan?> UntaggedRetentionAsync(RepositoryName repository, CancellationToken ct) => ValueTask.FromResult<TimeSpan?>(null);
}
