using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Bollard.Trust.Certificates;

namespace Bollard.Trust.Notation;

/// <summary>
/// An RFC 3161 TimeStampToken countersigning a Notation signature (<c>io.cncf.notary.timestampSignature</c>): its
/// message imprint is the hash of the signature bytes, so it proves the signature existed at <see cref="Time"/>
/// (within <see cref="Accuracy"/>). Read once per signature; trusted per trust store (<see cref="CheckTrust"/>).
/// </summary>
internal sealed class NotationTimestamp
{
    /// <summary>Largest token read: a token with its TSA chain is a few KB (the vector's is 7 KB).</summary>
    public const int MaxTokenBytes = 64 * 1024;

    private readonly Rfc3161TimestampToken _token;

    private NotationTimestamp(Rfc3161TimestampToken token, X509Certificate2 signer)
    {
        _token = token;
        Signer = signer;
        Time = token.TokenInfo.Timestamp;
        Accuracy = TimeSpan.FromMicroseconds(token.TokenInfo.AccuracyInMicroseconds ?? 0);
    }

    public DateTimeOffset Time { get; }

    public TimeSpan Accuracy { get; }

    /// <summary>The TSA certificate that signed the token.</summary>
    public X509Certificate2 Signer { get; }

    /// <summary>Decodes the token and checks that it countersigns <paramref name="signature"/> and that its CMS signature verifies.</summary>
    /// <returns>The timestamp, or null and why it is not one.</returns>
    public static (NotationTimestamp? Timestamp, string? Problem) Read(byte[] token, byte[] signature)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(signature);
        if (token.Length > MaxTokenBytes) return (null, $"the timestamp token is {token.Length} bytes (at most {MaxTokenBytes})");
        try
        {
            if (!Rfc3161TimestampToken.TryDecode(token, out var decoded, out int consumed) || decoded is null || consumed != token.Length)
                return (null, "the timestamp is not an RFC 3161 TimeStampToken");
            string? hash = decoded.TokenInfo.HashAlgorithmId.Value;
            if (hash is "1.3.14.3.2.26" or "1.2.840.113549.2.5")
                return (null, "the timestamp's message imprint uses SHA-1 or MD5, which is not accepted");
            var signerInfos = decoded.AsSignedCms().SignerInfos;
            if (signerInfos.Count != 1) return (null, $"the timestamp token has {signerInfos.Count} signers (exactly one expected)");
            if (signerInfos[0].DigestAlgorithm.Value is "1.3.14.3.2.26" or "1.2.840.113549.2.5")
                return (null, "the timestamp token is signed over a SHA-1 or MD5 digest, which is not accepted");
            if (!decoded.VerifySignatureForData(signature, out var signer) || signer is null)
                return (null, "the timestamp does not countersign this signature (message imprint or TSA signature does not verify)");
            return (new NotationTimestamp(decoded, signer), null);
        }
        catch (CryptographicException e)
        {
            return (null, $"the timestamp token is malformed: {e.Message}");
        }
    }

    /// <summary>
    /// Whether a TSA under <paramref name="tsaRoots"/> made the token: the TSA chain (from the token's certificates) is
    /// valid at <see cref="Time"/> and meets Notation's timestamping certificate rules.
    /// </summary>
    /// <returns>null when trusted; otherwise why not.</returns>
    public string? CheckTrust(IReadOnlyCollection<X509Certificate2> tsaRoots)
    {
        ArgumentNullException.ThrowIfNull(tsaRoots);
        var (chain, problem) = CertificateChains.Validate(Signer, _token.AsSignedCms().Certificates.Cast<X509Certificate2>(), tsaRoots, Time, requireCodeSigning: false);
        if (chain is null) return $"the timestamping authority {Signer.Subject} is not trusted: {problem}";
        if (NotationCertificates.CheckLeaf(chain[0], codeSigning: false) is { } leafProblem) return leafProblem;
        foreach (var certificate in chain)
            if (NotationCertificates.CheckKey(certificate) is { } keyProblem) return keyProblem;
        for (int i = 1; i < chain.Count; i++)
        {
            var basic = chain[i].Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
            var usage = chain[i].Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
            // Timestamping CAs: basicConstraints critical with cA, keyCertSign (key usage SHOULD, not MUST, be critical).
            if (basic is null || !basic.Critical || !basic.CertificateAuthority || usage is null || !usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign))
                return $"the timestamping CA {chain[i].Subject} lacks a critical basicConstraints cA=true or the keyCertSign key usage";
        }
        return null;
    }
}
