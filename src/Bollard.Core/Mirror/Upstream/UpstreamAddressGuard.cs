using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using Bollard.Core.Net;

namespace Bollard.Core.Mirror.Upstream;

/// <summary>
/// The addresses the mirror never connects to, whatever a configuration, token realm, redirect or DNS answer names:
/// link-local (169.254.0.0/16, fe80::/10, where clouds serve instance credentials), the cloud metadata services
/// (169.254.169.254, AWS's fd00:ec2::254, Alibaba's 100.100.100.200), unspecified, multicast and broadcast. Loopback
/// and private networks stay allowed (tests, a registry on the same host or LAN). Checked at connect time on the
/// resolved address (<see cref="ConnectAsync"/>), so a host name that resolves to a refused address is refused too.
/// </summary>
public static class UpstreamAddressGuard
{
    private static readonly IPAddress AlibabaMetadata = IPAddress.Parse("100.100.100.200");
    private static readonly IPAddress AwsMetadataV6 = IPAddress.Parse("fd00:ec2::254");

    /// <returns>Why <paramref name="address"/> is never contacted, or null when it may be.</returns>
    public static string? Refusal(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        else if (EmbeddedNat64(address) is { } embedded) address = embedded;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            Span<byte> b = stackalloc byte[4];
            address.TryWriteBytes(b, out _);
            if (b[0] == 169 && b[1] == 254 && b[2] == 169 && b[3] == 254) return "the cloud metadata address";
            if (b[0] == 169 && b[1] == 254) return "a link-local address";
            if (address.Equals(AlibabaMetadata)) return "the cloud metadata address";
            if (b[0] == 0) return "an unspecified address";
            if (b[0] >= 224 && b[0] <= 239) return "a multicast address";
            if (address.Equals(IPAddress.Broadcast)) return "the broadcast address";
            return null;
        }
        if (address.Equals(AwsMetadataV6)) return "the cloud metadata address";
        if (address.Equals(IPAddress.IPv6Any)) return "an unspecified address";
        if (address.IsIPv6LinkLocal) return "a link-local address";
        if (address.IsIPv6Multicast) return "a multicast address";
        return null;
    }

    /// <summary>
    /// A <see cref="SocketsHttpHandler.ConnectCallback"/>: resolves the host, drops the refused addresses and connects
    /// to the first remaining one that answers. No allowed address: <see cref="UpstreamAddressRefusedException"/>
    /// before any packet is sent (the handler wraps it in an <see cref="HttpRequestException"/>).
    /// </summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        string host = context.DnsEndPoint.Host.Trim('[', ']');
        var allowed = new List<IPAddress>();
        string? refusal = null;
        foreach (var address in await CheckedConnect.ResolveAsync(host, ct).ConfigureAwait(false))
        {
            if (Refusal(address) is { } why) refusal ??= $"{address} is {why}";
            else allowed.Add(address);
        }
        if (allowed.Count == 0)
            throw new UpstreamAddressRefusedException(refusal is null
                ? $"{host} resolves to no address"
                : $"{host}: {refusal}; Bollard never contacts link-local, cloud metadata, unspecified, multicast or broadcast addresses");
        return await CheckedConnect.ConnectFirstAsync(allowed, context.DnsEndPoint.Port, ct).ConfigureAwait(false);
    }

    /// <summary>The IPv4 address inside a NAT64 address (64:ff9b::/96, RFC 6052), which reaches it on a NAT64 network.</summary>
    private static IPAddress? EmbeddedNat64(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return null;
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        if (b[0] != 0x00 || b[1] != 0x64 || b[2] != 0xff || b[3] != 0x9b) return null;
        for (int i = 4; i < 12; i++) if (b[i] != 0) return null;
        return new IPAddress(b[12..]);
    }
}
