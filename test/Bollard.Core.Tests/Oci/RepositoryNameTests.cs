using Bollard.Core.Oci;

namespace Bollard.Core.Tests.Oci;

public sealed class RepositoryNameTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("library/ubuntu")]
    [InlineData("team-a/app.v2/sub_dir")]
    [InlineData("a__b/c---d/e.f")]
    [InlineData("0/1/2/3/4/5")]
    public void TryParse_Valid_Accepts(string value) => Assert.True(RepositoryName.TryParse(value, out _));

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/../b")]
    [InlineData("a/./b")]
    [InlineData("%2e%2e")]
    [InlineData("a/%2e%2e/b")]
    [InlineData("/etc/passwd")]
    [InlineData("a/")]
    [InlineData("a//b")]
    [InlineData("Upper/case")]
    [InlineData("a_")]
    [InlineData("-a")]
    [InlineData("a___b")]
    [InlineData("a..b")]
    [InlineData("a b")]
    [InlineData("a\\b")]
    [InlineData("a:b")]
    public void TryParse_Invalid_Rejects(string value) => Assert.False(RepositoryName.TryParse(value, out _));

    [Fact]
    public void TryParse_LongerThan255_Rejects()
    {
        Assert.True(RepositoryName.TryParse(new string('a', 255), out _));
        Assert.False(RepositoryName.TryParse(new string('a', 256), out _));
    }

    [Fact]
    public void Parse_Invalid_ThrowsNameInvalid()
    {
        var e = Assert.Throws<OciException>(() => RepositoryName.Parse("../x"));
        Assert.Equal("NAME_INVALID", e.Error.Code);
    }
}
