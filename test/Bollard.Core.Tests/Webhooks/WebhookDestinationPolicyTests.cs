using System.Net;
using Bollard.Core.Webhooks;

namespace Bollard.Core.Tests.Webhooks;

public sealed class WebhookDestinationPolicyTests
{
    private static WebhookDestinationPolicy Policy(string[]? hosts = null, string[]? networks = null) =>
        new(new WebhookOptions { AllowedHosts = hosts ?? [], AllowedNetworks = networks ?? [] });

    [Theory]
    [InlineData("169.254.169.254")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("64:ff9b::a9fe:a9fe")]
    [InlineData("fd00:ec2::254")]
    [InlineData("fe80::1")]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    public void CheckAddress_GuardedAddress_RefusedEvenForAnAllowedName(string address)
    {
        var policy = Policy(hosts: ["*", "hooks.example.com"]);
        Assert.False(policy.CheckAddress("hooks.example.com", IPAddress.Parse(address), out var problem));
        Assert.Contains("refused unless Webhooks:AllowedNetworks contains it", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckAddress_GuardedAddressInAnAllowedNetwork_Allowed()
    {
        var policy = Policy(networks: ["127.0.0.1/32", "169.254.169.254"]);
        Assert.True(policy.CheckAddress("127.0.0.1", IPAddress.Loopback, out _));
        Assert.True(policy.CheckAddress("x", IPAddress.Parse("::ffff:127.0.0.1"), out _));
        Assert.True(policy.CheckAddress("x", IPAddress.Parse("169.254.169.254"), out _));
        Assert.False(policy.CheckAddress("x", IPAddress.Parse("127.0.0.2"), out _));
        Assert.False(policy.CheckAddress("x", IPAddress.Parse("169.254.169.253"), out _));
    }

    [Fact]
    public void CheckAddress_PublicAddress_NeedsAListedNameOrNetwork()
    {
        var address = IPAddress.Parse("203.0.113.7");
        Assert.False(Policy().CheckAddress("hooks.example.com", address, out _));
        Assert.True(Policy(hosts: ["hooks.example.com"]).CheckAddress("hooks.example.com", address, out _));
        Assert.True(Policy(hosts: ["HOOKS.example.com."]).CheckAddress("hooks.example.com", address, out _));
        Assert.True(Policy(hosts: ["*.example.com"]).CheckAddress("a.b.example.com", address, out _));
        Assert.False(Policy(hosts: ["*.example.com"]).CheckAddress("example.com", address, out _));
        Assert.False(Policy(hosts: ["*.example.com"]).CheckAddress("badexample.com", address, out _));
        Assert.True(Policy(networks: ["203.0.113.0/24"]).CheckAddress("anything", address, out _));
        Assert.True(Policy(hosts: ["*"]).CheckAddress("anything", address, out _));
        // An address literal as the host is judged by address, never by the name list.
        Assert.False(Policy(hosts: ["*"]).CheckAddress("203.0.113.7", address, out _));
    }

    [Theory]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[::ffff:169.254.169.254]/")]
    [InlineData("http://[fd00:ec2::254]/")]
    [InlineData("ftp://hooks.example.com/")]
    [InlineData("http://u:p@hooks.example.com/")]
    [InlineData("http://other.example.org/")]
    [InlineData("relative/path")]
    public async Task CheckUrl_Refused(string url)
    {
        var (allowed, problem) = await Policy(hosts: ["hooks.example.com"]).CheckUrlAsync(url, CancellationToken.None);
        Assert.Null(allowed);
        Assert.NotNull(problem);
    }

    [Fact]
    public async Task CheckUrl_ListedName_Allowed()
    {
        var (allowed, problem) = await Policy(hosts: ["hooks.example.com"]).CheckUrlAsync("https://hooks.example.com/x?y=1", CancellationToken.None);
        Assert.Null(problem);
        Assert.Equal("hooks.example.com", allowed!.Host);
    }

    [Theory]
    [InlineData("not a host!")]
    [InlineData("")]
    public void Constructor_BadHostEntry_Throws(string entry) =>
        Assert.Throws<FormatException>(() => Policy(hosts: [entry]));

    [Fact]
    public void Constructor_BadNetworkEntry_Throws() =>
        Assert.Throws<FormatException>(() => Policy(networks: ["10.0.0.0/33"]));
}
