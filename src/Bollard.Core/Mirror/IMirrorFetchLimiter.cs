using Bollard.Core.Registry;

namespace Bollard.Core.Mirror;

/// <summary>
/// Bounds the upstream fetches (misses, revalidations) one principal may cause (<see cref="MirrorOptions.FetchesPerMinutePerPrincipal"/>),
/// so one client cannot burn the upstream's rate limit for everyone. Hits are never limited. Fetches Bollard makes
/// for itself (sync job, scanner, signatures of a fetched image) pass <see cref="RegistryActor.Unknown"/> and are not limited.
/// </summary>
public interface IMirrorFetchLimiter
{
    /// <returns>null when <paramref name="actor"/> may fetch now, else how long until it may. The limit is on upstream
    /// requests, never on serving what is cached: over it, a miss (nothing cached) is 429 <c>TOOMANYREQUESTS</c> with
    /// <c>Retry-After</c>, while a cached tag past its TTL is served stale (the revalidation postponed, said in the
    /// <c>Bollard-Mirror</c> and <c>Warning</c> headers) without asking the upstream.</returns>
    TimeSpan? TryAcquire(RegistryActor actor);
}

/// <summary>No limit (the mirror without <see cref="MirrorOptions.FetchesPerMinutePerPrincipal"/>, and unit tests).</summary>
public sealed class UnlimitedMirrorFetches : IMirrorFetchLimiter
{
    public TimeSpan? TryAcquire(RegistryActor actor) => null;
}
