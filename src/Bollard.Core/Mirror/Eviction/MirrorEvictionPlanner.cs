using Bollard.Core.Registry;
using Bollard.Core.Retention;

namespace Bollard.Core.Mirror.Eviction;

/// <summary>
/// Which tags of one mirrored repository eviction removes: those whose last use (the later of when the tag was
/// stored and its last pull, by tag or of its manifest) is before the cutoff. Tags of the cosign scheme (signatures,
/// attestations) are never chosen: they follow their image (GC removes them once their subject is gone), and the
/// tags on the upstream's sync list are kept (the schedule would only fetch them again). Images never tagged (pulled
/// only by digest) are chosen by their own times (<see cref="PlanUntagged"/>). Pure.
/// </summary>
public static class MirrorEvictionPlanner
{
    public static IReadOnlyList<TagTimes> Plan(IReadOnlyList<TagTimes> tags, DateTimeOffset cutoff, IReadOnlySet<string> keep)
    {
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(keep);
        return tags.Where(t => !ManifestService.IsCosignSchemeTag(t.Tag) && !keep.Contains(t.Tag) && LastUsed(t) < cutoff).ToList();
    }

    /// <summary>
    /// The untagged manifests (<see cref="IPullTimeStore.ListUntaggedManifestTimesAsync"/>: no tag, no subject, no index
    /// above them) whose last use, the later of when they were stored and last pulled by digest, is before the cutoff.
    /// </summary>
    public static IReadOnlyList<ManifestTimes> PlanUntagged(IReadOnlyList<ManifestTimes> manifests, DateTimeOffset cutoff)
    {
        ArgumentNullException.ThrowIfNull(manifests);
        return manifests.Where(m => m.LastUsedAt < cutoff).ToList();
    }

    /// <summary>The latest of the store time, the tag's last pull and its manifest's last pull.</summary>
    public static DateTimeOffset LastUsed(TagTimes tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        var last = tag.PushedAt;
        if (tag.TagPulledAt is { } byTag && byTag > last) last = byTag;
        if (tag.ManifestPulledAt is { } byManifest && byManifest > last) last = byManifest;
        return last;
    }
}
