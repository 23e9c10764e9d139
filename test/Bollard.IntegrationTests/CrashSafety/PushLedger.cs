using System.Collections.Concurrent;

namespace Bollard.IntegrationTests.CrashSafety;

/// <summary>
/// What the pushers were told: every push the server acknowledged with a 2xx. Only acknowledged data is
/// promised to survive a crash; a push cut by the kill may or may not have happened.
/// </summary>
internal sealed class PushLedger
{
    public sealed record Manifest(string Repo, string Digest, byte[] Content, string MediaType);

    /// <summary>A tag that one worker keeps moving; after a kill it may point at the last acknowledged or the in-flight manifest.</summary>
    public sealed class MovingTag(string repo, string tag)
    {
        public string Repo { get; } = repo;
        public string Tag { get; } = tag;
        public string? Acked { get; set; }
        public string? InFlight { get; set; }
    }

    /// <summary>
    /// A chunked upload cut by a kill: the session and its acknowledged chunks must survive, unless the closing PUT
    /// was in flight (<paramref name="Closing"/>), which may have consumed the session.
    /// </summary>
    public sealed record PendingUpload(string Repo, string Location, byte[] Data, long AckedOffset, bool Closing = false);

    public ConcurrentDictionary<(string Repo, string Digest), long> Blobs { get; } = new();
    public ConcurrentDictionary<(string Repo, string Digest), Manifest> Manifests { get; } = new();
    public ConcurrentDictionary<(string Repo, string Tag), string> Tags { get; } = new();
    public MovingTag?[] Moving { get; }
    public PendingUpload?[] Pending { get; }
    public ConcurrentQueue<string> Errors { get; } = new();

    public int BlobPushes;
    public int ManifestPushes;
    public int Mounts;
    public int Resumed;

    public PushLedger(int workers)
    {
        Moving = new MovingTag?[workers];
        Pending = new PendingUpload?[workers];
    }

    public void Error(string message) => Errors.Enqueue(message);
}
