using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Tests.Versions;

public sealed class NuGetVersionSchemeTests
{
    private static readonly NuGetVersionScheme Scheme = NuGetVersionScheme.Instance;

    [Theory]
    [InlineData("nuget-versions.txt")]
    public void Compare_vector_file_every_line_agrees(string file) =>
        VersionVectors.AssertAll(Scheme, VersionVectors.Read("osv-scalibr", "testdata", file));

    [Theory]
    [InlineData("12.0.1", "12.0.1.0", 0)]
    [InlineData("13.0.1", "12.0.3", 1)]
    [InlineData("6.0.0-Preview.1", "6.0.0-preview.1", 0)]
    [InlineData("6.0.0-preview.2", "6.0.0-preview.10", -1)]
    [InlineData("6.0.0-rc.1", "6.0.0", -1)]
    [InlineData("1.0.0+sha.abc", "1.0.0+sha.def", 0)]
    public void Compare_normalized_case_insensitive_metadata_ignored(string left, string right, int expected) =>
        Assert.Equal(expected, Math.Sign(Scheme.Compare(left, right)));

    [Theory]
    [InlineData("")]
    [InlineData("v1.0")]
    [InlineData("1.0.0.0.0")]
    [InlineData("1..0")]
    [InlineData("1.0-")]
    [InlineData("1.0-beta..1")]
    [InlineData("1.0-beta_1")]
    public void Compare_invalid_version_throws_FormatException(string version)
    {
        Assert.False(Scheme.IsValid(version));
        Assert.Throws<FormatException>(() => Scheme.Compare(version, "1.0"));
    }
}
