using Bollard.Core.Auth;
using Bollard.Core.Mirror.Sync;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Retention;
using Bollard.Core.Storage;

namespace Bollard.Core.Mirror.Eviction;

/// <summary>
/// Evicts mirrored images not pulled for their upstream's <see cref="UpstreamOptions.EvictAfter"/>: flushes the pull
/// times, walks the repositories under the mirror prefix, removes each tag <see cref="MirrorEvictionPlanner"/> picks
/// through <see cref="ManifestService.DeleteAsync(RepositoryName, Reference, Digest?, RegistryActor, CancellationToken)"/>
/// (only while it still points where it was planned: a fetch that moved it since is not undone) with its tag state,
/// then the manifests that left untagged, and the images never tagged (pulled only by digest) not pulled since the cutoff
/// (the image, and the platform manifests of an index) through
/// <see cref="ManifestService.DeleteManifestsIfAsync"/> (each only while still untagged and no other index references
/// it). GC then frees the bytes and removes the signatures whose subject is gone. Every removal is audited as
/// <c>mirror.evict</c>. Reads the local store only: eviction never asks an upstream. Idempotent.
/// </summary>
public sealed class MirrorEvictor(
    MirrorRouter router, IRepositoryStore repositories, IManifestStore manifestStore, IPullTimeStore pullTimes, PullTimeRecorder recorder,
    ManifestService manifests, IMirrorStore mirrorStore, AuditRecorder audit, TimeProvider time)
{
    public const string AuditAction = "mirror.evict";

    /// <summary>Who evictions are made by, in events and the audit log.</summary>
    public static readonly RegistryActor Actor = new("mirror-eviction", "");

    private const int RepositoryPage = 500;

    /// <param name="progress">Told after each page of repositories with the count examined so far.</param>
    public async Task<MirrorEvictionReport> RunAsync(Func<int, CancellationToken, ValueTask>? progress, CancellationToken ct)
    {
        var options = router.Options;
        if (!options.Upstreams.Any(u => u.EvictAfter is not null)) return new MirrorEvictionReport(0, [], 0, []);
        // A pull of the last flush interval must keep its image: a failing flush fails the run (retried) instead.
        await recorder.FlushAsync(ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var keep = SyncListTags(options);
        var tags = new List<string>();
        var skipped = new List<string>();
        int examined = 0, removedManifests = 0;
        string? last = router.Prefix;
        while (true)
        {
            var names = await repositories.ListAsync(last, RepositoryPage, ct).ConfigureAwait(false);
            bool past = false;
            foreach (string name in names)
            {
                last = name;
                if (!name.StartsWith(router.Prefix, StringComparison.Ordinal)) { past = true; break; }
                var repository = RepositoryName.Parse(name);
                if (router.Resolve(repository) is not { Upstream.EvictAfter: { } after }) continue;
                examined++;
                removedManifests += await EvictAsync(repository, now - after, keep.GetValueOrDefault(name) ?? new HashSet<string>(), tags, skipped, ct).ConfigureAwait(false);
            }
            if (progress is not null) await progress(examined, ct).ConfigureAwait(false);
            if (past || names.Count < RepositoryPage) break;
        }
        var report = new MirrorEvictionReport(examined, tags, removedManifests, skipped);
        if (tags.Count > 0 || skipped.Count > 0) audit.Record(Actor.Principal, "", "mirror.evict.run", "success", detail: report.ToString());
        return report;
    }

    private async Task<int> EvictAsync(RepositoryName repository, DateTimeOffset cutoff, IReadOnlySet<string> keep, List<string> removed, List<string> skipped, CancellationToken ct)
    {
        var plan = MirrorEvictionPlanner.Plan(await pullTimes.ListTagTimesAsync(repository, ct).ConfigureAwait(false), cutoff, keep);
        var untagged = new List<Digest>();
        foreach (var tag in plan)
        {
            try
            {
                await manifests.DeleteAsync(repository, new Reference(tag.Tag, null), tag.Digest, Actor, ct).ConfigureAwait(false);
            }
            catch (OciException e) when (e.Error.Code == OciErrors.Denied.Code)
            {
                skipped.Add($"{repository}:{tag.Tag}: {e.Detail ?? e.Error.Message}");
                audit.Record(Actor.Principal, "", AuditAction, "denied", repository.Value, tag.Tag, detail: e.Detail);
                continue;
            }
            catch (OciException e) when (e.Error == OciErrors.ManifestUnknown || e.Error == OciErrors.NameUnknown)
            {
                continue; // moved or deleted since the plan: a fresh fetch is not evicted
            }
            await mirrorStore.DeleteTagAsync(repository, tag.Tag, ct).ConfigureAwait(false);
            removed.Add($"{repository}:{tag.Tag}");
            untagged.Add(tag.Digest);
            audit.Record(Actor.Principal, "", AuditAction, "success", repository.Value, tag.Tag,
                detail: $"{tag.Digest}; last used {MirrorEvictionPlanner.LastUsed(tag):u}, before {cutoff:u}");
        }
        // Images that never had a tag here (a deployment pinned to a digest): their own store and pull times decide.
        foreach (var manifest in MirrorEvictionPlanner.PlanUntagged(await pullTimes.ListUntaggedManifestTimesAsync(repository, ct).ConfigureAwait(false), cutoff))
            untagged.Add(manifest.Digest);
        if (untagged.Count == 0) return 0;

        // The images first, then their platform manifests (B13: a child goes only once no index references it).
        var deletes = new List<(Digest Digest, Func<IMetadataReads, CancellationToken, ValueTask<string?>>? Guard)>();
        var queued = new HashSet<Digest>();
        foreach (var digest in untagged.Where(queued.Add).ToList()) deletes.Add((digest, Untagged(repository, digest)));
        foreach (var digest in untagged.Distinct().ToList())
        {
            if (await manifestStore.GetAsync(repository, digest, ct).ConfigureAwait(false) is not { } record) continue;
            if (!MediaTypes.IsIndex(record.MediaType)) continue;
            foreach (var child in ManifestParser.Parse(record.Content, record.MediaType).Manifests)
                if (queued.Add(child.Digest)) deletes.Add((child.Digest, Untagged(repository, child.Digest)));
        }
        var results = await manifests.DeleteManifestsIfAsync(repository, deletes, commit: true, Actor, ct).ConfigureAwait(false);
        int count = 0;
        for (int i = 0; i < deletes.Count; i++)
        {
            if (results[i] is null)
            {
                count++;
                audit.Record(Actor.Principal, "", AuditAction, "success", repository.Value, deletes[i].Digest.ToString(), detail: "untagged by eviction");
            }
            else if (results[i] is not ("gone" or "tagged"))
            {
                skipped.Add($"{repository}@{deletes[i].Digest}: {results[i]}");
            }
        }
        return count;
    }

    private static Func<IMetadataReads, CancellationToken, ValueTask<string?>> Untagged(RepositoryName repository, Digest digest) =>
        async (reads, ct) => (await reads.ListTagsOfAsync(repository, digest, ct).ConfigureAwait(false)).Count > 0 ? "tagged" : null;

    /// <summary>The tags on each upstream's sync list, by mirrored repository: eviction keeps them.</summary>
    private Dictionary<string, HashSet<string>> SyncListTags(MirrorOptions options)
    {
        var keep = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var upstream in options.Upstreams)
            foreach (string entry in upstream.Sync)
                if (MirrorSyncTarget.TryParse(router, $"{upstream.Name}/{entry}", out var target, out _) && target!.Reference.Tag is { } tag)
                {
                    if (!keep.TryGetValue(target.Route.Local.Value, out var set)) keep[target.Route.Local.Value] = set = new HashSet<string>(StringComparer.Ordinal);
                    set.Add(tag);
                }
        return keep;
    }
}
