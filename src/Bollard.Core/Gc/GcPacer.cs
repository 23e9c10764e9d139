using Bollard.Core.Jobs;

namespace Bollard.Core.Gc;

/// <summary>
/// Paces one GC run against client requests. After each batch: when requests arrived while it ran (at least <see cref="BusyRequestsPerSecond"/>), GC pauses so that
/// it works at most <see cref="GcOptions.BusyWorkShare"/> of the wall time; when none arrived it goes straight on, so
/// an idle registry is collected at full speed. Decided on the requests themselves rather than on a schedule: pulls
/// that arrive during a batch share two cores with it (bench/README.md, GC section), those during a pause do not.
/// </summary>
public sealed class GcPacer
{
    /// <summary>The longest single pause, so a run notices cancellation and reports progress often enough.</summary>
    public static readonly TimeSpan MaxPause = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Fewer requests per second than this during a batch is not load worth yielding to: a progress bar polling the
    /// run, a health check, a light trickle of pulls that the second core serves anyway.
    /// </summary>
    public const double BusyRequestsPerSecond = 20;

    private readonly IForegroundActivity _activity;
    private readonly double _share;
    private readonly TimeProvider _time;
    private long _seen;
    private long _workStart;

    public GcPacer(IForegroundActivity activity, double share, TimeProvider time)
    {
        _activity = activity;
        _share = share;
        _time = time;
        _seen = activity.Started;
        _workStart = time.GetTimestamp();
    }

    /// <summary>All pauses so far.</summary>
    public TimeSpan Paused { get; private set; }

    /// <summary>The pause due now for the work since the last pause: zero when no request arrived meanwhile or pacing is off.</summary>
    public TimeSpan Due()
    {
        long started = _activity.Started;
        long arrived = started - _seen;
        _seen = started;
        var worked = _time.GetElapsedTime(_workStart);
        bool busy = arrived >= 2 && arrived >= BusyRequestsPerSecond * worked.TotalSeconds;
        if (!busy || _share >= 1) return TimeSpan.Zero;
        var pause = worked * ((1 - _share) / _share);
        return pause > MaxPause ? MaxPause : pause;
    }

    /// <summary>Called between batches: pauses for <see cref="Due"/>, then starts timing the next batch.</summary>
    public async ValueTask BetweenBatchesAsync(CancellationToken ct)
    {
        var pause = Due();
        if (pause > TimeSpan.Zero)
        {
            await Task.Delay(pause, _time, ct).ConfigureAwait(false);
            Paused += pause;
            _seen = _activity.Started; // what arrived during the pause did not compete with GC
        }
        _workStart = _time.GetTimestamp();
    }
}
