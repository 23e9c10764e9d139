using System.Text;
using Bollard.Core.Oci;

namespace Bollard.Core.Mirror;

/// <summary>How upstream failures read: the short reason kept with a stale tag and the error a client gets for content not cached.</summary>
public static class MirrorFailures
{
    private const int MaxReasonLength = 300;

    // A client's error may be longer than the reason kept per tag: the upstream's answer and the hint on what to do
    // (log in, which setting) come last and must not be cut off.
    private const int MaxClientErrorLength = 1000;

    /// <summary>The reason kept in <see cref="MirrorTagState.LastError"/> and sent in the <c>Bollard-Mirror</c> header: one line, bounded.</summary>
    public static string Reason(UpstreamException e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return OneLine($"{Kind(e.Failure)}: {e.Message}");
    }

    /// <summary>The short name of a failure kind (<c>upstream unreachable</c>, <c>rate-limited (429)</c>).</summary>
    public static string Kind(UpstreamFailure failure) => failure switch
    {
        UpstreamFailure.Unreachable => "upstream unreachable",
        UpstreamFailure.Timeout => "upstream timed out",
        UpstreamFailure.RateLimited => "rate-limited (429)",
        UpstreamFailure.Unauthorized => "upstream refused the credentials",
        UpstreamFailure.ServerError => "upstream error",
        UpstreamFailure.Invalid => "invalid content from upstream",
        UpstreamFailure.Forbidden => "upstream request refused by Bollard",
        _ => "upstream failed",
    };

    /// <summary>
    /// The error for a client asking for <paramref name="what"/> (<c>mirror/docker.io/library/alpine:3.20</c>), which is
    /// not cached, when the upstream failed: it names the upstream, the failure and that nothing is cached.
    /// </summary>
    public static OciException NotCached(MirrorRoute route, string what, UpstreamException e)
    {
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(e);
        var error = e.Failure switch
        {
            UpstreamFailure.Unreachable => OciErrors.UpstreamUnreachable,
            UpstreamFailure.Timeout => OciErrors.UpstreamTimeout,
            UpstreamFailure.RateLimited => OciErrors.TooManyRequests,
            _ => OciErrors.UpstreamFailed,
        };
        string retry = e.RetryAfter is { } wait ? $"; retry in {Math.Ceiling(wait.TotalSeconds)} s" : "";
        return new OciException(error, OneLine(
            $"{what} is not cached and upstream {route.Upstream.Name} ({route.Upstream.Url}) failed: {Kind(e.Failure)}: {e.Message}{retry}", MaxClientErrorLength))
        {
            RetryAfter = e.Failure == UpstreamFailure.RateLimited ? e.RetryAfter : null,
        };
    }

    /// <summary>A principal over <see cref="MirrorOptions.FetchesPerMinutePerPrincipal"/>: 429, before anything is asked upstream.</summary>
    public static OciException RateLimited(string what, TimeSpan wait) =>
        new(OciErrors.TooManyRequests,
            $"{what} is not cached, and fetching it would exceed the upstream fetches this account (or address) may cause per minute (Mirror:FetchesPerMinutePerPrincipal); retry in {Math.Max(1, Math.Ceiling(wait.TotalSeconds))} s")
        {
            RetryAfter = wait,
        };

    private static string OneLine(string text, int max = MaxReasonLength)
    {
        var b = new StringBuilder(Math.Min(text.Length, max));
        foreach (char c in text)
        {
            if (b.Length == max) break;
            b.Append(char.IsControl(c) || c > '~' ? ' ' : c);
        }
        return b.ToString();
    }
}
