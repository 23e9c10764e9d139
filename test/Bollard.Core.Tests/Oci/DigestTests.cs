using System.Text;
using Bollard.Core.Oci;

namespace Bollard.Core.Tests.Oci;

public sealed class DigestTests
{
    private const string EmptySha256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    [Fact]
    public void Parse_ValidSha256_RoundTrips()
    {
        var d = Digest.Parse(EmptySha256);
        Assert.Equal(DigestAlgorithm.Sha256, d.Algorithm);
        Assert.Equal(EmptySha256, d.ToString());
    }

    [Fact]
    public void Parse_ValidSha512_RoundTrips()
    {
        string hex = new('a', 128);
        Assert.Equal("sha512:" + hex, Digest.Parse("sha512:" + hex).ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("sha256")]
    [InlineData("sha256:")]
    [InlineData(":abc")]
    [InlineData("sha256:totallywrong")]
    [InlineData("sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855")] // upper case
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85")] // 63 chars
    [InlineData("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555")] // 65 chars
    [InlineData("sha256:../../../../etc/passwd")]
    [InlineData("sha256:..%2f..%2fetc%2fpasswd")]
    [InlineData("sha256:/etc/passwd")]
    [InlineData("md5:d41d8cd98f00b204e9800998ecf8427e")]
    [InlineData("blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")]
    [InlineData("SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("sha256+:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    public void Parse_Invalid_ThrowsDigestInvalid(string value)
    {
        var e = Assert.Throws<OciException>(() => Digest.Parse(value));
        Assert.Equal("DIGEST_INVALID", e.Error.Code);
        Assert.Equal(400, e.Error.HttpStatus);
    }

    [Fact]
    public void Parse_UnsupportedAlgorithm_SaysWhichAreSupported()
    {
        Assert.False(Digest.TryParse("blake3:" + new string('a', 64), out _, out var problem));
        Assert.Contains("unsupported digest algorithm 'blake3'", problem);
        Assert.Contains("sha256", problem);
    }

    [Fact]
    public void Compute_MatchesKnownVectors()
    {
        Assert.Equal(EmptySha256, Digest.Sha256Of([]).ToString());
        Assert.Equal("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Digest.Sha256Of("abc"u8).ToString());
        Assert.Equal(
            "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
            Digest.Compute(DigestAlgorithm.Sha512, Encoding.ASCII.GetBytes("abc")).ToString());
    }

    [Fact]
    public void Equality_IsByValue()
    {
        Assert.Equal(Digest.Parse(EmptySha256), Digest.Sha256Of([]));
        Assert.NotEqual(Digest.Parse(EmptySha256), Digest.Sha256Of("x"u8));
    }
}
