using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace Bollard.Core.Webhooks;

/// <summary>
/// Where webhooks may be sent (server-side request forgery guard). A destination is allowed when its host name is in
/// <see cref="WebhookOptions.AllowedHosts"/> or its address is in <see cref="WebhookOptions.AllowedNetworks"/>; loopback,
/// link-local (169.254.0.0/16, fe80::/10, which holds the cloud metadata address 169.254.169.254), the AWS IPv6
/// metadata address fd00:ec2::254, unspecified and multicast addresses are refused unless an allowed network (or an
/// IP literal in <see cref="WebhookOptions.AllowedHosts"/>) contains them, whatever name points at them. IPv4-mapped
/// (<c>::ffff:a.b.c.d</c>) and NAT64 (<c>64:ff9b::a.b.c.d</c>) forms are judged as the IPv4 address they carry.
/// <see cref="CheckAddress"/> runs on the resolved address at connect time (<see cref="WebhookSender"/>), so a name
/// that resolves elsewhere later (DNS rebinding) is still refused.
/// </summary>
public sealed class WebhookDestinationPolicy
{
    private static readonly IPNetwork[] Guarded =
    [
        IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("fd00:ec2::254/128"),
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("::/128"),
        IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("255.255.255.255/32"), IPNetwork.Parse("ff00::/8"),
    ];

    private static readonly IPNetwork Nat64 = IPNetwork.Parse("64:ff9b::/96");

    private readonly List<IPNetwork> _networks = [];
    private readonly List<string> _names = [];
    private readonly List<string> _suffixes = [];
    private readonly bool _anyName;

    public WebhookDestinationPolicy(WebhookOptions options)
    {
        foreach (string entry in options.AllowedNetworks)
        {
            if (!TryNetwork(entry, out var network)) throw new FormatException($"Webhooks:AllowedNetworks: '{entry}' is not an address or a CIDR range like 10.0.0.0/8");
            _networks.Add(network);
        }
        foreach (string raw in options.AllowedHosts)
        {
            string entry = raw.Trim().TrimEnd('.').ToLowerInvariant();
            if (entry == "*") _anyName = true;
            else if (IPAddress.TryParse(entry.Trim('[', ']'), out var ip)) _networks.Add(new IPNetwork(Normalize(ip), Normalize(ip).AddressFamily == AddressFamily.InterNetwork ? 32 : 128));
            else if (entry.StartsWith("*.", StringComparison.Ordinal) && entry.Length > 2) _suffixes.Add(entry[1..]);
            else if (entry.Length > 0 && Uri.CheckHostName(entry) == UriHostNameType.Dns) _names.Add(entry);
            else throw new FormatException($"Webhooks:AllowedHosts: '{raw}' is not a host name, '*.domain', an IP address or '*'");
        }
    }

    /// <summary>
    /// Checks a webhook URL when it is created or changed: scheme, no credentials, and a destination that is allowed: a
    /// listed name, or an address (literal, or what a name not listed resolves to now) in an allowed network. The check
    /// that counts is at connect time; this one gives the clear error early.
    /// </summary>
    /// <returns>The URL, or null and the problem.</returns>
    public async Task<(Uri? Url, string? Problem)> CheckUrlAsync(string? value, CancellationToken ct)
    {
        if (value is null || value.Length > 2048 || !Uri.TryCreate(value, UriKind.Absolute, out var url)) return (null, "the URL must be an absolute http:// or https:// URL (at most 2048 characters)");
        if (url.Scheme is not ("http" or "https")) return (null, $"the URL scheme must be http or https, not '{url.Scheme}'");
        if (url.UserInfo.Length > 0) return (null, "the URL must not carry credentials (the request is signed instead)");
        if (url.Fragment.Length > 0) return (null, "the URL must not have a fragment");
        string host = url.IdnHost.TrimEnd('.').ToLowerInvariant();
        if (IPAddress.TryParse(host.Trim('[', ']'), out var ip))
            return CheckAddress(host, ip, out var problem) ? (url, null) : (null, problem);
        if (NameAllowed(host)) return (url, null);
        const string NotListed = "is not in Webhooks:AllowedHosts (an admin lists the destinations webhooks may reach)";
        if (_networks.Count == 0) return (null, $"'{host}' {NotListed}");
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host, ct).ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            return (null, $"'{host}' {NotListed}, and it does not resolve to an address in Webhooks:AllowedNetworks ({e.Message})");
        }
        return addresses.Length > 0 && addresses.All(a => CheckAddress(host, a, out _))
            ? (url, null)
            : (null, $"'{host}' {NotListed}, and not all its addresses are in Webhooks:AllowedNetworks");
    }

    /// <summary>May a connection for <paramref name="host"/> go to <paramref name="address"/>?</summary>
    public bool CheckAddress(string host, IPAddress address, [NotNullWhen(false)] out string? problem)
    {
        var ip = Normalize(address);
        bool listed = _networks.Any(n => n.Contains(ip));
        if (Guarded.Any(n => n.Contains(ip)) && !listed)
        {
            problem = $"{ip} (for '{host}') is a loopback, link-local, cloud metadata or non-unicast address; refused unless Webhooks:AllowedNetworks contains it";
            return false;
        }
        if (!listed && !NameAllowed(host.Trim('[', ']').TrimEnd('.').ToLowerInvariant()))
        {
            problem = $"'{host}' ({ip}) is not in Webhooks:AllowedHosts or Webhooks:AllowedNetworks";
            return false;
        }
        problem = null;
        return true;
    }

    private bool NameAllowed(string host) =>
        !IPAddress.TryParse(host, out _) && (_anyName || _names.Contains(host) || _suffixes.Any(s => host.EndsWith(s, StringComparison.Ordinal)));

    /// <summary>The IPv4 address an IPv4-mapped or NAT64 IPv6 address carries; the address itself otherwise.</summary>
    public static IPAddress Normalize(IPAddress ip)
    {
        if (ip.IsIPv4MappedToIPv6) return ip.MapToIPv4();
        if (ip.AddressFamily == AddressFamily.InterNetworkV6 && Nat64.Contains(ip))
        {
            byte[] bytes = ip.GetAddressBytes();
            return new IPAddress(bytes.AsSpan(12, 4));
        }
        return ip;
    }

    private static bool TryNetwork(string entry, out IPNetwork network)
    {
        entry = entry.Trim();
        if (IPNetwork.TryParse(entry, out network)) return true;
        if (IPAddress.TryParse(entry, out var ip))
        {
            ip = Normalize(ip);
            network = new IPNetwork(ip, ip.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return false;
    }
}
