namespace Bollard.Core.Mirror.Eviction;

/// <summary>What an eviction run removed.</summary>
/// <param name="Repositories">Mirrored repositories examined (of upstreams with <see cref="UpstreamOptions.EvictAfter"/>).</param>
/// <param name="Tags">Tags removed, as <c>repository:tag</c>.</param>
/// <param name="Manifests">Manifests removed once untagged (the images and their platform manifests).</param>
/// <param name="Skipped">What was kept with why (a push check refused, an index elsewhere still references it).</param>
public sealed record MirrorEvictionReport(int Repositories, IReadOnlyList<string> Tags, int Manifests, IReadOnlyList<string> Skipped)
{
    public override string ToString() =>
        $"{Tags.Count} tags and {Manifests} manifests evicted, {Skipped.Count} kept, {Repositories} mirrored repositories examined";
}
