using Bollard.Trust.Keys;

namespace Bollard.Trust.Sigstore;

/// <summary>
/// A transparency log (Rekor) or certificate transparency log of a trusted root: its public key, the key's details as
/// protobuf-specs names them (<c>PKIX_ECDSA_P256_SHA_256</c>, <c>PKIX_ED25519</c>), its log id and when it may be trusted.
/// </summary>
public sealed record TransparencyLog
{
    public string? BaseUrl { get; init; }

    /// <summary>The log's Merkle tree hash (<c>SHA2_256</c>).</summary>
    public string HashAlgorithm { get; init; } = "SHA2_256";

    /// <summary>The key the log signs entry timestamps and checkpoints with; null when the root lists a key Bollard cannot use (see <see cref="KeyProblem"/>).</summary>
    public VerificationKey? PublicKey { get; init; }

    /// <summary>Why <see cref="PublicKey"/> is null.</summary>
    public string? KeyProblem { get; init; }

    public string? KeyDetails { get; init; }

    /// <summary>The log id (for Rekor, SHA-256 of the key's SubjectPublicKeyInfo).</summary>
    public required byte[] LogId { get; init; }

    /// <summary>The id a signed checkpoint's signature line names, when it differs from <see cref="LogId"/> (Rekor v2).</summary>
    public byte[]? CheckpointKeyId { get; init; }

    public ValidityPeriod ValidFor { get; init; } = ValidityPeriod.Always;

    /// <summary>How the log's signatures are hashed and padded: from <see cref="KeyDetails"/> when it says, else the key's default.</summary>
    public SignatureOptions SignatureOptions => OptionsFor(KeyDetails, PublicKey);

    public string LogIdBase64 => Convert.ToBase64String(LogId);

    internal static SignatureOptions OptionsFor(string? keyDetails, VerificationKey? key)
    {
        string details = keyDetails ?? "";
        var hash = details.EndsWith("SHA_384", StringComparison.Ordinal) || details.EndsWith("SHA384", StringComparison.Ordinal) ? System.Security.Cryptography.HashAlgorithmName.SHA384
            : details.EndsWith("SHA_512", StringComparison.Ordinal) || details.EndsWith("SHA512", StringComparison.Ordinal) ? System.Security.Cryptography.HashAlgorithmName.SHA512
            : details.EndsWith("SHA_256", StringComparison.Ordinal) || details.EndsWith("SHA256", StringComparison.Ordinal) ? System.Security.Cryptography.HashAlgorithmName.SHA256
            : key?.DefaultHash ?? System.Security.Cryptography.HashAlgorithmName.SHA256;
        return new SignatureOptions(hash, RsaPss: details.Contains("RSA_PSS", StringComparison.Ordinal));
    }

    public string Describe() => $"{BaseUrl ?? "log"} ({LogIdBase64})";
}
