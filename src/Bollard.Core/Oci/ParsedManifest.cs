namespace Bollard.Core.Oci;

/// <summary>
/// What a pushed manifest says, as far as the registry must know: its type, the blobs and child manifests
/// it references, its subject and the data the referrers API reports.
/// </summary>
public sealed record ParsedManifest
{
    public required string MediaType { get; init; }
    public Descriptor? Config { get; init; }
    public IReadOnlyList<Descriptor> Layers { get; init; } = [];
    public IReadOnlyList<Descriptor> Manifests { get; init; } = [];
    public Descriptor? Subject { get; init; }
    public string? ArtifactType { get; init; }
    public IReadOnlyDictionary<string, string>? Annotations { get; init; }

    public bool IsIndex => MediaTypes.IsIndex(MediaType);

    /// <summary>
    /// distribution-spec "Listing Referrers": a manifest's <c>artifactType</c>, else its config's media type;
    /// an index without one has none.
    /// </summary>
    public string? EffectiveArtifactType => ArtifactType ?? (IsIndex ? null : Config?.MediaType);

    /// <summary>Blobs that must already be in the repository for the push to be accepted.</summary>
    public IEnumerable<Digest> RequiredBlobs()
    {
        if (Config is not null) yield return Config.Digest;
        foreach (var layer in Layers)
            if (!MediaTypes.IsNonDistributable(layer.MediaType) || layer.Urls is not { Count: > 0 })
                yield return layer.Digest;
    }

    public IEnumerable<Digest> RequiredManifests() => Manifests.Select(m => m.Digest);
}
