using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Sources;

/// <summary>
/// An image outside the registry's own storage, for <c>bollard scan</c> and <c>bollard sbom</c> (and later the
/// mirror): an OCI layout folder, a docker-archive tar, a remote registry. It resolves to one image per platform
/// and serves their blobs (verified by the reader: the source is not trusted).
/// </summary>
public interface IImageSource : IBlobSource, IDisposable
{
    /// <summary>What the source is, for messages (<c>oci:/tmp/img:1.0</c>).</summary>
    string Name { get; }

    /// <summary>The images to scan: one, or one per platform of an index.</summary>
    /// <exception cref="ImageSourceException">The source cannot be read, or holds no such image.</exception>
    Task<IReadOnlyList<SourceImage>> ResolveAsync(PlatformSelection platforms, CancellationToken ct);
}
