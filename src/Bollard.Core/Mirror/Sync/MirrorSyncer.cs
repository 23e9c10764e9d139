using System.Buffers;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Storage;

namespace Bollard.Core.Mirror.Sync;

/// <summary>
/// Warms the cache with one reference, through the mirror's own read seams so a sync and a pull share one path (the
/// same vetting, verification, single-flight, counters and audit): the manifest by tag through
/// <see cref="IManifestReader"/>, then the chosen children of an index by digest, then every blob through
/// <see cref="IBlobReader"/>, its stream drained (the reader stores while it streams; nothing is kept here but a
/// pooled buffer). A blob already linked into the repository is not read again, so a retried or repeated sync
/// resumes where the last one stopped. Only the platforms asked for come in; the index itself is kept whole.
/// </summary>
public sealed class MirrorSyncer(IManifestReader manifests, IBlobReader blobs, IRepositoryStore repositories, TimeProvider time)
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Nested indexes followed at most this deep (an index of indexes is rare; a loop is impossible by digest, a deep chain is bounded).</summary>
    private const int MaxDepth = 4;

    /// <summary>How often progress is reported while a blob streams.</summary>
    private static readonly TimeSpan ReportEvery = TimeSpan.FromMilliseconds(500);

    /// <param name="platforms">The platforms of an index to fetch; empty: all.</param>
    /// <param name="report">Told of the progress now and then (and at the end); may throw to stop (a lost lease).</param>
    /// <exception cref="MirrorSyncException">The upstream has no such manifest, or the index has none of the platforms.</exception>
    /// <exception cref="OciException">The mirror refused or failed a fetch (vetting, the upstream down and nothing cached, a bad digest).</exception>
    public async Task<MirrorSyncProgress> SyncAsync(MirrorSyncTarget target, IReadOnlyList<MirrorPlatform> platforms,
        Func<MirrorSyncProgress, CancellationToken, ValueTask> report, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(platforms);
        ArgumentNullException.ThrowIfNull(report);
        var repository = target.Route.Local;
        var state = new State(MirrorSyncProgress.Start(time.GetUtcNow()));
        await report(state.Progress, ct).ConfigureAwait(false);

        var top = await manifests.GetAsync(repository, target.Reference, ct).ConfigureAwait(false)
            ?? throw new MirrorSyncException($"{target}: the upstream has no such manifest");
        state.Progress = state.Progress with { Digest = top.Digest.ToString(), Manifests = 1 };
        var images = new List<ParsedManifest>();
        var chosen = new List<string>();
        await CollectAsync(target, top, platforms, images, chosen, state, report, 0, ct).ConfigureAwait(false);

        // Every blob once, in manifest order (config first, then layers), cached ones counted but not read.
        var seen = new HashSet<Digest>();
        var blobList = new List<Descriptor>();
        foreach (var image in images)
        {
            var required = image.RequiredBlobs().ToHashSet();
            foreach (var d in (image.Config is { } c ? new[] { c } : []).Concat(image.Layers))
                if (required.Contains(d.Digest) && seen.Add(d.Digest)) blobList.Add(d);
        }
        state.Progress = state.Progress with
        {
            Phase = "blobs", Platforms = chosen, BlobsTotal = blobList.Count, BytesTotal = blobList.Sum(b => Math.Max(0, b.Size)),
        };
        await report(state.Progress, ct).ConfigureAwait(false);

        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            foreach (var blob in blobList)
            {
                ct.ThrowIfCancellationRequested();
                if (await repositories.IsBlobLinkedAsync(repository, blob.Digest, ct).ConfigureAwait(false))
                {
                    state.Progress = state.Progress with { BlobsCached = state.Progress.BlobsCached + 1, BytesCached = state.Progress.BytesCached + Math.Max(0, blob.Size) };
                    continue;
                }
                await FetchBlobAsync(repository, blob, buffer, state, report, ct).ConfigureAwait(false);
                await report(state.Progress, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        state.Progress = state.Progress with { Phase = "done" };
        await report(state.Progress, ct).ConfigureAwait(false);
        return state.Progress;
    }

    private async Task CollectAsync(MirrorSyncTarget target, ManifestRecord record, IReadOnlyList<MirrorPlatform> platforms,
        List<ParsedManifest> images, List<string> chosen, State state, Func<MirrorSyncProgress, CancellationToken, ValueTask> report, int depth, CancellationToken ct)
    {
        var parsed = ManifestParser.Parse(record.Content, record.MediaType);
        if (!parsed.IsIndex)
        {
            images.Add(parsed);
            return;
        }
        if (depth >= MaxDepth) throw new MirrorSyncException($"{target}: indexes nested more than {MaxDepth} deep");
        var children = MirrorPlatform.ChildrenOf(record.Content);
        var picked = platforms.Count == 0
            ? children
            : children.Where(c => c.Platform is { } p && platforms.Any(want => want.Matches(p))).ToList();
        if (picked.Count == 0 && children.Count > 0)
        {
            var offered = children.Where(c => c.Platform is not null).Select(c => c.Platform!.ToString()).Distinct(StringComparer.Ordinal);
            throw new MirrorSyncException($"{target}: the index has no {string.Join(" or ", platforms)} (it has {string.Join(", ", offered)})");
        }
        state.Progress = state.Progress with { ManifestsTotal = state.Progress.ManifestsTotal + picked.Count };
        await report(state.Progress, ct).ConfigureAwait(false);
        foreach (var (digest, _, platform) in picked)
        {
            ct.ThrowIfCancellationRequested();
            var child = await manifests.GetAsync(target.Route.Local, new Reference(null, digest), ct).ConfigureAwait(false)
                ?? throw new MirrorSyncException($"{target}: the upstream has no manifest {digest} that its index names");
            state.Progress = state.Progress with { Manifests = state.Progress.Manifests + 1 };
            if (platform is not null && !chosen.Contains(platform.ToString())) chosen.Add(platform.ToString());
            await CollectAsync(target, child, platforms, images, chosen, state, report, depth + 1, ct).ConfigureAwait(false);
        }
    }

    private async Task FetchBlobAsync(RepositoryName repository, Descriptor blob, byte[] buffer, State state,
        Func<MirrorSyncProgress, CancellationToken, ValueTask> report, CancellationToken ct)
    {
        await blobs.StatAsync(repository, blob.Digest, ct).ConfigureAwait(false);
        var stream = await blobs.OpenAsync(repository, blob.Digest, null, ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var lastReport = time.GetTimestamp();
            int n;
            while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                state.Progress = state.Progress with { Bytes = state.Progress.Bytes + n };
                if (time.GetElapsedTime(lastReport) >= ReportEvery)
                {
                    await report(state.Progress, ct).ConfigureAwait(false);
                    lastReport = time.GetTimestamp();
                }
            }
        }
        state.Progress = state.Progress with { Blobs = state.Progress.Blobs + 1 };
    }

    private sealed class State(MirrorSyncProgress progress)
    {
        public MirrorSyncProgress Progress { get; set; } = progress;
    }
}
