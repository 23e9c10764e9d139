namespace Bollard.Core.Oci;

/// <summary>An OCI content descriptor (image-spec descriptor.md), the fields Bollard acts on.</summary>
public sealed record Descriptor(string MediaType, Digest Digest, long Size)
{
    public string? ArtifactType { get; init; }
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }
    public IReadOnlyList<string>? Urls { get; init; }
}
