using System.Security.Cryptography;
using System.Text;
using Bollard.Trust.Keys;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Bollard.Trust.Tests.Keys;

public sealed class KeyRoundTripTests
{
    private static readonly byte[] Data = Encoding.UTF8.GetBytes("{\"critical\":{}}");

    public static TheoryData<string> Keys()
    {
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var rsa = RSA.Create(2048);
        var ed = new Ed25519KeyPairGenerator();
        ed.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = ed.GenerateKeyPair();
        byte[] edPkcs8 = PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private).GetDerEncoded();
        return new TheoryData<string>(
            p256.ExportPkcs8PrivateKeyPem(), p384.ExportECPrivateKeyPem(), rsa.ExportRSAPrivateKeyPem(), PemEncoding.WriteString("PRIVATE KEY", edPkcs8));
    }

    [Theory]
    [MemberData(nameof(Keys))]
    public void A_signature_verifies_with_the_public_key_and_not_over_other_bytes(string privatePem)
    {
        var signer = LocalSigner.FromPem(privatePem);
        byte[] signature = signer.Sign(Data);
        var key = VerificationKey.FromPem(signer.PublicKeyPem);
        Assert.Equal(signer.KeyFingerprint, key.Fingerprint);
        Assert.True(key.Verify(Data, signature, signer.VerifyOptions));
        Assert.False(key.Verify(Encoding.UTF8.GetBytes("{\"critical\":{ }}"), signature, signer.VerifyOptions));
        Assert.False(key.Verify(Data, signature, signer.VerifyOptions with { Hash = HashAlgorithmName.SHA1 }));
        var other = LocalSigner.GenerateEcdsaP256();
        Assert.False(VerificationKey.FromPem(other.PublicKeyPem).Verify(Data, signature, signer.VerifyOptions));
    }

    [Fact]
    public void Cosign_vector_public_key_loads_as_p256()
    {
        var key = VerificationKey.FromPem(TestData.Text("signing", "cosign.pub"));
        Assert.Equal(KeyFamily.Ecdsa, key.Family);
        Assert.Equal("ECDSA P-256", key.Description);
    }

    [Fact]
    public void Garbage_and_small_keys_are_refused_with_a_reason()
    {
        Assert.Contains("no PEM block", Assert.Throws<FormatException>(() => VerificationKey.FromPem("hello")).Message, StringComparison.Ordinal);
        using var small = RSA.Create(1024);
        Assert.Contains("too small", Assert.Throws<FormatException>(() => VerificationKey.FromPem(small.ExportSubjectPublicKeyInfoPem())).Message, StringComparison.Ordinal);
        Assert.Contains("encrypted", Assert.Throws<FormatException>(() => LocalSigner.FromPem(TestData.Text("signing", "cosign", "pemsigstorekey.pem"))).Message, StringComparison.Ordinal);
    }
}
