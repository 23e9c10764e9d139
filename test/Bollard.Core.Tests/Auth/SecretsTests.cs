using System.Security.Cryptography;
using System.Text;
using Bollard.Core.Auth;

namespace Bollard.Core.Tests.Auth;

public sealed class SecretsTests
{
    [Theory]
    [InlineData("bpat_")]
    [InlineData("brs_")]
    [InlineData("brt_")]
    [InlineData("")]
    public void New_HasPrefixAnd256BitsUrlSafe(string prefix)
    {
        string secret = Secrets.New(prefix);
        Assert.StartsWith(prefix, secret, StringComparison.Ordinal);
        string body = secret[prefix.Length..];
        Assert.Equal(43, body.Length); // 32 bytes, base64url without padding
        Assert.Matches("^[A-Za-z0-9_-]+$", body);
        Assert.Equal(32, Convert.FromBase64String(body.Replace('-', '+').Replace('_', '/') + "=").Length);
    }

    [Fact]
    public void New_IsUnique()
    {
        var seen = new HashSet<string>();
        for (int i = 0; i < 1000; i++) Assert.True(seen.Add(Secrets.New("bpat_")));
    }

    [Fact]
    public void HashOf_IsLowerHexSha256()
    {
        string hash = Secrets.HashOf("brs_abc");
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("brs_abc"))), hash);
        Assert.Matches("^[0-9a-f]{64}$", hash);
    }

    [Fact]
    public void Matches_OnlyTheSameSecret()
    {
        string secret = Secrets.New("brs_");
        string stored = Secrets.HashOf(secret);
        Assert.True(Secrets.Matches(secret, stored));
        Assert.False(Secrets.Matches(secret + "x", stored));
        Assert.False(Secrets.Matches(secret[..^1], stored));
        Assert.False(Secrets.Matches("", stored));
        Assert.False(Secrets.Matches(Secrets.New("brs_"), stored));
        // The stored hash is compared as is: an upper-case, truncated or empty one does not match.
        Assert.False(Secrets.Matches(secret, stored.ToUpperInvariant()));
        Assert.False(Secrets.Matches(secret, stored[..^1]));
        Assert.False(Secrets.Matches(secret, ""));
        // The secret itself is never "its own hash".
        Assert.False(Secrets.Matches(stored, stored));
    }
}
