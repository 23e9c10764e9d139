using Bollard.Core.Jobs;

namespace Bollard.Core.Mirror.Sync;

/// <summary>
/// The scheduled sync list of one upstream (<see cref="UpstreamOptions.Sync"/> every <see cref="UpstreamOptions.SyncInterval"/>):
/// the recurring job <c>mirror-sync-list:&lt;upstream&gt;</c> queues one <c>mirror-sync</c> job per entry (each with its
/// own progress and retries; one still queued or running from the last round is not doubled), for
/// <see cref="UpstreamOptions.SyncPlatforms"/>. Entries are checked at startup (<see cref="MirrorOpsValidation"/>).
/// </summary>
public sealed class MirrorSyncListJob(string upstream, MirrorSyncService syncs) : IJobHandler
{
    public const string KindPrefix = "mirror-sync-list:";

    /// <summary>Who scheduled syncs are requested by.</summary>
    public const string ScheduledBy = "schedule";

    public string Kind => KindPrefix + upstream;

    public static string KindOf(UpstreamOptions upstream)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        return KindPrefix + upstream.Name;
    }

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = syncs.Router.Options.Find(upstream);
        if (options is null) return; // removed from the configuration since the job was queued
        int queued = 0, running = 0;
        foreach (string entry in options.Sync)
        {
            var (_, created) = await syncs.EnqueueAsync(new MirrorSyncRequest($"{options.Name}/{entry}", options.SyncPlatforms, ScheduledBy), ct).ConfigureAwait(false);
            if (created) queued++;
            else running++;
        }
        await context.ReportProgressAsync(1, $"{queued} syncs queued, {running} still queued or running from before", ct).ConfigureAwait(false);
    }
}
