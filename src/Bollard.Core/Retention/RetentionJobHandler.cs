using Bollard.Core.Jobs;

namespace Bollard.Core.Retention;

/// <summary>The <c>retention</c> job kind: one real run (scheduled every <see cref="RetentionOptions.Interval"/>), acting as <c>retention</c>.</summary>
public sealed class RetentionJobHandler(RetentionService retention) : IJobHandler
{
    public const string JobKind = "retention";

    public string Kind => JobKind;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var report = await retention.RunAsync(RetentionService.ScheduledActor, dryRun: false,
            async (examined, token) => await context.ReportProgressAsync(0, $"{examined} repositories examined", token).ConfigureAwait(false), ct).ConfigureAwait(false);
        await context.ReportProgressAsync(1, $"{report.Removed.Count} tags removed, {report.Skipped.Count} protected tags skipped, {report.Repositories} repositories examined", ct).ConfigureAwait(false);
    }
}
