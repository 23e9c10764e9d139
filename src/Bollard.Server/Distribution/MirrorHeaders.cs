using System.Globalization;
using Bollard.Core.Storage;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Distribution;

/// <summary>
/// How a mirrored manifest says how fresh it is: <c>Bollard-Mirror: upstream=docker.io; checked=2026-12-02T07:00:00Z;
/// state=fresh|stale[; reason="..."]</c>, and, when stale, the HTTP caching <c>Warning: 110 - "Response is Stale"</c>
/// (RFC 7234 5.5.1) that proxies and people recognise.
/// </summary>
internal static class MirrorHeaders
{
    public const string Name = "Bollard-Mirror";

    public static void Write(HttpResponse response, CacheFreshness freshness)
    {
        string value = string.Create(CultureInfo.InvariantCulture,
            $"upstream={freshness.Upstream}; checked={freshness.CheckedAt.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}; state={(freshness.Stale ? "stale" : "fresh")}");
        if (freshness.Stale && freshness.Reason is { Length: > 0 } reason) value += $"; reason=\"{reason.Replace('"', '\'')}\"";
        response.Headers[Name] = value;
        if (freshness.Stale) response.Headers.Warning = "110 - \"Response is Stale\"";
    }
}
