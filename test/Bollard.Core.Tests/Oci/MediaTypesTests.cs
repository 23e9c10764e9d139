using Bollard.Core.Oci;

namespace Bollard.Core.Tests.Oci;

public sealed class MediaTypesTests
{
    [Theory]
    [InlineData(MediaTypes.OciManifest, true)]
    [InlineData(MediaTypes.OciIndex, true)]
    [InlineData(MediaTypes.DockerManifest, true)]
    [InlineData(MediaTypes.DockerManifestList, true)]
    [InlineData(MediaTypes.DockerSchema1Signed, false)]
    [InlineData("application/vnd.oci.image.config.v1+json", false)]
    public void IsManifest(string type, bool expected) => Assert.Equal(expected, MediaTypes.IsManifest(type));

    [Theory]
    [InlineData("application/vnd.example.sbom.v1+json", true)]
    [InlineData("text/plain", true)]
    [InlineData("application", false)]
    [InlineData("a/b/c", false)]
    [InlineData("/b", false)]
    [InlineData("a/", false)]
    [InlineData("a b/c", false)]
    [InlineData("", false)]
    public void IsWellFormed(string type, bool expected) => Assert.Equal(expected, MediaTypes.IsWellFormed(type));

    [Fact]
    public void WithoutParameters_StripsCharset() =>
        Assert.Equal(MediaTypes.OciManifest, MediaTypes.WithoutParameters(MediaTypes.OciManifest + "; charset=utf-8"));

    [Fact]
    public void IsNonDistributable_ForeignLayers() =>
        Assert.True(MediaTypes.IsNonDistributable(MediaTypes.DockerForeignLayer));
}
