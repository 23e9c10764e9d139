using System.Net;
using Bollard.Core.Auth;
using Bollard.Server.Hosting;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Auth;

/// <summary>
/// The realm of the Bearer challenge, i.e. where clients send credentials for a token. <c>Auth:Realm</c> when
/// configured. Otherwise never the request's <c>Host</c> header as such (issue 6, B11: a catch-all proxy or a
/// client could make this server tell others to send their passwords to any host). Instead:
/// <list type="bullet">
/// <item>a request that came through a trusted proxy (<c>Server:TrustedProxies</c>) uses the host and scheme
/// that proxy forwarded (it is the public face of the registry);</item>
/// <item>otherwise the connection itself: scheme from TLS on/off, and the address and port the client really
/// connected to; with TLS, the SNI name the client checked our certificate against, if it sent one.</item>
/// </list>
/// </summary>
public sealed class ChallengeRealm(AuthOptions options)
{
    public string For(HttpContext context)
    {
        if (options.Realm is { Length: > 0 } configured) return configured;
        var request = context.Request;
        if (TrustedProxyMarker.CameThroughTrustedProxy(context) && request.Host.HasValue)
            return $"{request.Scheme}://{request.Host}/auth/token";
        var connection = context.Connection;
        bool tls = context.Features.Get<ITlsHandshakeFeature>() is not null;
        string host = tls && context.Features.Get<ITlsHandshakeFeature>()?.HostName is { Length: > 0 } sni
            ? sni
            : connection.LocalIpAddress is { } local ? Literal(local) : "localhost";
        return $"{(tls ? "https" : "http")}://{host}:{connection.LocalPort}/auth/token";
    }

    private static string Literal(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
    }
}
