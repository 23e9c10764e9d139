using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bollard.Trust.Certificates;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Bollard.Trust.Keys;

/// <summary>The public-key families Bollard verifies with.</summary>
public enum KeyFamily
{
    Ecdsa,
    Rsa,
    Ed25519,
}

/// <summary>
/// How a signature is encoded and hashed. ECDSA signatures are ASN.1 DER (cosign, Sigstore) unless
/// <see cref="EcdsaIeeeP1363"/> (JWS and COSE: r||s); RSA is PKCS#1 v1.5 unless <see cref="RsaPss"/>. Ed25519 ignores both and the hash.
/// </summary>
public sealed record SignatureOptions(HashAlgorithmName Hash, bool RsaPss = false, bool EcdsaIeeeP1363 = false);

/// <summary>
/// A public key that verifies signatures: ECDSA P-256/P-384/P-521 and RSA through .NET, Ed25519 through BouncyCastle (the
/// base library has none). Loaded from PEM (<c>PUBLIC KEY</c>, <c>RSA PUBLIC KEY</c>), SubjectPublicKeyInfo DER or a certificate.
/// Immutable and thread-safe (each verify uses an algorithm instance no other verify holds at that time).
/// </summary>
public sealed class VerificationKey
{
    private const string EcOid = "1.2.840.10045.2.1";
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string RsaPssOid = "1.2.840.113549.1.1.10";
    private const string Ed25519Oid = "1.3.101.112";

    private readonly byte[] _spki;

    private VerificationKey(byte[] spki, KeyFamily family, int size, string? curve)
    {
        _spki = spki;
        Family = family;
        KeySize = size;
        Curve = curve;
        Fingerprint = CertificateIdentity.KeyFingerprint(spki);
    }

    public KeyFamily Family { get; }

    /// <summary>Bits: the curve size or the RSA modulus size (255 for Ed25519).</summary>
    public int KeySize { get; }

    /// <summary><c>P-256</c>, <c>P-384</c>, <c>P-521</c> for ECDSA; null otherwise.</summary>
    public string? Curve { get; }

    /// <summary>SHA-256 (lowercase hex) of the SubjectPublicKeyInfo DER.</summary>
    public string Fingerprint { get; }

    /// <summary>Readable, e.g. <c>ECDSA P-256</c>, <c>RSA-2048</c>, <c>Ed25519</c>.</summary>
    public string Description => Family switch
    {
        KeyFamily.Ecdsa => $"ECDSA {Curve}",
        KeyFamily.Rsa => $"RSA-{KeySize}",
        _ => "Ed25519",
    };

    public ReadOnlySpan<byte> SubjectPublicKeyInfo => _spki;

    /// <summary>The hash a signature by this key uses when the format does not say: SHA-256, SHA-384 for P-384, SHA-512 for P-521.</summary>
    public HashAlgorithmName DefaultHash => Curve switch
    {
        "P-384" => HashAlgorithmName.SHA384,
        "P-521" => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };

    /// <exception cref="FormatException">Not a PEM public key of a supported algorithm (the message says which).</exception>
    public static VerificationKey FromPem(string pem)
    {
        ArgumentNullException.ThrowIfNull(pem);
        if (!PemEncoding.TryFind(pem, out var fields)) throw new FormatException("no PEM block found (expected -----BEGIN PUBLIC KEY-----)");
        string label = pem[fields.Label];
        byte[] der = Convert.FromBase64String(pem[fields.Base64Data]);
        return label switch
        {
            "PUBLIC KEY" => FromSubjectPublicKeyInfo(der),
            "RSA PUBLIC KEY" => FromRsaPublicKey(der),
            "CERTIFICATE" => FromCertificate(X509CertificateLoader.LoadCertificate(der)),
            _ => throw new FormatException($"PEM block '{label}' is not a public key (expected PUBLIC KEY)"),
        };
    }

    public static VerificationKey FromCertificate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return FromSubjectPublicKeyInfo(certificate.PublicKey.ExportSubjectPublicKeyInfo());
    }

    /// <exception cref="FormatException">Not a SubjectPublicKeyInfo of a supported algorithm.</exception>
    public static VerificationKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> der)
    {
        string oid;
        try
        {
            var spki = new AsnReader(der.ToArray(), AsnEncodingRules.DER).ReadSequence();
            oid = spki.ReadSequence().ReadObjectIdentifier();
        }
        catch (AsnContentException e)
        {
            throw new FormatException("the public key is not a DER SubjectPublicKeyInfo", e);
        }
        byte[] copy = der.ToArray();
        try
        {
            switch (oid)
            {
                case EcOid:
                {
                    using var ec = ECDsa.Create();
                    ec.ImportSubjectPublicKeyInfo(copy, out _);
                    string curve = ec.KeySize switch
                    {
                        256 => "P-256",
                        384 => "P-384",
                        521 => "P-521",
                        _ => throw new FormatException($"ECDSA key of {ec.KeySize} bits is not supported (P-256, P-384, P-521 are)"),
                    };
                    if (ec.ExportParameters(false).Curve.Oid?.Value is not ("1.2.840.10045.3.1.7" or "1.3.132.0.34" or "1.3.132.0.35"))
                        throw new FormatException("ECDSA key is not on a NIST P curve");
                    return new VerificationKey(copy, KeyFamily.Ecdsa, ec.KeySize, curve);
                }
                case RsaOid:
                case RsaPssOid:
                {
                    using var rsa = RSA.Create();
                    rsa.ImportSubjectPublicKeyInfo(copy, out _);
                    if (rsa.KeySize < 2048) throw new FormatException($"RSA key of {rsa.KeySize} bits is too small (2048 at least)");
                    return new VerificationKey(copy, KeyFamily.Rsa, rsa.KeySize, null);
                }
                case Ed25519Oid:
                    _ = new Ed25519PublicKeyParameters(ReadBitString(copy), 0);
                    return new VerificationKey(copy, KeyFamily.Ed25519, 255, null);
                default:
                    throw new FormatException($"public key algorithm {oid} is not supported (ECDSA, RSA, Ed25519 are)");
            }
        }
        catch (CryptographicException e)
        {
            throw new FormatException($"the public key is malformed: {e.Message}", e);
        }
    }

    private static VerificationKey FromRsaPublicKey(byte[] pkcs1)
    {
        using var rsa = RSA.Create();
        try
        {
            rsa.ImportRSAPublicKey(pkcs1, out _);
        }
        catch (CryptographicException e)
        {
            throw new FormatException($"the RSA public key is malformed: {e.Message}", e);
        }
        return FromSubjectPublicKeyInfo(rsa.ExportSubjectPublicKeyInfo());
    }

    /// <summary>Verifies <paramref name="signature"/> over <paramref name="data"/>; false for any mismatch or malformed signature, never throws for bad input.</summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, SignatureOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Hash == HashAlgorithmName.SHA1 || options.Hash == HashAlgorithmName.MD5) return false;
        try
        {
            switch (Family)
            {
                case KeyFamily.Ecdsa:
                {
                    var ec = (ECDsa)Rent();
                    try
                    {
                        var format = options.EcdsaIeeeP1363 ? DSASignatureFormat.IeeeP1363FixedFieldConcatenation : DSASignatureFormat.Rfc3279DerSequence;
                        return ec.VerifyData(data, signature, options.Hash, format);
                    }
                    finally
                    {
                        Return(ec);
                    }
                }
                case KeyFamily.Rsa:
                {
                    var rsa = (RSA)Rent();
                    try
                    {
                        return rsa.VerifyData(data, signature, options.Hash, options.RsaPss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
                    }
                    finally
                    {
                        Return(rsa);
                    }
                }
                default:
                {
                    if (signature.Length != 64) return false;
                    var verifier = new Ed25519Signer();
                    verifier.Init(false, new Ed25519PublicKeyParameters(ReadBitString(_spki), 0));
                    verifier.BlockUpdate(data);
                    return verifier.VerifySignature(signature.ToArray());
                }
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// An imported ECDSA or RSA instance of this key, from the pool or new: importing the SubjectPublicKeyInfo (a point
    /// check for ECDSA) costs about as much as a verification, and an anchor's key verifies many signatures. An instance
    /// is used by one caller at a time (.NET does not promise concurrent use of one); the pool keeps as many as were
    /// used at once, at most <see cref="MaxPooled"/>.
    /// </summary>
    private AsymmetricAlgorithm Rent()
    {
        if (_pool.TryTake(out var pooled)) return pooled;
        if (Family == KeyFamily.Ecdsa)
        {
            var ec = ECDsa.Create();
            ec.ImportSubjectPublicKeyInfo(_spki, out _);
            return ec;
        }
        var rsa = RSA.Create();
        rsa.ImportSubjectPublicKeyInfo(_spki, out _);
        return rsa;
    }

    private void Return(AsymmetricAlgorithm algorithm)
    {
        if (_pool.Count < MaxPooled) _pool.Add(algorithm);
        else algorithm.Dispose();
    }

    private const int MaxPooled = 16;
    private readonly System.Collections.Concurrent.ConcurrentBag<AsymmetricAlgorithm> _pool = [];

    /// <summary>Whether this is the same key as <paramref name="other"/> (same SubjectPublicKeyInfo).</summary>
    public bool SameKey(VerificationKey other) => other is not null && other.Fingerprint == Fingerprint;

    private static byte[] ReadBitString(byte[] spki)
    {
        var sequence = new AsnReader(spki, AsnEncodingRules.DER).ReadSequence();
        sequence.ReadSequence();
        byte[] key = sequence.ReadBitString(out _);
        if (key.Length != 32) throw new FormatException("Ed25519 public key is not 32 bytes");
        return key;
    }
}
