using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Registry;

/// <summary>Manifests as this registry stores them (<see cref="IManifestStore"/>).</summary>
public sealed class StoredManifestReader(IManifestStore manifests) : IManifestReader
{
    public ValueTask<ManifestRecord?> GetAsync(RepositoryName repository, Reference reference, CancellationToken ct) =>
        reference.Digest is { } digest ? manifests.GetAsync(repository, digest, ct) : manifests.GetByTagAsync(repository, reference.Tag!, ct);
}
