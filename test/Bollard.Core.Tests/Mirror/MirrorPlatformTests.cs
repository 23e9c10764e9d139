using System.Text;
using Bollard.Core.Mirror.Sync;

namespace Bollard.Core.Tests.Mirror;

public class MirrorPlatformTests
{
    private static MirrorPlatform P(string text) => MirrorPlatform.TryParse(text, out var p) ? p : throw new InvalidOperationException(text);

    [Theory]
    [InlineData("linux/amd64", "linux", "amd64", null)]
    [InlineData("Linux/ARM64/v8", "linux", "arm64", "v8")]
    public void TryParse_Good(string text, string os, string arch, string? variant) =>
        Assert.Equal(new MirrorPlatform(os, arch, variant), P(text));

    [Theory]
    [InlineData("linux")]
    [InlineData("linux/")]
    [InlineData("linux/amd64/v1/x")]
    [InlineData("linux/amd 64")]
    [InlineData("")]
    public void TryParse_Bad(string text) => Assert.False(MirrorPlatform.TryParse(text, out _));

    [Fact]
    public void Matches_NoVariant_MatchesEveryVariant()
    {
        Assert.True(P("linux/arm").Matches(new MirrorPlatform("linux", "arm", "v7")));
        Assert.True(P("linux/arm").Matches(new MirrorPlatform("linux", "arm", "v6")));
        Assert.False(P("linux/arm").Matches(new MirrorPlatform("linux", "arm64", null)));
        Assert.False(P("linux/amd64").Matches(new MirrorPlatform("windows", "amd64", null)));
    }

    [Fact]
    public void Matches_Variant_Arm64WithoutVariantIsV8()
    {
        Assert.True(P("linux/arm64/v8").Matches(new MirrorPlatform("linux", "arm64", null)));
        Assert.False(P("linux/arm/v7").Matches(new MirrorPlatform("linux", "arm", "v6")));
    }

    [Fact]
    public void ChildrenOf_ReadsPlatformsInOrder_AndToleratesChildrenWithout()
    {
        string a = "sha256:" + new string('a', 64), b = "sha256:" + new string('b', 64), c = "sha256:" + new string('c', 64);
        string index = $$$"""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
              {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{a}}}","size":1,"platform":{"os":"linux","architecture":"amd64"}},
              {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{b}}}","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}},
              {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{{{c}}}","size":1},
              {"digest":"not-a-digest"}]}
            """;
        var children = MirrorPlatform.ChildrenOf(Encoding.UTF8.GetBytes(index));
        Assert.Equal([a, b, c], children.Select(x => x.Digest.ToString()));
        Assert.Equal("linux/amd64", children[0].Platform!.ToString());
        Assert.Equal("linux/arm64/v8", children[1].Platform!.ToString());
        Assert.Null(children[2].Platform);
    }
}
