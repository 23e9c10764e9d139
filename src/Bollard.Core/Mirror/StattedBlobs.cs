using System.Collections.Concurrent;
using Bollard.Core.Oci;

namespace Bollard.Core.Mirror;

/// <summary>
/// Blobs a stat of <see cref="MirrorBlobReader"/> has just found linked, so that the open which follows it (a client's
/// <c>GET</c> stats, then opens) need not ask the link again: the window is the one the stored reader already has
/// (its open trusts the stat before it). An entry is taken by one open and is good for <see cref="MaxAge"/> only, so a
/// delete, an eviction or GC after it is seen by the next stat, never hidden for longer; a <c>HEAD</c>'s entry that no
/// open takes expires. Bounded: past <see cref="Capacity"/> entries it starts afresh (a miss then just asks the link).
/// </summary>
internal sealed class StattedBlobs
{
    private const int Capacity = 4096;
    private const long MaxAge = 2000; // milliseconds

    private readonly ConcurrentDictionary<(RepositoryName Repository, Digest Digest), (long Size, long At)> _entries = new();

    public void Remember(RepositoryName repository, Digest digest, long size)
    {
        if (_entries.Count >= Capacity) _entries.Clear();
        _entries[(repository, digest)] = (size, Environment.TickCount64);
    }

    public bool TryTake(RepositoryName repository, Digest digest, out long size)
    {
        size = 0;
        if (!_entries.TryRemove((repository, digest), out var entry) || Environment.TickCount64 - entry.At > MaxAge) return false;
        size = entry.Size;
        return true;
    }
}
