using System.Net;
using System.Net.Sockets;

namespace Bollard.Core.Auth;

/// <summary>
/// The unit that throttles and audit budgets count a client by: the IPv4 address itself, or the /64 network of an
/// IPv6 address (one host usually holds a whole /64, so counting single IPv6 addresses would bound nothing).
/// An IPv4-mapped IPv6 address counts as its IPv4 address. Anything unparsable is used as it is.
/// </summary>
public static class AddressPrefix
{
    public static string Of(string address)
    {
        if (address.Length == 0 || !IPAddress.TryParse(address, out var ip)) return address;
        if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
        if (ip.AddressFamily != AddressFamily.InterNetworkV6) return ip.ToString();
        Span<byte> bytes = stackalloc byte[16];
        ip.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}
