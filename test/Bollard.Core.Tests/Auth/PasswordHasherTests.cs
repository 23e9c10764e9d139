using System.Security.Cryptography;
using System.Text;
using Bollard.Core.Auth;

namespace Bollard.Core.Tests.Auth;

public sealed class PasswordHasherTests
{
    [Fact]
    public void Hash_DefaultFormat()
    {
        string hash = PasswordHasher.Hash("correct horse battery staple");
        var parts = hash.Split('$');
        Assert.Equal(4, parts.Length);
        Assert.Equal("pbkdf2-sha256", parts[0]);
        Assert.Equal("600000", parts[1]);
        Assert.Equal(600_000, PasswordHasher.DefaultIterations);
        Assert.Equal(16, Convert.FromBase64String(parts[2]).Length);
        Assert.Equal(32, Convert.FromBase64String(parts[3]).Length);
        Assert.StartsWith("pbkdf2-sha256$600000$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify("correct horse battery staple", hash));
    }

    [Fact]
    public void Hash_IsTheDocumentedPbkdf2()
    {
        // Recompute independently: PBKDF2-HMAC-SHA256 over UTF-8, with the stored salt and iteration count.
        string hash = PasswordHasher.Hash("pässwörd-123", 1000);
        var parts = hash.Split('$');
        byte[] expected = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes("pässwörd-123"), Convert.FromBase64String(parts[2]), 1000, HashAlgorithmName.SHA256, 32);
        Assert.Equal(Convert.ToBase64String(expected), parts[3]);
    }

    [Fact]
    public void RoundTrip_WithLowIterations()
    {
        string hash = PasswordHasher.Hash("a long passphrase", 1000);
        Assert.StartsWith("pbkdf2-sha256$1000$", hash, StringComparison.Ordinal);
        Assert.True(PasswordHasher.Verify("a long passphrase", hash));
    }

    [Theory]
    [InlineData("a long passphrase!")]
    [InlineData("a long passphras")]
    [InlineData("A long passphrase")]
    [InlineData("")]
    public void Verify_WrongPassword(string attempt) =>
        Assert.False(PasswordHasher.Verify(attempt, PasswordHasher.Hash("a long passphrase", 1000)));

    [Fact]
    public void Hash_SaltsEveryHash()
    {
        string a = PasswordHasher.Hash("same password here", 1000);
        string b = PasswordHasher.Hash("same password here", 1000);
        Assert.NotEqual(a, b);
        Assert.True(PasswordHasher.Verify("same password here", a));
        Assert.True(PasswordHasher.Verify("same password here", b));
    }

    [Fact]
    public void Verify_UsesTheStoredIterationCount()
    {
        // A hash made with another count (an older setting) still verifies.
        string hash = PasswordHasher.Hash("rotated settings", 2000);
        Assert.True(PasswordHasher.Verify("rotated settings", hash));
        // Changing the stored count changes the derived key.
        Assert.False(PasswordHasher.Verify("rotated settings", hash.Replace("$2000$", "$2001$", StringComparison.Ordinal)));
    }

    public static TheoryData<string> MalformedHashes()
    {
        string good = PasswordHasher.Hash("password", 1000);
        var p = good.Split('$');
        return new TheoryData<string>
        {
            "",
            "$",
            "$$$",
            "password",
            string.Join('$', p[0], p[1], p[2]),
            string.Join('$', p[0], p[1], p[2], p[3], "extra"),
            string.Join('$', "pbkdf2-sha1", p[1], p[2], p[3]),
            string.Join('$', "PBKDF2-SHA256", p[1], p[2], p[3]),
            string.Join('$', "bcrypt", p[1], p[2], p[3]),
            string.Join('$', p[0], "0", p[2], p[3]),
            string.Join('$', p[0], "-1000", p[2], p[3]),
            string.Join('$', p[0], "+1000", p[2], p[3]),
            string.Join('$', p[0], " 1000", p[2], p[3]),
            string.Join('$', p[0], "1e3", p[2], p[3]),
            string.Join('$', p[0], "", p[2], p[3]),
            string.Join('$', p[0], "99999999999", p[2], p[3]),
            string.Join('$', p[0], p[1], "not base64!", p[3]),
            string.Join('$', p[0], p[1], p[2], "not base64!"),
            string.Join('$', p[0], p[1], p[2], ""), // would match any password if taken at face value
            string.Join('$', p[0], p[1], p[2], p[3][..^4]), // truncated: a PBKDF2 prefix, but not the 32-byte format
            "$2b$12$abcdefghijklmnopqrstuu5Z3Fv2m1Jf0k9B5qY1Yw8Vq3h5m1c1e",
        };
    }

    [Theory]
    [MemberData(nameof(MalformedHashes))]
    public void Verify_MalformedStoredHash_IsFalse_NeverThrows(string stored) =>
        Assert.False(PasswordHasher.Verify("password", stored));
}
