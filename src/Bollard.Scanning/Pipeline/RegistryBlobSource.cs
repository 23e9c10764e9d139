using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Pipeline;

/// <summary>An image's blobs as the registry serves them to a client of <see cref="Repository"/> (the <see cref="IBlobReader"/> seam, so a mirror's decorator applies too); never the HTTP API.</summary>
public sealed class RegistryBlobSource(IBlobReader blobs, RepositoryName repository) : IBlobSource
{
    public RepositoryName Repository => repository;

    public async ValueTask<Stream> OpenAsync(Descriptor blob, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(blob);
        return await blobs.OpenAsync(repository, blob.Digest, null, ct).ConfigureAwait(false);
    }
}
