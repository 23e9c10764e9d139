using Bollard.Core.Gc;
using Bollard.Core.Jobs;

namespace Bollard.Core.Tests.Gc;

/// <summary>GC yields to client requests in proportion to its own work, and only when requests keep arriving.</summary>
public sealed class GcPacerTests
{
    private sealed class Activity : IForegroundActivity
    {
        public long Started { get; set; }
        public int InFlight { get; set; }
    }

    /// <summary>A monotonic clock moved by hand (GcPacer times batches with timestamps).</summary>
    private sealed class Clock : TimeProvider
    {
        private long _ticks = 1_000_000;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => _ticks;
        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }

    [Fact]
    public void Idle_means_no_pause()
    {
        var (activity, clock) = (new Activity(), new Clock());
        var pacer = new GcPacer(activity, 0.25, clock);
        clock.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Equal(TimeSpan.Zero, pacer.Due());
    }

    [Fact]
    public void Under_load_GC_works_its_share_of_the_time()
    {
        var (activity, clock) = (new Activity(), new Clock());
        var pacer = new GcPacer(activity, 0.25, clock);
        clock.Advance(TimeSpan.FromMilliseconds(40));
        activity.Started += 400; // 10,000 requests/s during the batch
        Assert.Equal(TimeSpan.FromMilliseconds(120), pacer.Due()); // 40 ms of work, 120 ms pause: 25%
    }

    [Fact]
    public void A_progress_poll_is_not_load()
    {
        var (activity, clock) = (new Activity(), new Clock());
        var pacer = new GcPacer(activity, 0.25, clock);
        clock.Advance(TimeSpan.FromMilliseconds(200));
        activity.Started += 1;
        Assert.Equal(TimeSpan.Zero, pacer.Due());
        clock.Advance(TimeSpan.FromMilliseconds(200));
        activity.Started += 3; // 15 requests/s: below BusyRequestsPerSecond
        Assert.Equal(TimeSpan.Zero, pacer.Due());
    }

    [Fact]
    public void Pauses_are_bounded_and_pacing_can_be_off()
    {
        var (activity, clock) = (new Activity(), new Clock());
        var pacer = new GcPacer(activity, 0.1, clock);
        clock.Advance(TimeSpan.FromSeconds(2));
        activity.Started += 10_000;
        Assert.Equal(GcPacer.MaxPause, pacer.Due());

        var off = new GcPacer(activity, 1, clock);
        clock.Advance(TimeSpan.FromMilliseconds(40));
        activity.Started += 400;
        Assert.Equal(TimeSpan.Zero, off.Due());
    }

    [Fact]
    public async Task Requests_during_a_pause_do_not_count_for_the_next_batch()
    {
        var (activity, clock) = (new Activity(), new Clock());
        var pacer = new GcPacer(activity, 1, clock); // no real waiting in this test
        clock.Advance(TimeSpan.FromMilliseconds(40));
        await pacer.BetweenBatchesAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromMilliseconds(40));
        Assert.Equal(TimeSpan.Zero, pacer.Due());
    }
}
