using System.Security.Cryptography;
using Bollard.Trust.Keys;

namespace Bollard.Trust.Notation;

/// <summary>
/// The signature algorithms Notation allows (signature-specification.md, "Algorithm Selection"): RSASSA-PSS with
/// SHA-256/384/512 and ECDSA on P-256/384/521, each bound to one key type and size so that the header cannot
/// substitute another algorithm for the key's own.
/// </summary>
internal enum NotationAlgorithm
{
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    ES512,
}

internal static class NotationAlgorithms
{
    /// <summary>JWS <c>alg</c> names (RFC 7518) of the allowed algorithms.</summary>
    public static NotationAlgorithm? FromJws(string? alg) => alg switch
    {
        "PS256" => NotationAlgorithm.PS256,
        "PS384" => NotationAlgorithm.PS384,
        "PS512" => NotationAlgorithm.PS512,
        "ES256" => NotationAlgorithm.ES256,
        "ES384" => NotationAlgorithm.ES384,
        "ES512" => NotationAlgorithm.ES512,
        _ => null,
    };

    /// <summary>COSE algorithm ids (IANA COSE Algorithms registry) of the allowed algorithms.</summary>
    public static NotationAlgorithm? FromCose(long alg) => alg switch
    {
        -37 => NotationAlgorithm.PS256,
        -38 => NotationAlgorithm.PS384,
        -39 => NotationAlgorithm.PS512,
        -7 => NotationAlgorithm.ES256,
        -35 => NotationAlgorithm.ES384,
        -36 => NotationAlgorithm.ES512,
        _ => null,
    };

    /// <summary>The one algorithm Notation signs with for a key (RSA-2048/3072/4096, P-256/384/521); null for any other key.</summary>
    public static NotationAlgorithm? ForKey(VerificationKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return (key.Family, key.KeySize) switch
        {
            (KeyFamily.Rsa, 2048) => NotationAlgorithm.PS256,
            (KeyFamily.Rsa, 3072) => NotationAlgorithm.PS384,
            (KeyFamily.Rsa, 4096) => NotationAlgorithm.PS512,
            (KeyFamily.Ecdsa, 256) => NotationAlgorithm.ES256,
            (KeyFamily.Ecdsa, 384) => NotationAlgorithm.ES384,
            (KeyFamily.Ecdsa, 521) => NotationAlgorithm.ES512,
            _ => null,
        };
    }

    /// <summary>How <see cref="VerificationKey.Verify"/> checks it: JWS and COSE ECDSA signatures are r||s (IEEE P1363), RSA is PSS.</summary>
    public static SignatureOptions Options(NotationAlgorithm algorithm) => algorithm switch
    {
        NotationAlgorithm.PS256 => new SignatureOptions(HashAlgorithmName.SHA256, RsaPss: true),
        NotationAlgorithm.PS384 => new SignatureOptions(HashAlgorithmName.SHA384, RsaPss: true),
        NotationAlgorithm.PS512 => new SignatureOptions(HashAlgorithmName.SHA512, RsaPss: true),
        NotationAlgorithm.ES256 => new SignatureOptions(HashAlgorithmName.SHA256, EcdsaIeeeP1363: true),
        NotationAlgorithm.ES384 => new SignatureOptions(HashAlgorithmName.SHA384, EcdsaIeeeP1363: true),
        _ => new SignatureOptions(HashAlgorithmName.SHA512, EcdsaIeeeP1363: true),
    };
}
