using Bollard.Core.Registry;

namespace Bollard.Core.Mirror;

/// <summary>
/// Bounds the upstream fetches (misses, revalidations) one principal may cause (<see cref="MirrorOptions.FetchesPerMinutePerPrincipal"/>),
/// so one client cannot burn the upstream's rate limit for everyone. Hits are never limited. Fetches Bollard makes
/// for itself (sync job, scanner, signatures of a fetched image) pass <see cref="RegistryActor.Unknown"/> and are not limited.
/// </summary>
public interface IMirrorFetchLimiter
{
    /// <returns>null when <paramref name="actor"/> may fetch now, else how long until it may (the reader then answers 429 <c>TOOMANYREQUESTS</c>).</returns>
    TimeSpan? TryAcquire(RegistryActor actor);
}

/// <summary>No limit (the mirror without <see cref="MirrorOptions.FetchesPerMinutePerPrincipal"/>, and unit tests).</summary>
public sealed class UnlimitedMirrorFetches : IMirrorFetchLimiter
{
    public TimeSpan? TryAcquire(RegistryActor actor) => null;
}
