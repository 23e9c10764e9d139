using System.Text.Json;
using System.Text.Json.Serialization;
using Bollard.Core.Gc;

namespace Bollard.Server.Management;

/// <summary>A GC run in <c>/api/v1/gc</c>.</summary>
public sealed record GcRunView(
    long Id,
    string State,
    bool DryRun,
    string RequestedBy,
    string Phase,
    int Attempts,
    string? LastError,
    bool CancelRequested,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    GcProgressView Progress,
    GcTotalsView Totals,
    IReadOnlyList<GcItemView>? Items = null,
    bool? Created = null)
{
    public static GcRunView From(GcStatus s, bool withItems = false, bool? created = null) => new(
        s.Job.Id, s.Job.State.ToString(), s.DryRun, s.Run?.RequestedBy ?? GcJobHandler.ParsePayload(s.Job.Payload).RequestedBy,
        s.Run?.Phase ?? "queued", s.Job.Attempts, s.Job.LastError, s.Job.CancelRequested, s.Job.CreatedAt, s.Run?.StartedAt, s.Run?.FinishedAt,
        new GcProgressView(s.Job.Progress, s.Job.ProgressMessage, s.Run?.ManifestsExamined ?? 0, s.Run?.ManifestsTotal ?? 0,
            s.Run?.BlobsExamined ?? 0, s.Run?.BlobsTotal ?? 0, s.Run?.Done ?? 0, s.Run?.Planned ?? 0, Math.Round(s.Rate, 1),
            s.Eta is { } eta ? Math.Ceiling(eta.TotalSeconds) : null),
        new GcTotalsView(s.Totals.Manifests, s.Totals.Links, s.Totals.Blobs, s.Totals.BytesFreed, s.Totals.Skipped),
        withItems ? s.Items.Select(i => new GcItemView(i.Kind.ToString().ToLowerInvariant(), i.Repository.Length == 0 ? null : i.Repository, i.Digest.ToString(), i.Size, i.Detail)).ToList() : null,
        created);
}

/// <param name="Fraction">0 to 1.</param>
/// <param name="Rate">Manifests and blobs examined plus removals done, per second.</param>
/// <param name="EtaSeconds">Estimated seconds left; null when unknown or done.</param>
public sealed record GcProgressView(
    double Fraction, string? Message, long ManifestsExamined, long ManifestsTotal, long BlobsExamined, long BlobsTotal,
    long Removed, long Planned, double Rate, double? EtaSeconds);

/// <param name="BytesFreed">Bytes of blobs deleted (dry run: that would be deleted).</param>
public sealed record GcTotalsView(long Manifests, long Links, long Blobs, long BytesFreed, long Skipped);

/// <param name="Kind"><c>manifest</c>, <c>link</c>, <c>blob</c>, <c>skipped</c>.</param>
public sealed record GcItemView(string Kind, string? Repository, string Digest, long Size, string? Detail);

/// <param name="Current">The run queued or running now, if any.</param>
/// <param name="Runs">The newest runs, newest first (the current one included).</param>
public sealed record GcRunList(GcRunView? Current, IReadOnlyList<GcRunView> Runs);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GcRunView))]
[JsonSerializable(typeof(GcRunList))]
public sealed partial class GcJson : JsonSerializerContext;
