using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Tests.Versions;

public sealed class ApkVersionSchemeTests
{
    private static readonly ApkVersionScheme Scheme = ApkVersionScheme.Instance;

    [Fact]
    public void Compare_generated_vectors_every_line_agrees() =>
        VersionVectors.AssertAll(Scheme, VersionVectors.Read("osv-scalibr", "testdata", "alpine-versions-generated.txt"));

    /// <summary>
    /// Every hand-written line agrees except five whose two sides apk-tools rejects as invalid (text after
    /// <c>-r</c> that is no number: <c>1-ruff2</c>, <c>1-r0-1</c>, <c>1--ruff1</c>). Their expected "=" is
    /// osv-scalibr's own reading (the file's comments say apk versions differ on them); here two invalid versions
    /// order by their text, a total order, and these five lines are pinned so any other disagreement fails.
    /// </summary>
    [Fact]
    public void Compare_handwritten_vectors_every_line_agrees_but_the_invalid_revision_lines()
    {
        var vectors = VersionVectors.Read("osv-scalibr", "testdata", "alpine-versions.txt");
        string[] invalidBothSides = ["1-r0-1 = 1-r-2", "1-r0-1 = 1-r0-2", "1-ruff2 = 1-ruff1", "1-ruff2 = 1--ruff1", "1-r0-ruff2 = 1-r0-ruff1"];
        var pinned = vectors.Where(v => invalidBothSides.Contains($"{v.Left} {v.Op} {v.Right}")).ToList();
        Assert.Equal(invalidBothSides.Length, pinned.Count);
        Assert.All(pinned, v => Assert.False(ApkVersionScheme.IsWellFormed(v.Left) || ApkVersionScheme.IsWellFormed(v.Right), v.ToString()));
        VersionVectors.AssertAll(Scheme, vectors.Except(pinned).ToList());
    }

    [Theory]
    [InlineData("1.2.3-r0", "1.2.3-r1", -1)]
    [InlineData("1.2_rc1", "1.2", -1)]
    [InlineData("1.2_p1", "1.2", 1)]
    [InlineData("6.6.2_p1-r0", "6.6.2p1-r0", -1)]
    [InlineData("3.0.8-r0", "3.0.10-r0", -1)]
    [InlineData("1.0.01", "1.0.1", -1)]
    public void Compare_suffixes_revisions_and_letters(string left, string right, int expected) =>
        Assert.Equal(expected, Math.Sign(Scheme.Compare(left, right)));

    [Theory]
    [InlineData("1.0", true)]
    [InlineData("1.0_rc1-r2", true)]
    [InlineData("1.0_pre2~1234abcd-r1", true)]
    [InlineData("6.6.2p1-r0", true)]
    [InlineData("1.2_blah", false)]
    [InlineData("1.2.0A", false)]
    [InlineData("a", false)]
    [InlineData("", false)]
    public void IsWellFormed_follows_apk_validate(string version, bool valid) => Assert.Equal(valid, ApkVersionScheme.IsWellFormed(version));

    [Fact]
    public void Compare_malformed_versions_orders_them_and_empty_throws()
    {
        Assert.True(Scheme.IsValid("1.2_blah"));
        Assert.True(Scheme.Compare("1.2_blah", "1.2") < 0);
        Assert.False(Scheme.IsValid(""));
        Assert.Throws<FormatException>(() => Scheme.Compare("", "1.0"));
        Assert.Throws<FormatException>(() => Scheme.Compare("1.0 r1", "1.0"));
    }
}
