using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Tests.Versions;

public sealed class Pep440VersionSchemeTests
{
    private static readonly Pep440VersionScheme Scheme = Pep440VersionScheme.Instance;

    [Theory]
    [InlineData("pypi-versions.txt")]
    [InlineData("pypi-versions-generated.txt")]
    public void Compare_vector_file_every_line_agrees(string file) =>
        VersionVectors.AssertAll(Scheme, VersionVectors.Read("osv-scalibr", "testdata", file));

    [Theory]
    [InlineData("1.0", "1.0.0", 0)]
    [InlineData("1.0.0a1", "1.0.0-ALPHA.1", 0)]
    [InlineData("1.0rc1", "1.0c1", 0)]
    [InlineData("1.0.dev1", "1.0a1", -1)]
    [InlineData("1.0a1.dev1", "1.0a1", -1)]
    [InlineData("1.0", "1.0.post1", -1)]
    [InlineData("1.0.post1.dev1", "1.0.post1", -1)]
    [InlineData("1.0-1", "1.0.post1", 0)]
    [InlineData("1!0.1", "2.0", 1)]
    [InlineData("1.0+local.7", "1.0+local.abc", 1)]
    [InlineData("v2.31.0", "2.31.0", 0)]
    [InlineData("0.9-doduo", "0.1", -1)]    // legacy (not PEP 440): below every PEP 440 version
    public void Compare_pep440_normalization_and_order(string left, string right, int expected) =>
        Assert.Equal(expected, Math.Sign(Scheme.Compare(left, right)));

    [Fact]
    public void Compare_empty_version_throws_FormatException()
    {
        Assert.False(Scheme.IsValid(" "));
        Assert.Throws<FormatException>(() => Scheme.Compare("", "1.0"));
    }
}
