namespace Bollard.Trust.Cosign;

/// <summary>
/// The names cosign's tag scheme uses (cosign SIGNATURE_SPEC.md, "OCI Image Manifest V1"): the layer media type of the
/// simple-signing payload and the layer annotations that carry its signature, certificate, chain and Rekor bundle.
/// </summary>
public static class CosignAnnotations
{
    /// <summary>The base64 signature over the layer's bytes.</summary>
    public const string Signature = "dev.cosignproject.cosign/signature";

    /// <summary>The PEM signing certificate (Fulcio, or bring-your-own PKI).</summary>
    public const string Certificate = "dev.sigstore.cosign/certificate";

    /// <summary>PEM certificates completing the signing certificate's chain (not trusted by themselves).</summary>
    public const string Chain = "dev.sigstore.cosign/chain";

    /// <summary>The Rekor bundle JSON: <c>{"SignedEntryTimestamp", "Payload":{"body","integratedTime","logIndex","logID"}}</c>.</summary>
    public const string Bundle = "dev.sigstore.cosign/bundle";

    /// <summary>The simple-signing payload layer's media type.</summary>
    public const string PayloadMediaType = Signatures.SignatureMediaTypes.CosignSimpleSigning;

    /// <summary>The payload's <c>critical.type</c> cosign writes.</summary>
    public const string CosignType = "cosign container image signature";

    /// <summary>The <c>critical.type</c> of containers/image ("atomic") signatures, which use the same payload.</summary>
    public const string AtomicType = "atomic container signature";
}
