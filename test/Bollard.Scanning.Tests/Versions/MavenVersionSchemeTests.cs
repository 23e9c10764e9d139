using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Tests.Versions;

public sealed class MavenVersionSchemeTests
{
    private static readonly MavenVersionScheme Scheme = MavenVersionScheme.Instance;

    [Theory]
    [InlineData("maven-versions.txt")]
    [InlineData("maven-versions-generated.txt")]
    public void Compare_vector_file_every_line_agrees(string file) =>
        VersionVectors.AssertAll(Scheme, VersionVectors.Read("osv-scalibr", "testdata", file));

    [Theory]
    [InlineData("2.14.1", "2.17.0", -1)]
    [InlineData("2.0-beta9", "2.0-rc1", -1)]
    [InlineData("2.0-rc1", "2.0", -1)]
    [InlineData("2.0", "2.0-sp1", -1)]
    [InlineData("1.0-SNAPSHOT", "1.0", -1)]
    [InlineData("1.0.Final", "1.0", 0)]
    [InlineData("5.3.18.RELEASE", "5.3.18", 0)]
    [InlineData("1.0.CR2", "1.0.rc2", 0)]
    [InlineData("1.0-m1", "1.0-milestone-1", 0)]
    [InlineData("1.0.1", "1.0-1", 1)]
    public void Compare_qualifiers_separators_and_padding(string left, string right, int expected) =>
        Assert.Equal(expected, Math.Sign(Scheme.Compare(left, right)));
}
