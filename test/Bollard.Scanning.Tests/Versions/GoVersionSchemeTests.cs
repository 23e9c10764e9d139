using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Tests.Versions;

public sealed class GoVersionSchemeTests
{
    private static readonly GoVersionScheme Scheme = GoVersionScheme.Instance;

    [Theory]
    [InlineData("v2.0.0+incompatible", "v2.0.0", 0)]
    [InlineData("2.0.0+incompatible", "v2.0.0", 0)]
    [InlineData("v2.0.0+incompatible", "v2.0.1+incompatible", -1)]
    [InlineData("v11.4.0-rc1+incompatible", "v11.4.0+incompatible", -1)]
    // Pseudo-versions: pre-releases ordered by their UTC timestamp, below the release they precede.
    [InlineData("v0.0.0-20210101000000-abcdef123456", "v0.0.0-20210102000000-000000000000", -1)]
    [InlineData("v0.0.0-20210101000000-abcdef123456", "v0.0.1", -1)]
    [InlineData("v1.2.4-0.20210101000000-abcdef123456", "v1.2.3", 1)]
    [InlineData("v1.2.4-0.20210101000000-abcdef123456", "v1.2.4", -1)]
    [InlineData("v1.2.4-0.20210101000000-abcdef123456", "v1.2.4-0.20211231235959-abcdef123456", -1)]
    [InlineData("v1.2.4-pre.0.20210101000000-abcdef123456", "v1.2.4-pre", 1)]
    [InlineData("v1.2.4-pre.0.20210101000000-abcdef123456", "v1.2.4-pre.1", -1)]
    // Toolchain versions of the standard library.
    [InlineData("go1.21.3", "1.21.3", 0)]
    [InlineData("go1.27rc2", "1.27.0-rc.2", 0)]
    [InlineData("go1.27rc2", "1.27.0-rc.3", -1)]
    [InlineData("go1.27rc2", "1.27.0-0", 1)]
    [InlineData("go1.20", "1.20.0", 0)]
    public void Compare_incompatible_pseudo_and_toolchain_versions(string left, string right, int expected) =>
        Assert.Equal(expected, Math.Sign(Scheme.Compare(left, right)));

    [Theory]
    [InlineData("v1.2.3", true)]
    [InlineData("v0.0.0-20210101000000-abcdef123456", true)]
    [InlineData("(devel)", false)]
    [InlineData("", false)]
    [InlineData("v1.2.3-", false)]
    [InlineData("v1.2.3+", false)]
    public void IsValid_accepts_module_versions_only(string version, bool valid) => Assert.Equal(valid, Scheme.IsValid(version));

    [Fact]
    public void Compare_devel_main_module_throws_FormatException() =>
        Assert.Throws<FormatException>(() => Scheme.Compare("(devel)", "v1.0.0"));
}
