namespace Bollard.Trust.Signatures;

/// <summary>The signature forms Bollard finds, verifies and makes. Stored and shown by name: add at the end, never rename.</summary>
public enum SignatureFormat
{
    /// <summary>cosign's tag scheme: a layer of the <c>sha256-&lt;hex&gt;.sig</c> manifest, simple-signing payload, signature in the <c>dev.cosignproject.cosign/signature</c> annotation.</summary>
    Cosign,

    /// <summary>A Sigstore bundle (v0.1–v0.3; message signature or DSSE) attached as an OCI 1.1 referrer, or in the <c>sha256-&lt;hex&gt;</c> fallback index.</summary>
    SigstoreBundle,

    /// <summary>A Notation signature referrer with a JWS envelope (<c>application/jose+json</c>).</summary>
    NotationJws,

    /// <summary>A Notation signature referrer with a COSE envelope (<c>application/cose</c>).</summary>
    NotationCose,
}
