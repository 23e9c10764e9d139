using System.Net;
using Bollard.Core.Mirror.Upstream;

namespace Bollard.Core.Tests.Mirror;

public sealed class UpstreamAddressGuardTests
{
    [Theory]
    [InlineData("169.254.169.254", "the cloud metadata address")]
    [InlineData("169.254.0.1", "a link-local address")]
    [InlineData("100.100.100.200", "the cloud metadata address")]
    [InlineData("fd00:ec2::254", "the cloud metadata address")]
    [InlineData("fe80::1", "a link-local address")]
    [InlineData("febf::1", "a link-local address")]
    [InlineData("0.0.0.0", "an unspecified address")]
    [InlineData("::", "an unspecified address")]
    [InlineData("224.0.0.251", "a multicast address")]
    [InlineData("ff02::1", "a multicast address")]
    [InlineData("255.255.255.255", "the broadcast address")]
    [InlineData("::ffff:169.254.169.254", "the cloud metadata address")]
    [InlineData("64:ff9b::a9fe:a9fe", "the cloud metadata address")]
    public void Refusal_RefusedAddress_SaysWhy(string address, string why) =>
        Assert.Equal(why, UpstreamAddressGuard.Refusal(IPAddress.Parse(address)));

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("10.1.2.3")]
    [InlineData("192.168.0.10")]
    [InlineData("100.100.100.201")]
    [InlineData("169.253.255.255")]
    [InlineData("104.18.121.25")]
    [InlineData("2606:4700::6810:7919")]
    [InlineData("fec0::1")]
    public void Refusal_OrdinaryAddress_Null(string address) =>
        Assert.Null(UpstreamAddressGuard.Refusal(IPAddress.Parse(address)));
}
