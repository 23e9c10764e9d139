using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Tests.Versions;

public sealed class DpkgVersionSchemeTests
{
    private static readonly DpkgVersionScheme Scheme = DpkgVersionScheme.Instance;

    [Theory]
    [InlineData("osv-scalibr", "testdata", "debian-versions.txt")]
    [InlineData("osv-scalibr", "testdata", "debian-versions-generated.txt")]
    [InlineData("debian-dpkg-compare-versions.txt")]
    public void Compare_vector_file_every_line_agrees(params string[] file) =>
        VersionVectors.AssertAll(Scheme, VersionVectors.Read(file));

    [Theory]
    [InlineData("1.0~rc1", "1.0", -1)]
    [InlineData("1:1.0", "2.0", 1)]
    [InlineData("1.0-1", "1.0-1+deb12u1", -1)]
    [InlineData("1.0", "1.0-0", 0)]
    [InlineData("2.36-9+deb12u4", "2.36-9+deb12u10", -1)]
    [InlineData("1.0~~", "1.0~", -1)]
    public void Compare_epochs_tilde_and_revisions(string left, string right, int expected) =>
        Assert.Equal(expected, Math.Sign(Scheme.Compare(left, right)));

    [Theory]
    [InlineData("")]
    [InlineData("a:1.0")]
    [InlineData(":1.0")]
    [InlineData("1.0-")]
    [InlineData("1:")]
    [InlineData("1.0 beta")]
    public void Compare_invalid_version_throws_FormatException(string version)
    {
        Assert.False(Scheme.IsValid(version));
        Assert.Throws<FormatException>(() => Scheme.Compare(version, "1.0"));
    }
}
