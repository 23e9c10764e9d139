using System.Text.Json;
using Bollard.Core.Jobs;

namespace Bollard.Core.Gc;

/// <summary>The <c>gc</c> job: one <see cref="GarbageCollector"/> run, resumed by the job lease after a crash.</summary>
public sealed class GcJobHandler(GarbageCollector collector) : IJobHandler
{
    public const string JobKind = "gc";

    public string Kind => JobKind;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var (dryRun, requestedBy) = ParsePayload(context.Job.Payload);
        await collector.RunAsync(context.Job.Id, dryRun, requestedBy,
            async (fraction, message, token) => await context.ReportProgressAsync(fraction, message, token).ConfigureAwait(false), ct).ConfigureAwait(false);
    }

    /// <summary>The payload of a run: <c>{"dryRun":false,"requestedBy":"alice"}</c>.</summary>
    public static string Payload(bool dryRun, string requestedBy) =>
        $$"""{"dryRun":{{(dryRun ? "true" : "false")}},"requestedBy":"{{JsonEncodedText.Encode(requestedBy)}}"}""";

    public static (bool DryRun, string RequestedBy) ParsePayload(string payload)
    {
        using var doc = JsonDocument.Parse(payload);
        var root = doc.RootElement;
        bool dryRun = root.TryGetProperty("dryRun", out var d) && d.ValueKind == JsonValueKind.True;
        string by = root.TryGetProperty("requestedBy", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString()! : "schedule";
        return (dryRun, by);
    }
}
