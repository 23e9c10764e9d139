using System.Text.Json;
using System.Text.Json.Serialization;
using Bollard.Core.Jobs;
using Bollard.Core.Scanning.Pipeline;

namespace Bollard.Scanning.Pipeline;

/// <summary>
/// Enqueues <c>scan</c> jobs: unique per image digest (<c>scan:sha256:...</c>), so a push repeated while its scan is
/// queued or running is not scanned twice, and the scan state shows <see cref="ScanState.Queued"/> with the job.
/// </summary>
public sealed class ScanJobs(IJobStore jobs, IScanStore scans, ScanOptions options, TimeProvider time)
{
    public const string ScanKind = "scan";
    public const string RematchKind = "rematch";

    /// <summary>Queues a scan of <paramref name="digest"/> read from <paramref name="repository"/>; <paramref name="force"/> re-analyzes an image already done.</summary>
    /// <returns>The job id (new, or the one already queued or running for the digest).</returns>
    public async Task<long> EnqueueScanAsync(string repository, string digest, bool force, CancellationToken ct)
    {
        string payload = JsonSerializer.Serialize(new ScanPayload(repository, digest, force), PipelineJson.Default.ScanPayload);
        var now = time.GetUtcNow();
        var result = await jobs.EnqueueUniqueAsync(ScanKind, "scan:" + digest, payload, now, options.MaxAttempts, ct).ConfigureAwait(false);
        if (result.Created) await scans.MarkQueuedAsync(digest, result.Id, now, ct).ConfigureAwait(false);
        return result.Id;
    }

    /// <summary>Queues a re-match of the stored inventories holding one of <paramref name="keys"/> (all inventories when null).</summary>
    public async Task<long> EnqueueRematchAsync(IReadOnlyList<RematchKey>? keys, string? reason, CancellationToken ct)
    {
        string payload = JsonSerializer.Serialize(new RematchPayload(keys, reason), PipelineJson.Default.RematchPayload);
        return await jobs.EnqueueAsync(RematchKind, payload, time.GetUtcNow(), options.MaxAttempts, ct).ConfigureAwait(false);
    }

    internal static ScanPayload ReadScan(string payload) =>
        JsonSerializer.Deserialize(payload, PipelineJson.Default.ScanPayload) ?? throw new JsonException("empty scan payload");

    internal static RematchPayload ReadRematch(string payload) =>
        JsonSerializer.Deserialize(payload, PipelineJson.Default.RematchPayload) ?? throw new JsonException("empty rematch payload");
}

/// <summary>A package key whose advisories changed: package-URL type and name as advisories key it.</summary>
public sealed record RematchKey(string Type, string Name);

internal sealed record ScanPayload(string Repository, string Digest, bool Force);

internal sealed record RematchPayload(IReadOnlyList<RematchKey>? Keys, string? Reason);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ScanPayload))]
[JsonSerializable(typeof(RematchPayload))]
internal sealed partial class PipelineJson : JsonSerializerContext;
