using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Bollard.Trust.Sigstore;

/// <summary>The bundle's <c>verificationMaterial</c>.</summary>
public sealed record BundleVerificationMaterial
{
    /// <summary>The bundle names a public key (by hint) instead of carrying a certificate: the verifier must already have the key.</summary>
    public bool HasPublicKey { get; init; }

    public string? PublicKeyHint { get; init; }

    /// <summary>The signing certificate first, then any chain the bundle carries (v0.1/v0.2 <c>x509CertificateChain</c>, v0.3 <c>certificate</c>).</summary>
    public IReadOnlyList<X509Certificate2> Certificates { get; init; } = [];

    public IReadOnlyList<BundleTlogEntry> TlogEntries { get; init; } = [];

    /// <summary>DER RFC 3161 timestamp tokens over the signature.</summary>
    public IReadOnlyList<byte[]> Rfc3161Timestamps { get; init; } = [];

    public X509Certificate2? Leaf => Certificates.Count > 0 ? Certificates[0] : null;
}

/// <summary>A transparency log entry (protobuf-specs <c>TransparencyLogEntry</c>).</summary>
public sealed record BundleTlogEntry
{
    public long LogIndex { get; init; }

    public required byte[] LogId { get; init; }

    /// <summary><c>hashedrekord</c>, <c>dsse</c>, <c>intoto</c>.</summary>
    public required string Kind { get; init; }

    public required string KindVersion { get; init; }

    /// <summary>Unix seconds the log says it integrated the entry (proven only by the SET).</summary>
    public long IntegratedTime { get; init; }

    public byte[]? SignedEntryTimestamp { get; init; }

    public BundleInclusionProof? InclusionProof { get; init; }

    /// <summary>The entry body as the log stored it (the Rekor <c>body</c>, decoded from base64).</summary>
    public byte[]? CanonicalizedBody { get; init; }

    public string Describe() => $"{Kind} entry {LogIndex} of log {Convert.ToBase64String(LogId)}";
}

/// <summary>A Merkle inclusion proof (RFC 6962) with the log's signed checkpoint.</summary>
public sealed record BundleInclusionProof
{
    public long LogIndex { get; init; }

    public required byte[] RootHash { get; init; }

    public long TreeSize { get; init; }

    public IReadOnlyList<byte[]> Hashes { get; init; } = [];

    /// <summary>The signed note (<c>origin\nsize\nroot\n\n— name sig</c>).</summary>
    public string? Checkpoint { get; init; }
}

/// <summary>A signature over a message digest (<c>messageSignature</c>).</summary>
public sealed record BundleMessageSignature
{
    /// <summary><c>SHA2_256</c>, <c>SHA2_384</c>, <c>SHA2_512</c>.</summary>
    public string? DigestAlgorithm { get; init; }

    public byte[]? Digest { get; init; }

    public required byte[] Signature { get; init; }
}

/// <summary>A DSSE envelope: the signature is over PAE(payloadType, payload).</summary>
public sealed record BundleDsseEnvelope
{
    public required string PayloadType { get; init; }

    public required byte[] Payload { get; init; }

    public required IReadOnlyList<DsseSignature> Signatures { get; init; }

    /// <summary>DSSE's pre-authentication encoding: <c>DSSEv1 SP len(type) SP type SP len(body) SP body</c>.</summary>
    public byte[] PreAuthenticationEncoding() => Pae(PayloadType, Payload);

    public static byte[] Pae(string payloadType, byte[] payload)
    {
        byte[] type = Encoding.UTF8.GetBytes(payloadType);
        byte[] head = Encoding.ASCII.GetBytes($"DSSEv1 {type.Length} ");
        byte[] middle = Encoding.ASCII.GetBytes($" {payload.Length} ");
        return [.. head, .. type, .. middle, .. payload];
    }
}

/// <param name="Signature">The raw signature bytes.</param>
/// <param name="KeyId">The envelope's optional key id.</param>
public sealed record DsseSignature(byte[] Signature, string? KeyId);
