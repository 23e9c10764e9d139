namespace Bollard.Core.Scanning;

/// <summary>
/// What is inside one image (one platform; an index is several images): its distribution, every package with the
/// file and layer it came from, its layers, and the warnings of bounded or refused work (a truncated layer, a
/// malformed lock file). Stored per manifest digest and re-matched against new advisories without reading a layer.
/// </summary>
public sealed record ImageInventory
{
    /// <summary>Digest of the image manifest (a platform's manifest, never an index).</summary>
    public required string ManifestDigest { get; init; }

    /// <summary><c>os/architecture[/variant]</c> from the config (<c>linux/amd64</c>), null when the config does not say.</summary>
    public string? Platform { get; init; }

    public OsInfo? Os { get; init; }

    public required IReadOnlyList<ScanPackage> Packages { get; init; }

    public required IReadOnlyList<InventoryLayer> Layers { get; init; }

    /// <summary>Human-readable warnings (<c>layer sha256:..: truncated gzip stream</c>); a warning never hides what was found before it.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Version of the analyzers that made it (<c>ScanEngine.Version</c>): a newer engine may re-analyze.</summary>
    public int EngineVersion { get; init; }
}

/// <summary>One layer of an image as the inventory saw it.</summary>
/// <param name="Digest">The layer blob digest (compressed, as in the manifest).</param>
/// <param name="MediaType">As in the manifest.</param>
/// <param name="Size">Compressed size (the manifest's descriptor).</param>
/// <param name="UncompressedSize">Bytes of the tar stream after decompression; null when the layer could not be read.</param>
/// <param name="CreatedBy">The config history's <c>created_by</c> for this layer (empty-layer entries skipped), null when absent.</param>
public sealed record InventoryLayer(string Digest, string MediaType, long Size, long? UncompressedSize, string? CreatedBy);
