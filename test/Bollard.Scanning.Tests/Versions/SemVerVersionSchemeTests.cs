using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Tests.Versions;

public sealed class SemVerVersionSchemeTests
{
    [Fact]
    public void Compare_npm_vectors_every_line_agrees() =>
        VersionVectors.AssertAll(SemVerVersionScheme.Npm, VersionVectors.Read("osv-scalibr", "testdata", "semver-versions.txt"));

    [Fact]
    public void Compare_cargo_vectors_every_line_agrees() =>
        VersionVectors.AssertAll(SemVerVersionScheme.Cargo, VersionVectors.Read("osv-scalibr", "testdata", "semver-versions.txt"));

    [Fact]
    public void Compare_go_vectors_every_line_agrees() =>
        VersionVectors.AssertAll(GoVersionScheme.Instance, VersionVectors.Read("osv-scalibr", "testdata", "semver-versions.txt"));
}
