using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Tests.Versions;

public sealed class MavenVersionSchemeTests
{
    private static readonly MavenVersionScheme Scheme = MavenVersionScheme.Instance;

    [Theory]
    [InlineData("maven-versions.txt")]
    [InlineData("maven-versions-generated.txt")]
    public void Compare_vector_file_every_line_agrees(string file) =>
        // Maven's order is not transitive (see below), so the sorted-order consistency check does not apply.
        VersionVectors.AssertAll(Scheme, VersionVectors.Read("osv-scalibr", "testdata", file), totalOrder: false);

    /// <summary>
    /// Maven's own order has cycles: each of these three relations is in the vector files or follows from their rules
    /// (<c>2.9.0-1 &lt; 2.9.0.RC1</c> generated line 5776, <c>1.0 &lt; 1.0-1</c>, RC before the release), so no
    /// consistent sort of Maven versions exists. Range evaluation never needs one: it compares the installed version
    /// with each bound.
    /// </summary>
    [Fact]
    public void Compare_follows_Maven_even_where_its_order_has_a_cycle()
    {
        Assert.True(Scheme.Compare("2.9.0-1", "2.9.0.RC1") < 0);
        Assert.True(Scheme.Compare("2.9.0.RC1", "2.9.0") < 0);
        Assert.True(Scheme.Compare("2.9.0", "2.9.0-1") < 0);
    }

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
