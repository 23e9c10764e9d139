using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Tests.Versions;

public sealed class GemVersionSchemeTests
{
    private static readonly GemVersionScheme Scheme = GemVersionScheme.Instance;

    [Theory]
    [InlineData("rubygems-versions.txt")]
    [InlineData("rubygems-versions-generated.txt")]
    public void Compare_vector_file_every_line_agrees(string file) =>
        VersionVectors.AssertAll(Scheme, VersionVectors.Read("osv-scalibr", "testdata", file));

    [Theory]
    [InlineData("1.0.0", "1", 0)]
    [InlineData("7.0.4.3", "7.0.4", 1)]
    [InlineData("7.1.0.rc1", "7.1.0", -1)]
    [InlineData("7.1.0.rc1", "7.1.0.beta2", 1)]
    [InlineData("1.0.0-rc1", "1.0.0.pre.rc1", 0)]
    [InlineData("1.13.10", "1.13.9", 1)]
    public void Compare_segments_and_prereleases(string left, string right, int expected) =>
        Assert.Equal(expected, Math.Sign(Scheme.Compare(left, right)));

    [Theory]
    [InlineData("a1.0")]
    [InlineData("1.0_1")]
    public void Compare_invalid_version_throws_FormatException(string version)
    {
        Assert.False(Scheme.IsValid(version));
        Assert.Throws<FormatException>(() => Scheme.Compare(version, "1.0"));
    }
}
