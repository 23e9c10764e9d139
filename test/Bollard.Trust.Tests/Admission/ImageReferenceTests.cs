using Bollard.Trust.Admission;

namespace Bollard.Trust.Tests.Admission;

public class ImageReferenceTests
{
    [Theory]
    [InlineData("nginx", "docker.io", "library/nginx", null, false)]
    [InlineData("busybox:1.32", "docker.io", "library/busybox", "1.32", false)]
    [InlineData("securesystemsengineering/alice-image:test", "docker.io", "securesystemsengineering/alice-image", "test", false)]
    [InlineData("quay.io/fluentd_elasticsearch/fluentd:v2.5.2", "quay.io", "fluentd_elasticsearch/fluentd", "v2.5.2", false)]
    [InlineData("localhost/app", "localhost", "app", null, false)]
    [InlineData("127.0.0.1:5000/team/app:1.0", "127.0.0.1:5000", "team/app", "1.0", false)]
    [InlineData("registry.example.com:8443/a/b/c@sha256:91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff", "registry.example.com:8443", "a/b/c", null, true)]
    [InlineData("docker.io/library/redis:latest@sha256:1111111111111111111111111111111111111111111111111111111111111111", "docker.io", "library/redis", "latest", true)]
    [InlineData("[::1]:5000/app:v1", "[::1]:5000", "app", "v1", false)]
    public void TryParse_ValidImage_SplitsHostPathTagDigest(string image, string host, string repository, string? tag, bool hasDigest)
    {
        Assert.True(ImageReference.TryParse(image, out var reference, out string? problem), problem);
        Assert.Equal(host, reference.Host);
        Assert.Equal(repository, reference.Repository.Value);
        Assert.Equal(tag, reference.Tag);
        Assert.Equal(hasDigest, reference.Digest is not null);
    }

    [Fact]
    public void Reference_TagAndDigest_UsesTheDigest()
    {
        Assert.True(ImageReference.TryParse("r.example/app:v1@sha256:91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff", out var r, out _));
        Assert.True(r.Reference.IsDigest);
        Assert.True(ImageReference.TryParse("r.example/app", out var latest, out _));
        Assert.Equal("latest", latest.Reference.Tag);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData(" ", "empty")]
    [InlineData(" nginx", "white space")]
    [InlineData("Nginx", "repository name")]
    [InlineData("nginx:bad tag", "tag")]
    [InlineData("nginx@sha256:abc", "digest")]
    [InlineData("nginx@md5:0123", "digest")]
    [InlineData("reg..example.com/app", "host")]
    [InlineData("reg.example.com:99999/app", "host")]
    [InlineData("a//b", "repository name")]
    [InlineData("docker://ghcr.io/app", "host")]
    public void TryParse_InvalidImage_SaysWhy(string image, string expected)
    {
        Assert.False(ImageReference.TryParse(image, out _, out string? problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_HugeImage_IsRefusedByLength()
    {
        Assert.False(ImageReference.TryParse("r.example/" + new string('a', 5000), out _, out string? problem));
        Assert.Contains("at most", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void RegistryHosts_Port443IsTheSameAsNoPort_OtherPortsMustMatch()
    {
        var hosts = new RegistryHosts(["Registry.Example.com", "10.0.0.5:5000"]);
        Assert.True(hosts.Contains("registry.example.com"));
        Assert.True(hosts.Contains("registry.example.com:443"));
        Assert.False(hosts.Contains("registry.example.com:8443"));
        Assert.True(hosts.Contains("10.0.0.5:5000"));
        Assert.False(hosts.Contains("10.0.0.5"));
        Assert.False(hosts.Contains("docker.io"));
    }
}
