using Bollard.Core.Jobs;

namespace Bollard.Core.Mirror.Sync;

/// <summary>
/// The <c>mirror-sync</c> job: one <see cref="MirrorSyncer"/> run of its <see cref="MirrorSyncRequest"/>, its progress
/// stored as the job's progress message (<see cref="MirrorSyncProgress"/>). Cancelled through the job store (it stops
/// at the next lease renewal, a blob half-read is not stored); retried with backoff when the upstream fails, and
/// resumed: what an earlier attempt stored is not fetched again.
/// </summary>
public sealed class MirrorSyncJob(MirrorSyncer syncer, MirrorRouter router) : IJobHandler
{
    public const string JobKind = "mirror-sync";

    public string Kind => JobKind;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = MirrorSyncRequest.FromPayload(context.Job.Payload);
        // Read again at each attempt: the configuration may have changed since the job was queued.
        if (!MirrorSyncTarget.TryParse(router, request.Reference, out var target, out var problem)) throw new MirrorSyncException(problem);
        var platforms = new List<MirrorPlatform>();
        foreach (string text in request.Platforms)
            platforms.Add(MirrorPlatform.TryParse(text, out var p) ? p : throw new MirrorSyncException($"'{text}' is not a platform (os/arch[/variant])"));
        await syncer.SyncAsync(target!, platforms, async (progress, token) =>
        {
            if (!await context.ReportProgressAsync(progress.Fraction, progress.ToMessage(), token).ConfigureAwait(false))
                throw new OperationCanceledException("the sync's lease was lost");
        }, ct).ConfigureAwait(false);
    }
}
