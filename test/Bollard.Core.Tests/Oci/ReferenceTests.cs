using Bollard.Core.Oci;

namespace Bollard.Core.Tests.Oci;

public sealed class ReferenceTests
{
    [Theory]
    [InlineData("latest")]
    [InlineData("v1.2.3")]
    [InlineData("_x")]
    [InlineData("A-b_c.d")]
    [InlineData("sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")] // referrers tag schema
    public void Parse_Tag_IsTag(string value)
    {
        var r = Reference.Parse(value);
        Assert.Equal(value, r.Tag);
        Assert.False(r.IsDigest);
    }

    [Fact]
    public void Parse_Digest_IsDigest()
    {
        var r = Reference.Parse("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        Assert.True(r.IsDigest);
        Assert.Null(r.Tag);
    }

    [Theory]
    [InlineData(".hidden")]
    [InlineData("-dash")]
    [InlineData("a/b")]
    [InlineData("a b")]
    [InlineData("..")]
    public void Parse_InvalidTag_Throws(string value) => Assert.Throws<OciException>(() => Reference.Parse(value));

    [Fact]
    public void Parse_TagOf128_Accepted_129_Rejected()
    {
        Assert.True(Tag.IsValid(new string('a', 128)));
        Assert.False(Tag.IsValid(new string('a', 129)));
    }

    [Fact]
    public void Parse_BadDigest_ThrowsDigestInvalid()
    {
        var e = Assert.Throws<OciException>(() => Reference.Parse("sha256:totallywrong"));
        Assert.Equal("DIGEST_INVALID", e.Error.Code);
    }
}
