using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bollard.Server.Hosting;

/// <summary>
/// Remembers, before the forwarded-headers middleware rewrites the connection's address, whether the peer
/// is one of the configured trusted proxies. Only then may forwarded host and scheme be believed (see
/// <see cref="Auth.ChallengeRealm"/>): the <c>X-Original-*</c> headers that middleware leaves can be sent by anyone.
/// </summary>
public static class TrustedProxyMarker
{
    private static readonly object Key = new();

    public static bool CameThroughTrustedProxy(HttpContext context) => context.Items.ContainsKey(Key);

    /// <summary>The forwarded-headers middleware, preceded by the marker (call first in the pipeline when proxies are trusted).</summary>
    public static WebApplication UseBollardForwardedHeaders(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
        app.Use((context, next) =>
        {
            if (context.Connection.RemoteIpAddress is { } peer && IsTrusted(options, peer)) context.Items[Key] = true;
            return next(context);
        });
        app.UseForwardedHeaders();
        return app;
    }

    private static bool IsTrusted(ForwardedHeadersOptions options, IPAddress peer)
    {
        if (peer.IsIPv4MappedToIPv6) peer = peer.MapToIPv4();
        if (options.KnownProxies.Contains(peer)) return true;
        foreach (var network in options.KnownIPNetworks)
            if (network.Contains(peer)) return true;
        return false;
    }
}
