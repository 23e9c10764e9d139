using System.Text.Json;

namespace Bollard.Core.Mirror.Sync;

/// <summary>
/// How far a sync got, kept as the job's progress message (JSON) so the API can show it without a store of its own.
/// Blobs already in the cache are counted in <see cref="BlobsCached"/> and <see cref="BytesCached"/> and not read again
/// (a retried or repeated sync resumes where the last one stopped).
/// </summary>
/// <param name="Phase"><c>manifests</c>, <c>blobs</c>, <c>done</c>.</param>
/// <param name="Digest">The manifest the reference resolved to (null until known).</param>
/// <param name="Platforms">The platforms fetched from an index (empty for a single image).</param>
/// <param name="Bytes">Blob bytes fetched (through the mirror) by this sync.</param>
/// <param name="BytesTotal">Bytes of every blob the sync covers, cached ones included (known once the manifests are read).</param>
public sealed record MirrorSyncProgress(
    string Phase, DateTimeOffset StartedAt, string? Digest, IReadOnlyList<string> Platforms,
    int Manifests, int ManifestsTotal, int Blobs, int BlobsTotal, int BlobsCached, long Bytes, long BytesTotal, long BytesCached)
{
    public static MirrorSyncProgress Start(DateTimeOffset at) => new("manifests", at, null, [], 0, 1, 0, 0, 0, 0, 0, 0);

    /// <summary>0 to 1: manifests first (a tenth), then bytes.</summary>
    public double Fraction =>
        Phase == "done" ? 1
        : BlobsTotal == 0 ? 0.1 * Manifests / Math.Max(1, ManifestsTotal)
        : 0.1 + 0.9 * (BytesTotal > 0 ? (double)(Bytes + BytesCached) / BytesTotal : (double)(Blobs + BlobsCached) / BlobsTotal);

    public string ToMessage() => JsonSerializer.Serialize(this, MirrorOpsJson.Default.MirrorSyncProgress);

    /// <returns>null when the message is not a sync's progress (a queued job has none).</returns>
    public static MirrorSyncProgress? FromMessage(string? message)
    {
        if (string.IsNullOrEmpty(message) || message[0] != '{') return null;
        try
        {
            return JsonSerializer.Deserialize(message, MirrorOpsJson.Default.MirrorSyncProgress);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
