using System.Security.Cryptography;

namespace Bollard.Core.Oci;

/// <summary>The digest algorithms Bollard can verify (OCI image-spec descriptor.md: sha256 and sha512 are registered).</summary>
public sealed class DigestAlgorithm
{
    public static readonly DigestAlgorithm Sha256 = new("sha256", 64, HashAlgorithmName.SHA256);
    public static readonly DigestAlgorithm Sha512 = new("sha512", 128, HashAlgorithmName.SHA512);

    private DigestAlgorithm(string name, int hexLength, HashAlgorithmName hashName)
    {
        Name = name;
        HexLength = hexLength;
        HashName = hashName;
    }

    public string Name { get; }
    public int HexLength { get; }
    public HashAlgorithmName HashName { get; }

    public static DigestAlgorithm? Find(string name) => name switch
    {
        "sha256" => Sha256,
        "sha512" => Sha512,
        _ => null,
    };

    public IncrementalHash CreateHash() => IncrementalHash.CreateHash(HashName);

    public override string ToString() => Name;
}
