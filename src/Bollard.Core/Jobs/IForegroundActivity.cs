namespace Bollard.Core.Jobs;

/// <summary>
/// How busy the host is with client requests, for background work that yields to them (GC pacing, see
/// <see cref="Gc.GcPacer"/>). Thread-safe and cheap to read: two counters.
/// </summary>
public interface IForegroundActivity
{
    /// <summary>Requests started since the host started.</summary>
    long Started { get; }

    /// <summary>Requests being handled now.</summary>
    int InFlight { get; }
}
