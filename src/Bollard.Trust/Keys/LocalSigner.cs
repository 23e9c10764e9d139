using System.Security.Cryptography;
using Bollard.Trust.Signatures;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Security;

namespace Bollard.Trust.Keys;

/// <summary>
/// An <see cref="ISigner"/> over a private key held in this process: a key file for the CLI, a decrypted server-held key.
/// Loads unencrypted PEM (<c>PRIVATE KEY</c> PKCS#8, <c>EC PRIVATE KEY</c>, <c>RSA PRIVATE KEY</c>); encrypted cosign keys are
/// decrypted first (<c>Keys/CosignPrivateKey</c>). Thread-safe: every signature uses its own algorithm instance.
/// </summary>
public sealed class LocalSigner : ISigner
{
    private readonly byte[] _pkcs8;

    private LocalSigner(byte[] pkcs8, SigningAlgorithm algorithm, string publicKeyPem, IReadOnlyList<string> chain)
    {
        // A copy: callers zero their buffers once the signer is made (the server's key loader does), and the signer
        // must own the key it signs with.
        _pkcs8 = (byte[])pkcs8.Clone();
        Algorithm = algorithm;
        PublicKeyPem = publicKeyPem;
        CertificateChainPem = chain;
        PublicKey = VerificationKey.FromPem(publicKeyPem);
        KeyFingerprint = PublicKey.Fingerprint;
    }

    public string KeyFingerprint { get; }

    public SigningAlgorithm Algorithm { get; }

    public string PublicKeyPem { get; }

    public IReadOnlyList<string> CertificateChainPem { get; }

    public VerificationKey PublicKey { get; }

    /// <summary>A new ECDSA P-256 key (cosign's default).</summary>
    public static LocalSigner GenerateEcdsaP256()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return FromPkcs8(ec.ExportPkcs8PrivateKey(), rsaPss: false, []);
    }

    /// <param name="pem">The private key; a certificate chain (leaf first) may follow it in the same text.</param>
    /// <param name="rsaPss">RSA keys sign with PSS (Notation's PS256) instead of PKCS#1 v1.5.</param>
    /// <exception cref="FormatException">No supported unencrypted private key in the text (the message says what was found).</exception>
    public static LocalSigner FromPem(string pem, bool rsaPss = false, IReadOnlyList<string>? certificateChainPem = null)
    {
        ArgumentNullException.ThrowIfNull(pem);
        // Checked by label, before decoding: cosign's encrypted keys are not always strict RFC 7468 PEM.
        if (pem.Contains("-----BEGIN ENCRYPTED", StringComparison.Ordinal))
            throw new FormatException("the key is encrypted (ENCRYPTED ... PRIVATE KEY): give its password");
        var chain = new List<string>(certificateChainPem ?? []);
        byte[]? pkcs8 = null;
        int offset = 0;
        while (offset < pem.Length && PemEncoding.TryFind(pem.AsSpan(offset), out var fields))
        {
            string label = pem.AsSpan(offset)[fields.Label].ToString();
            string block = pem.AsSpan(offset)[fields.Location].ToString();
            byte[] der = Convert.FromBase64String(pem.AsSpan(offset)[fields.Base64Data].ToString());
            offset += fields.Location.End.Value;
            switch (label)
            {
                case "PRIVATE KEY":
                    pkcs8 ??= der;
                    break;
                case "EC PRIVATE KEY":
                {
                    using var ec = ECDsa.Create();
                    ec.ImportECPrivateKey(der, out _);
                    pkcs8 ??= ec.ExportPkcs8PrivateKey();
                    break;
                }
                case "RSA PRIVATE KEY":
                {
                    using var rsa = RSA.Create();
                    rsa.ImportRSAPrivateKey(der, out _);
                    pkcs8 ??= rsa.ExportPkcs8PrivateKey();
                    break;
                }
                case "CERTIFICATE":
                    chain.Add(block);
                    break;
                default:
                    break;
            }
        }
        if (pkcs8 is null) throw new FormatException("no private key found (expected -----BEGIN PRIVATE KEY-----, EC PRIVATE KEY or RSA PRIVATE KEY)");
        return FromPkcs8(pkcs8, rsaPss, chain);
    }

    /// <exception cref="FormatException">Not a PKCS#8 key of a supported algorithm.</exception>
    public static LocalSigner FromPkcs8(byte[] pkcs8, bool rsaPss, IReadOnlyList<string> certificateChainPem)
    {
        ArgumentNullException.ThrowIfNull(pkcs8);
        try
        {
            var info = PrivateKeyInfo.GetInstance(pkcs8);
            string oid = info.PrivateKeyAlgorithm.Algorithm.Id;
            switch (oid)
            {
                case "1.2.840.10045.2.1":
                {
                    using var ec = ECDsa.Create();
                    ec.ImportPkcs8PrivateKey(pkcs8, out _);
                    var algorithm = ec.KeySize switch
                    {
                        256 => SigningAlgorithm.EcdsaP256Sha256,
                        384 => SigningAlgorithm.EcdsaP384Sha384,
                        521 => SigningAlgorithm.EcdsaP521Sha512,
                        _ => throw new FormatException($"ECDSA key of {ec.KeySize} bits is not supported"),
                    };
                    return new LocalSigner(pkcs8, algorithm, ec.ExportSubjectPublicKeyInfoPem(), certificateChainPem);
                }
                case "1.2.840.113549.1.1.1":
                {
                    using var rsa = RSA.Create();
                    rsa.ImportPkcs8PrivateKey(pkcs8, out _);
                    if (rsa.KeySize < 2048) throw new FormatException($"RSA key of {rsa.KeySize} bits is too small (2048 at least)");
                    return new LocalSigner(pkcs8, rsaPss ? SigningAlgorithm.RsaPssSha256 : SigningAlgorithm.RsaPkcs1Sha256, rsa.ExportSubjectPublicKeyInfoPem(), certificateChainPem);
                }
                case "1.3.101.112":
                {
                    var key = (Ed25519PrivateKeyParameters)PrivateKeyFactory.CreateKey(info);
                    byte[] spki = Ed25519Spki.Encode(key.GeneratePublicKey().GetEncoded());
                    return new LocalSigner(pkcs8, SigningAlgorithm.Ed25519, PemEncoding.WriteString("PUBLIC KEY", spki), certificateChainPem);
                }
                default:
                    throw new FormatException($"private key algorithm {oid} is not supported (ECDSA, RSA, Ed25519 are)");
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or InvalidCastException)
        {
            throw new FormatException($"the private key is malformed: {e.Message}", e);
        }
    }

    /// <summary>The private key as unencrypted PKCS#8 PEM (for tests and for encrypting at rest; never logged).</summary>
    public string ExportPkcs8Pem() => PemEncoding.WriteString("PRIVATE KEY", _pkcs8);

    /// <summary>The PKCS#8 DER (the caller encrypts it before storing).</summary>
    public byte[] ExportPkcs8() => (byte[])_pkcs8.Clone();

    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        switch (Algorithm)
        {
            case SigningAlgorithm.EcdsaP256Sha256 or SigningAlgorithm.EcdsaP384Sha384 or SigningAlgorithm.EcdsaP521Sha512:
            {
                using var ec = ECDsa.Create();
                ec.ImportPkcs8PrivateKey(_pkcs8, out _);
                return ec.SignData(data, Hash, DSASignatureFormat.Rfc3279DerSequence);
            }
            case SigningAlgorithm.RsaPkcs1Sha256 or SigningAlgorithm.RsaPssSha256:
            {
                using var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(_pkcs8, out _);
                return rsa.SignData(data, HashAlgorithmName.SHA256, Algorithm == SigningAlgorithm.RsaPssSha256 ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
            }
            default:
            {
                var signer = new Ed25519Signer();
                signer.Init(true, (Ed25519PrivateKeyParameters)PrivateKeyFactory.CreateKey(_pkcs8));
                signer.BlockUpdate(data);
                return signer.GenerateSignature();
            }
        }
    }

    /// <summary>The digest the algorithm signs with.</summary>
    public HashAlgorithmName Hash => Algorithm switch
    {
        SigningAlgorithm.EcdsaP384Sha384 => HashAlgorithmName.SHA384,
        SigningAlgorithm.EcdsaP521Sha512 => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };

    /// <summary>How <see cref="VerificationKey.Verify"/> checks a signature this signer made.</summary>
    public SignatureOptions VerifyOptions => new(Hash, RsaPss: Algorithm == SigningAlgorithm.RsaPssSha256);
}

/// <summary>Ed25519 SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING key } (RFC 8410).</summary>
internal static class Ed25519Spki
{
    public static byte[] Encode(byte[] publicKey)
    {
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence()) writer.WriteObjectIdentifier("1.3.101.112");
            writer.WriteBitString(publicKey);
        }
        return writer.Encode();
    }
}
