using Bollard.Core.Mirror;
using Bollard.Core.Mirror.Sync;

namespace Bollard.Core.Tests.Mirror;

public class MirrorSyncTargetTests
{
    private static MirrorRouter Router(Action<UpstreamOptions>? hub = null)
    {
        var dockerHub = new UpstreamOptions { Name = "docker.io", Url = "https://registry-1.docker.io" };
        hub?.Invoke(dockerHub);
        return new MirrorRouter(new MirrorOptions { Upstreams = [dockerHub, new UpstreamOptions { Name = "local", Url = "http://127.0.0.1:5001" }] });
    }

    private static MirrorSyncTarget Parse(string text, MirrorRouter? router = null)
    {
        Assert.True(MirrorSyncTarget.TryParse(router ?? Router(), text, out var target, out var problem), problem);
        return target!;
    }

    [Fact]
    public void TryParse_UpstreamRepositoryTag_MapsIntoTheMirrorNamespace()
    {
        var t = Parse("docker.io/library/debian:bookworm");
        Assert.Equal("mirror/docker.io/library/debian", t.Route.Local.Value);
        Assert.Equal("library/debian", t.Route.UpstreamRepository);
        Assert.Equal("bookworm", t.Reference.Tag);
        Assert.Equal("docker.io/library/debian:bookworm", t.ToString());
    }

    [Fact]
    public void TryParse_DockerHubOfficialImage_GetsLibrary()
    {
        var t = Parse("docker.io/debian");
        Assert.Equal("mirror/docker.io/library/debian", t.Route.Local.Value);
        Assert.Equal("latest", t.Reference.Tag);
    }

    [Fact]
    public void TryParse_OtherUpstreamSingleComponent_IsNotRewritten() =>
        Assert.Equal("mirror/local/alpine", Parse("local/alpine:3.20").Route.Local.Value);

    [Fact]
    public void TryParse_MirrorPrefixWritten_IsTheSameTarget()
    {
        var router = Router();
        Assert.Equal(Parse("docker.io/library/debian:bookworm", router), Parse("mirror/docker.io/library/debian:bookworm", router));
    }

    [Fact]
    public void TryParse_Digest_TheDigestDecides()
    {
        string digest = "sha256:" + new string('a', 64);
        var t = Parse($"local/app:1.0@{digest}");
        Assert.Null(t.Reference.Tag);
        Assert.Equal(digest, t.Reference.Digest.ToString());
        Assert.Equal("mirror/local/app", t.Route.Local.Value);
    }

    [Fact]
    public void TryParse_NoTag_IsLatest()
    {
        var t = Parse("local/team/app");
        Assert.Equal("latest", t.Reference.Tag);
        Assert.Equal("team/app", t.Route.UpstreamRepository);
    }

    [Theory]
    [InlineData("quay.io/coreos/etcd:v3", "no upstream named 'quay.io' (configured: docker.io, local)")]
    [InlineData("debian:bookworm", "does not name an upstream")]
    [InlineData("docker.io/", "does not name an upstream")]
    [InlineData("docker.io/library/debian:-bad", "is not a valid tag")]
    [InlineData("docker.io/library/debian@sha256:1234", "is not a digest")]
    [InlineData("docker.io/Library/Debian:1", "is not a valid repository name")]
    [InlineData("", "give a reference")]
    public void TryParse_Bad_SaysWhy(string text, string expected)
    {
        Assert.False(MirrorSyncTarget.TryParse(Router(), text, out _, out var problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_MirrorOff_SaysSo()
    {
        Assert.False(MirrorSyncTarget.TryParse(new MirrorRouter(new MirrorOptions()), "docker.io/library/debian", out _, out var problem));
        Assert.Contains("the mirror is off", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_DeniedByVetting_RefusedUnlessNotVetted()
    {
        var router = Router(u => u.DenyTags = ["*-rc*"]);
        Assert.False(MirrorSyncTarget.TryParse(router, "docker.io/library/debian:13-rc1", out _, out var problem));
        Assert.Contains("deny list", problem, StringComparison.Ordinal);
        Assert.True(MirrorSyncTarget.TryParse(router, "docker.io/library/debian:13-rc1", out _, out _, vet: false));
    }
}
