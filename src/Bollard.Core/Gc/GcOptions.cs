using System.ComponentModel.DataAnnotations;

namespace Bollard.Core.Gc;

/// <summary>Online garbage collection. Bound from the <c>Gc</c> configuration section.</summary>
public sealed record GcOptions
{
    public const string Section = "Gc";

    /// <summary>
    /// How long a blob link must have been unreferenced (since it was made, or since the last manifest using it was
    /// deleted), and a blob must have existed, before GC removes it: a blob pushed a moment before its manifest is
    /// never collected. <c>0</c> collects at once (tests).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Time between scheduled runs; <c>0</c> turns the schedule off (on-demand runs still work).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00")]
    public TimeSpan Interval { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Manifests, links or blobs changed per metadata transaction, so pushes and pulls go on between batches.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; init; } = 200;

    /// <summary>
    /// While client requests keep arriving, the share of wall time GC works; between batches it pauses for the rest
    /// (<see cref="GcPacer"/>). When no request arrives GC runs at full speed. <c>1</c> turns pacing off.
    /// </summary>
    [Range(0.01, 1.0)]
    public double BusyWorkShare { get; init; } = 0.25;

    /// <summary>
    /// How much lower than the server's the CPU priority of the thread a run works on is (a nice increment, 0 to 19;
    /// Linux), so the kernel serves request threads first when both want a core; <c>0</c> keeps the server's.
    /// </summary>
    [Range(0, 19)]
    public int ThreadNice { get; init; } = 10;
}
