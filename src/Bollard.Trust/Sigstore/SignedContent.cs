using System.Security.Cryptography;
using Bollard.Core.Oci;
using Bollard.Trust.Keys;

namespace Bollard.Trust.Sigstore;

/// <summary>
/// What a bundle's signature is over and which image it names: the DSSE PAE and the in-toto subject, or the message
/// digest (verified as a pre-hashed signature: the manifest bytes are the message, their digest is the image's).
/// </summary>
internal sealed class SignedContent
{
    private readonly byte[]? _pae;
    private readonly byte[]? _messageDigest;
    private readonly HashAlgorithmName _messageHash;
    private readonly IReadOnlyList<byte[]> _signatures;

    private SignedContent(byte[]? pae, byte[]? messageDigest, HashAlgorithmName messageHash, IReadOnlyList<byte[]> signatures, string? signedDigest, string? signedReference, string kind)
    {
        _pae = pae;
        _messageDigest = messageDigest;
        _messageHash = messageHash;
        _signatures = signatures;
        SignedDigest = signedDigest;
        SignedReference = signedReference;
        Kind = kind;
    }

    public string? SignedDigest { get; }

    public string? SignedReference { get; }

    /// <summary><c>DSSE in-toto statement (predicate …)</c> or <c>message signature</c>.</summary>
    public string Kind { get; }

    public string Describe() => $"{Kind} over {SignedDigest}";

    /// <summary>Reads what the bundle signs; adds a problem (and may return null) when it does not name <paramref name="expected"/>.</summary>
    public static SignedContent? From(SigstoreBundle bundle, Digest expected, List<string> problems)
    {
        if (bundle.DsseEnvelope is { } envelope)
        {
            if (envelope.PayloadType != InTotoStatement.PayloadType)
            {
                problems.Add($"the DSSE payload type is '{envelope.PayloadType}', not an in-toto statement ({InTotoStatement.PayloadType})");
                return null;
            }
            InTotoStatement statement;
            try
            {
                statement = InTotoStatement.Parse(envelope.Payload);
            }
            catch (FormatException e)
            {
                problems.Add(e.Message);
                return null;
            }
            string algorithm = expected.Algorithm.Name;
            var match = statement.Subjects.FirstOrDefault(s => s.Digests.TryGetValue(algorithm, out string? hex) && string.Equals(hex, expected.Hex, StringComparison.OrdinalIgnoreCase));
            var named = match ?? statement.Subjects.FirstOrDefault(s => s.Digests.ContainsKey(algorithm)) ?? statement.Subjects[0];
            string? signedDigest = named.Digests.TryGetValue(algorithm, out string? h) ? $"{algorithm}:{h.ToLowerInvariant()}"
                : named.Digests.FirstOrDefault() is { Key: not null } any ? $"{any.Key}:{any.Value}" : null;
            if (match is null)
            {
                var listed = statement.Subjects.Take(5).Select(s => s.Digests.TryGetValue(algorithm, out string? x) ? $"{algorithm}:{x}" : "(no " + algorithm + ")");
                problems.Add($"the in-toto statement's subjects name {string.Join(", ", listed)}{(statement.Subjects.Count > 5 ? ", …" : "")}, not the image {expected}");
            }
            string kind = $"DSSE in-toto statement{(statement.PredicateType is { } p ? $" (predicate {p})" : "")}";
            return new SignedContent(envelope.PreAuthenticationEncoding(), null, default, envelope.Signatures.Select(s => s.Signature).ToList(), signedDigest, named.Name, kind);
        }

        var message = bundle.MessageSignature!;
        (string? name, HashAlgorithmName hash, int size) = message.DigestAlgorithm switch
        {
            "SHA2_256" => ("sha256", HashAlgorithmName.SHA256, 32),
            "SHA2_384" => ("sha384", HashAlgorithmName.SHA384, 48),
            "SHA2_512" => ("sha512", HashAlgorithmName.SHA512, 64),
            _ => ((string?)null, default(HashAlgorithmName), 0),
        };
        if (message.Digest is null)
        {
            problems.Add("the message signature has no message digest, so it names no image");
            return null;
        }
        if (name is null || message.Digest.Length != size)
        {
            problems.Add($"the message digest algorithm '{message.DigestAlgorithm ?? "(none)"}' is not supported (SHA2_256, SHA2_384, SHA2_512 are)");
            return null;
        }
        string digest = $"{name}:{Convert.ToHexStringLower(message.Digest)}";
        if (digest != expected.ToString()) problems.Add($"the message signature is over {digest}, not the image {expected}");
        return new SignedContent(null, message.Digest, hash, [message.Signature], digest, null, "message signature");
    }

    /// <summary>Whether any of the bundle's signatures verifies with <paramref name="key"/>.</summary>
    public bool VerifiesWith(VerificationKey key)
    {
        foreach (byte[] signature in _signatures)
        {
            if (_pae is not null)
            {
                // A DSSE signature uses the key's own hash; RSA keys may sign with PKCS#1 v1.5 or PSS.
                if (key.Verify(_pae, signature, new SignatureOptions(key.DefaultHash))) return true;
                if (key.Family == KeyFamily.Rsa && key.Verify(_pae, signature, new SignatureOptions(key.DefaultHash, RsaPss: true))) return true;
            }
            else if (VerifyPrehashed(key, _messageDigest!, _messageHash, signature))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>A signature over a message whose digest is all there is (Ed25519 signs the message itself, so it cannot be checked this way).</summary>
    private static bool VerifyPrehashed(VerificationKey key, byte[] digest, HashAlgorithmName hash, byte[] signature)
    {
        try
        {
            switch (key.Family)
            {
                case KeyFamily.Ecdsa:
                {
                    using var ec = ECDsa.Create();
                    ec.ImportSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
                    return ec.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence);
                }
                case KeyFamily.Rsa:
                {
                    using var rsa = RSA.Create();
                    rsa.ImportSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
                    return rsa.VerifyHash(digest, signature, hash, RSASignaturePadding.Pkcs1) || rsa.VerifyHash(digest, signature, hash, RSASignaturePadding.Pss);
                }
                default:
                    return false;
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
