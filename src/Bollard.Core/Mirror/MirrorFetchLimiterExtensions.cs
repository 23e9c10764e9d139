using Bollard.Core.Oci;
using Bollard.Core.Registry;

namespace Bollard.Core.Mirror;

public static class MirrorFetchLimiterExtensions
{
    /// <summary>Takes one upstream fetch of <paramref name="actor"/>'s allowance; call it just before fetching (never for a hit).</summary>
    /// <exception cref="OciException">429 <c>TOOMANYREQUESTS</c> with <see cref="OciException.RetryAfter"/> (the client gets <c>Retry-After</c>).</exception>
    public static void EnsureAllowed(this IMirrorFetchLimiter limiter, RegistryActor actor)
    {
        ArgumentNullException.ThrowIfNull(limiter);
        if (limiter.TryAcquire(actor) is { } wait)
            throw new OciException(OciErrors.TooManyRequests,
                "this account (or address) has caused too many upstream fetches in the last minute (Mirror:FetchesPerMinutePerPrincipal); cached content is still served")
            { RetryAfter = wait };
    }
}
