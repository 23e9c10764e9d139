using Bollard.Core.Oci;

namespace Bollard.Trust.Signatures;

/// <summary>The signature algorithms Bollard signs and verifies with. SHA-1 is never accepted.</summary>
public enum SigningAlgorithm
{
    EcdsaP256Sha256,
    EcdsaP384Sha384,
    EcdsaP521Sha512,
    Ed25519,
    RsaPkcs1Sha256,
    RsaPssSha256,
}

/// <summary>
/// A private key that signs: a local key file in the CLI, or a server-held key that never leaves the server.
/// Thread-safe.
/// </summary>
public interface ISigner
{
    /// <summary>SHA-256 (lowercase hex) of the public key's SubjectPublicKeyInfo DER.</summary>
    string KeyFingerprint { get; }

    SigningAlgorithm Algorithm { get; }

    /// <summary>The public key (PEM, SubjectPublicKeyInfo).</summary>
    string PublicKeyPem { get; }

    /// <summary>The certificate chain, leaf first (PEM each), for Notation and certificate-based signatures; empty for a bare key.</summary>
    IReadOnlyList<string> CertificateChainPem { get; }

    /// <summary>Signs <paramref name="data"/> (hashing it with the algorithm's digest). ECDSA signatures are ASN.1 DER, as cosign and Sigstore store them.</summary>
    byte[] Sign(ReadOnlySpan<byte> data);
}

/// <param name="Registry">The registry host as clients name it (<c>registry.example.com:5000</c>): cosign's docker-reference is <c>Registry/Repository</c>.</param>
/// <param name="Repository">The image's repository.</param>
/// <param name="Manifest">The image manifest digest signed.</param>
/// <param name="ManifestMediaType">Its media type (the subject descriptor of a referrer).</param>
/// <param name="ManifestSize">Its size (the subject descriptor).</param>
/// <param name="Now">The signing time written into the signature.</param>
public sealed record SigningInput(string Registry, string Repository, Digest Manifest, string ManifestMediaType, long ManifestSize, DateTimeOffset Now)
{
    /// <summary>Extra annotations the signer asked for (cosign <c>-a key=value</c>).</summary>
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
}

/// <summary>What a format's producer makes; <c>SignatureAttacher</c> writes it into a registry.</summary>
public abstract record SignatureArtifact(SignatureFormat Format);

/// <summary>One more layer of the image's <c>sha256-&lt;hex&gt;.sig</c> manifest: the simple-signing payload and its annotations (the signature, base64).</summary>
public sealed record CosignLayer(byte[] Payload, IReadOnlyDictionary<string, string> Annotations) : SignatureArtifact(SignatureFormat.Cosign);

/// <summary>A referrer manifest with one layer: the envelope (a Sigstore bundle, a Notation JWS).</summary>
public sealed record ReferrerArtifact(SignatureFormat Kind, string ArtifactType, string LayerMediaType, byte[] Envelope, IReadOnlyDictionary<string, string> ManifestAnnotations)
    : SignatureArtifact(Kind);

/// <summary>Makes signatures of one format. Pure CPU; thread-safe.</summary>
public interface ISignatureProducer
{
    SignatureFormat Format { get; }

    SignatureArtifact Create(SigningInput input, ISigner signer);
}
