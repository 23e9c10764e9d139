using System.Security.Cryptography.X509Certificates;

namespace Bollard.Trust.Notation;

/// <summary>
/// A Notation signature envelope (JWS or COSE) reduced to what verification needs, read without re-serializing
/// anything: <see cref="SigningInput"/> is the exact byte string the signature covers (the JWS signing input as stored,
/// the COSE <c>Sig_structure</c> over the stored protected-header bytes), <see cref="Payload"/> the exact payload bytes.
/// </summary>
internal sealed record NotationEnvelope
{
    public required NotationAlgorithm Algorithm { get; init; }

    /// <summary>The signed payload (a <c>targetArtifact</c> descriptor in JSON).</summary>
    public required byte[] Payload { get; init; }

    public required byte[] SigningInput { get; init; }

    public required byte[] Signature { get; init; }

    /// <summary>The signing chain, leaf first, as the envelope carries it.</summary>
    public required IReadOnlyList<X509Certificate2> Chain { get; init; }

    public required string SigningScheme { get; init; }

    /// <summary>The signer's claimed time (<c>notary.x509</c>), or the signing authority's (<c>notary.x509.signingAuthority</c>).</summary>
    public DateTimeOffset? SigningTime { get; init; }

    public DateTimeOffset? AuthenticSigningTime { get; init; }

    /// <summary>The signer's "best by" time: past it the signature does not count.</summary>
    public DateTimeOffset? Expiry { get; init; }

    /// <summary>The RFC 3161 TimeStampToken countersigning <see cref="Signature"/>, when there is one.</summary>
    public byte[]? TimestampToken { get; init; }

    public string? SigningAgent { get; init; }
}
