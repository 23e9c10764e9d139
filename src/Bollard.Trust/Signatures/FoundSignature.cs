using Bollard.Core.Oci;

namespace Bollard.Trust.Signatures;

/// <summary>
/// One signature as discovery found it next to an image: the stored bytes, untouched and not yet verified. A verifier
/// never re-serializes <see cref="Content"/>; what was signed is checked over these exact bytes.
/// </summary>
public sealed record FoundSignature
{
    public required SignatureFormat Format { get; init; }

    /// <summary>The repository it was found in.</summary>
    public required string Repository { get; init; }

    /// <summary>The image it was found for (the <c>.sig</c> tag's digest, the referrer's subject): not necessarily what it signs.</summary>
    public required Digest Subject { get; init; }

    /// <summary>The manifest that holds it: the <c>.sig</c> manifest, the referrer manifest.</summary>
    public required Digest SignatureManifest { get; init; }

    /// <summary>Which layer of <see cref="SignatureManifest"/> it is (cosign: one layer per signature; 0 otherwise).</summary>
    public int LayerIndex { get; init; }

    /// <summary>The digest of the layer that holds <see cref="Content"/>.</summary>
    public required Digest LayerDigest { get; init; }

    /// <summary>The layer's media type (<c>application/vnd.dev.cosign.simplesigning.v1+json</c>, <c>application/vnd.dev.sigstore.bundle.v0.3+json</c>, <c>application/jose+json</c>, <c>application/cose</c>).</summary>
    public required string MediaType { get; init; }

    /// <summary>The layer's bytes exactly as stored: the cosign simple-signing payload, the bundle JSON, the JWS JSON, the COSE_Sign1 bytes.</summary>
    public required ReadOnlyMemory<byte> Content { get; init; }

    /// <summary>The layer descriptor's annotations (cosign: signature, certificate, chain, bundle).</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();

    /// <summary>The signature manifest's own annotations (Notation: the x509 thumbprints; bundles: content kind, predicate type).</summary>
    public IReadOnlyDictionary<string, string> ManifestAnnotations { get; init; } = new Dictionary<string, string>();

    /// <summary>The signature manifest's artifact type, when it has one.</summary>
    public string? ArtifactType { get; init; }

    /// <summary>A short, readable name for lists and reasons, e.g. <c>cosign sha256:ab12…[0]</c>.</summary>
    public string Describe() => $"{Format} {SignatureManifest.ToString()[..Math.Min(19, SignatureManifest.ToString().Length)]}[{LayerIndex}]";
}
