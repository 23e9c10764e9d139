using Bollard.Core.Jobs;

namespace Bollard.Core.Mirror.Eviction;

/// <summary>
/// The <c>mirror-evict</c> job: one <see cref="MirrorEvictor"/> run, recurring every <see cref="Interval"/> while an
/// upstream sets <see cref="UpstreamOptions.EvictAfter"/>, and on demand through the API. The evictor is resolved at the
/// first run, not when the runner builds its handlers: it needs the mirror's tag-state store, which a host without
/// upstreams need not provide.
/// </summary>
public sealed class MirrorEvictionJob(Lazy<MirrorEvictor> evictor) : IJobHandler
{
    public const string JobKind = "mirror-evict";

    /// <summary>How often eviction runs: an image goes at most this long after its <see cref="UpstreamOptions.EvictAfter"/>.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    public string Kind => JobKind;

    /// <summary>The schedule's interval: <see cref="Interval"/> when an upstream evicts, else off.</summary>
    public static TimeSpan ScheduleFor(MirrorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Upstreams.Any(u => u.EvictAfter is not null) ? Interval : TimeSpan.Zero;
    }

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var report = await evictor.Value.RunAsync(
            async (examined, token) => await context.ReportProgressAsync(0.5, $"{examined} mirrored repositories examined", token).ConfigureAwait(false), ct).ConfigureAwait(false);
        await context.ReportProgressAsync(1, report.ToString(), ct).ConfigureAwait(false);
    }
}
