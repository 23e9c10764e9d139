using System.Text;
using Bollard.Trust.Keys;

namespace Bollard.Trust.Tests.Keys;

public sealed class CosignPrivateKeyTests
{
    private static readonly byte[] Data = Encoding.UTF8.GetBytes("{\"critical\":{\"type\":\"cosign container image signature\"}}");

    private static string Vector => TestData.Text("signing", "cosign", "pemsigstorekey.pem");

    /// <summary>A key file with <paramref name="envelopeJson"/> as its body, the way cosign wraps it.</summary>
    private static string KeyFile(string envelopeJson, string label = CosignPrivateKey.SigstoreLabel) =>
        System.Security.Cryptography.PemEncoding.WriteString(label, Encoding.UTF8.GetBytes(envelopeJson));

    private static string EnvelopeJson(string pem)
    {
        string body = pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal) && !l.StartsWith('`')).Aggregate("", (a, l) => a + l.Trim());
        return Encoding.UTF8.GetString(Convert.FromBase64String(body));
    }

    [Fact]
    public void Decrypt_CosignVectorWithItsPassword_SignsWhatItsPublicKeyVerifies()
    {
        var signer = CosignPrivateKey.Decrypt(Vector, "hello");

        Assert.Equal(Bollard.Trust.Signatures.SigningAlgorithm.EcdsaP256Sha256, signer.Algorithm);
        byte[] signature = signer.Sign(Data);
        var key = VerificationKey.FromPem(signer.PublicKeyPem);
        Assert.True(key.Verify(Data, signature, signer.VerifyOptions));
        Assert.False(key.Verify(Encoding.UTF8.GetBytes("{}"), signature, signer.VerifyOptions));
    }

    [Fact]
    public void Decrypt_WrongPassword_SaysWrongPassword()
    {
        var e = Assert.Throws<FormatException>(() => CosignPrivateKey.Decrypt(Vector, "hellO"));
        Assert.StartsWith("wrong password", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_ModifiedCiphertext_FailsAuthentication()
    {
        string json = EnvelopeJson(CosignPrivateKey.Encrypt(LocalSigner.GenerateEcdsaP256(), "pw", new ScryptParameters(1024, 8, 1)));
        using var document = System.Text.Json.JsonDocument.Parse(json);
        byte[] box = document.RootElement.GetProperty("ciphertext").GetBytesFromBase64();
        box[^1] ^= 1;
        string tampered = json.Replace(document.RootElement.GetProperty("ciphertext").GetString()!, Convert.ToBase64String(box), StringComparison.Ordinal);

        var e = Assert.Throws<FormatException>(() => CosignPrivateKey.Decrypt(KeyFile(tampered), "pw"));
        Assert.StartsWith("wrong password", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encrypt_ThenDecrypt_GivesTheSameKey()
    {
        var original = LocalSigner.GenerateEcdsaP256();

        string pem = CosignPrivateKey.Encrypt(original, "correct horse");

        Assert.StartsWith("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n", pem, StringComparison.Ordinal);
        Assert.True(CosignPrivateKey.IsEncryptedCosignKey(pem));
        string json = EnvelopeJson(pem);
        Assert.Contains("\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":32768,\"r\":8,\"p\":1},\"salt\":", json, StringComparison.Ordinal);
        Assert.Contains("\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":", json, StringComparison.Ordinal);
        var decrypted = CosignPrivateKey.Decrypt(pem, "correct horse");
        Assert.Equal(original.KeyFingerprint, decrypted.KeyFingerprint);
        Assert.True(original.PublicKey.Verify(Data, decrypted.Sign(Data), original.VerifyOptions));
        Assert.Throws<FormatException>(() => CosignPrivateKey.Decrypt(pem, "correct horse "));
    }

    [Fact]
    public void Decrypt_LegacyCosignLabelAndEmptyPassword_Works()
    {
        var original = LocalSigner.GenerateEcdsaP256();
        string pem = CosignPrivateKey.Encrypt(original, "", new ScryptParameters(1024, 8, 1))
            .Replace(CosignPrivateKey.SigstoreLabel, CosignPrivateKey.LegacyCosignLabel, StringComparison.Ordinal);

        Assert.Equal(original.KeyFingerprint, CosignPrivateKey.Decrypt(pem, "").KeyFingerprint);
        Assert.Equal(original.KeyFingerprint, CosignPrivateKey.Load(pem, "").KeyFingerprint);
    }

    [Fact]
    public void Load_PlainKeyWithoutPassword_AndEncryptedKeyWithout_SayWhat()
    {
        var plain = LocalSigner.GenerateEcdsaP256();
        Assert.Equal(plain.KeyFingerprint, CosignPrivateKey.Load(plain.ExportPkcs8Pem(), null).KeyFingerprint);
        Assert.Contains("give its password", Assert.Throws<FormatException>(() => CosignPrivateKey.Load(Vector, null)).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1L << 30, 8, 1, "exceed the limits")]
    [InlineData(1L << 22, 8, 1, "MiB")]
    [InlineData(1L << 15, 8, 64, "more work")]
    [InlineData(1000, 8, 1, "power of two")]
    [InlineData(1024, 0, 1, "at least 1")]
    public void Decrypt_HostileScryptParameters_AreRefusedBeforeAnyWork(long n, int r, int p, string reason)
    {
        string json = EnvelopeJson(Vector).Replace("\"N\":32768,\"r\":8,\"p\":1", $"\"N\":{n},\"r\":{r},\"p\":{p}", StringComparison.Ordinal);

        var e = Assert.Throws<FormatException>(() => CosignPrivateKey.Decrypt(KeyFile(json), "hello"));

        Assert.Contains("scrypt parameters are refused", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", "not the JSON cosign writes")]
    [InlineData("{}", "lacks 'kdf'")]
    [InlineData("{\"kdf\":{\"name\":\"pbkdf2\"}}", "'pbkdf2' is not supported")]
    [InlineData("{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":1024,\"r\":8,\"p\":1},\"salt\":\"%%%\"}}", "not base64")]
    [InlineData("{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":1024,\"r\":8,\"p\":1},\"salt\":\"AAAA\"},\"cipher\":{\"name\":\"aes-gcm\",\"nonce\":\"AAAA\"}}", "'aes-gcm' is not supported")]
    [InlineData("{\"kdf\":{\"name\":\"scrypt\",\"params\":{\"N\":1024,\"r\":8,\"p\":1},\"salt\":\"AAAA\"},\"cipher\":{\"name\":\"nacl/secretbox\",\"nonce\":\"AAAA\"}}", "nonce is 3 bytes")]
    public void Decrypt_MalformedEnvelope_SaysWhy(string json, string reason)
    {
        var e = Assert.Throws<FormatException>(() => CosignPrivateKey.Decrypt(KeyFile(json), "hello"));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decrypt_NotACosignKey_SaysWhatWasExpected()
    {
        Assert.Contains("not a cosign encrypted key", Assert.Throws<FormatException>(() => CosignPrivateKey.Decrypt(LocalSigner.GenerateEcdsaP256().ExportPkcs8Pem(), "x")).Message, StringComparison.Ordinal);
        Assert.Contains("not valid base64", Assert.Throws<FormatException>(() => CosignPrivateKey.Decrypt("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n!!!\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----", "x")).Message, StringComparison.Ordinal);
        Assert.Contains("larger than", Assert.Throws<FormatException>(() => CosignPrivateKey.Decrypt(new string('A', 100_000), "x")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encrypt_HostileParameters_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => CosignPrivateKey.Encrypt(LocalSigner.GenerateEcdsaP256(), "x", new ScryptParameters(1L << 30, 8, 1)));
    }
}
