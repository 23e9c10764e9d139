namespace Bollard.IntegrationTests.Support;

/// <summary>
/// A server clock the test sets by hand: only the time of day is fake (push and pull times, token lifetimes);
/// timers and delays still run on the real clock, so the server's background loops keep working.
/// </summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _lock = new();
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock) return _now;
    }

    public void Advance(TimeSpan by)
    {
        lock (_lock) _now += by;
    }
}
