namespace Bollard.Trust.Signatures;

/// <summary>The media and artifact types signatures are stored under (cosign SIGNATURE_SPEC, Sigstore BUNDLE_SPEC, Notation signature-specification).</summary>
public static class SignatureMediaTypes
{
    /// <summary>A cosign signature layer: the simple-signing payload.</summary>
    public const string CosignSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json";

    /// <summary>A Sigstore bundle v0.3 (artifact type and layer media type).</summary>
    public const string SigstoreBundleV03 = "application/vnd.dev.sigstore.bundle.v0.3+json";

    /// <summary>The prefix every Sigstore bundle media type has (v0.1/v0.2: <c>application/vnd.dev.sigstore.bundle+json;version=0.x</c>).</summary>
    public const string SigstoreBundlePrefix = "application/vnd.dev.sigstore.bundle";

    /// <summary>A Notation signature manifest's artifact type (older Notation wrote it as the config media type).</summary>
    public const string NotationSignature = "application/vnd.cncf.notary.signature";

    public const string Jws = "application/jose+json";

    public const string Cose = "application/cose";

    /// <summary>cosign's tag for the signatures of <paramref name="digest"/>: <c>sha256-&lt;hex&gt;.sig</c>.</summary>
    public static string CosignSignatureTag(Bollard.Core.Oci.Digest digest) => $"{digest.Algorithm.Name}-{digest.Hex}.sig";

    /// <summary>The referrers tag-schema fallback tag of <paramref name="digest"/>: <c>sha256-&lt;hex&gt;</c> (distribution-spec "Referrers Tag Schema").</summary>
    public static string ReferrersFallbackTag(Bollard.Core.Oci.Digest digest) => $"{digest.Algorithm.Name}-{digest.Hex}";

    public static bool IsSigstoreBundle(string? mediaType) => mediaType is not null && mediaType.StartsWith(SigstoreBundlePrefix, StringComparison.Ordinal);
}
