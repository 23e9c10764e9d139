using Bollard.Core.Oci;

namespace Bollard.Core.Gc;

/// <summary>
/// How long garbage collection keeps an untagged manifest of a repository (one no tag, no index of the repository
/// and no kept referrer's <c>subject</c> points at). Retention policies implement it per namespace pattern; the default,
/// <see cref="KeepUntaggedManifests"/>, keeps them all. Register a replacement with
/// <c>services.Replace(ServiceDescriptor.Singleton&lt;IUntaggedManifestPolicy, X&gt;())</c>.
/// </summary>
public interface IUntaggedManifestPolicy
{
    /// <returns>How long a manifest of <paramref name="repository"/> may stay untagged before GC deletes it (counted from
    /// the time it last became untagged, or was pushed untagged); null keeps untagged manifests forever.</returns>
    ValueTask<TimeSpan?> UntaggedRetentionAsync(RepositoryName repository, CancellationToken ct);
}
