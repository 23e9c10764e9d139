using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Tests.Versions;

public sealed class RpmVersionSchemeTests
{
    private static readonly RpmVersionScheme Scheme = RpmVersionScheme.Instance;

    [Theory]
    [InlineData("redhat-versions.txt")]
    public void Compare_vector_file_every_line_agrees(string file) =>
        VersionVectors.AssertAll(Scheme, VersionVectors.Read("osv-scalibr", "testdata", file));

    [Theory]
    [InlineData("1:1.0-1.el9", "2.0-1.el9", 1)]
    [InlineData("3.0.7-24.el9", "3.0.7-27.el9", -1)]
    [InlineData("1.0~rc1-1", "1.0-1", -1)]
    [InlineData("1.0^20230101-1", "1.0-1", 1)]
    [InlineData("1.0^20230101-1", "1.0.1-1", -1)]
    [InlineData("2.4.21-9.EL", "2.4.21-9.0.1.EL", -1)]
    public void Compare_epoch_version_release(string left, string right, int expected) =>
        Assert.Equal(expected, Math.Sign(Scheme.Compare(left, right)));

    [Theory]
    [InlineData("")]
    [InlineData("1.0 -1")]
    public void Compare_invalid_version_throws_FormatException(string version)
    {
        Assert.False(Scheme.IsValid(version));
        Assert.Throws<FormatException>(() => Scheme.Compare(version, "1.0"));
    }
}
