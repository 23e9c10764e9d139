using System.Text.Json;

namespace Bollard.Core.Mirror.Sync;

/// <summary>The payload of a <c>mirror-sync</c> job: <c>{"reference":"docker.io/library/debian:bookworm","platforms":["linux/amd64"],"requestedBy":"alice"}</c>.</summary>
/// <param name="Reference">As <see cref="MirrorSyncTarget.TryParse"/> reads it.</param>
/// <param name="Platforms">The platforms of an index to fetch; empty: every platform.</param>
/// <param name="RequestedBy">Who asked (<c>schedule</c> for the upstream's sync list).</param>
public sealed record MirrorSyncRequest(string Reference, IReadOnlyList<string> Platforms, string RequestedBy)
{
    public string ToPayload() => JsonSerializer.Serialize(this, MirrorOpsJson.Default.MirrorSyncRequest);

    public static MirrorSyncRequest FromPayload(string payload) =>
        JsonSerializer.Deserialize(payload, MirrorOpsJson.Default.MirrorSyncRequest) ?? throw new JsonException("a mirror-sync payload is null");

    /// <summary>The unique key of its job: one sync of the same reference and platforms queued or running at a time.</summary>
    public string UniqueKey => $"{MirrorSyncJob.JobKind}:{Reference}|{string.Join(",", Platforms.Order(StringComparer.Ordinal))}";
}
