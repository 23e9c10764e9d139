using Bollard.Core.Oci;

namespace Bollard.Scanning.Layers;

/// <summary>
/// Where an image's blobs come from: the registry's blob store (server scans), an OCI layout folder, a docker-archive
/// tar, or a remote registry (the CLI's <c>bollard scan</c>). The stream is forward-only and must not be trusted:
/// the reader checks size and digest while reading.
/// </summary>
public interface IBlobSource
{
    ValueTask<Stream> OpenAsync(Descriptor blob, CancellationToken ct);
}
