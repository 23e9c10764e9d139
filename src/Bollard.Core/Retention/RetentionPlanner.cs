namespace Bollard.Core.Retention;

/// <summary>Which tags of one repository the matching policies remove (pure: the same input gives the same answer).</summary>
public static class RetentionPlanner
{
    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>
    /// Per policy with a <see cref="RetentionPolicy.KeepLast"/>: the tags it does not keep by pattern, newest first
    /// (ties: lower tag first), beyond the first N. A tag goes only when every such policy lets it go. Tags of the
    /// cosign tag scheme (<c>sha256-&lt;hex&gt;.sig</c>, <c>.att</c>, <c>.sbom</c>) are never candidates: they belong to
    /// the image they sign, not to the tag history.
    /// </summary>
    /// <returns>The tags to remove, in ordinal order, each with the reason of the first policy that removes it.</returns>
    public static IReadOnlyList<(TagTimes Tag, string Reason)> Plan(IReadOnlyList<RetentionPolicy> applicable, IReadOnlyList<TagTimes> tags)
    {
        Dictionary<string, string>? doomed = null;
        foreach (var policy in applicable)
        {
            if (policy.KeepLast is not { } keep) continue;
            var candidates = tags.Where(t => !policy.Keeps(t.Tag) && !IsCosignTag(t.Tag));
            var ordered = (policy.Order == RetentionOrder.Pulled
                    ? candidates.OrderByDescending(t => t.LastUsedAt)
                    : candidates.OrderByDescending(t => t.PushedAt))
                .ThenBy(t => t.Tag, StringComparer.Ordinal);
            string reason = $"{policy}: not among the last {keep} by {(policy.Order == RetentionOrder.Pulled ? "pull" : "push")}";
            var removes = ordered.Skip(keep).ToDictionary(t => t.Tag, _ => reason, StringComparer.Ordinal);
            doomed = doomed is null ? removes : doomed.Where(d => removes.ContainsKey(d.Key)).ToDictionary(StringComparer.Ordinal);
        }
        if (doomed is null || doomed.Count == 0) return [];
        return tags.Where(t => doomed.ContainsKey(t.Tag)).OrderBy(t => t.Tag, StringComparer.Ordinal).Select(t => (t, doomed[t.Tag])).ToList();
    }

    /// <summary><c>&lt;alg&gt;-&lt;hex&gt;</c> with an optional <c>.suffix</c>, as cosign names signatures, attestations and SBOMs.</summary>
    public static bool IsCosignTag(string tag)
    {
        int dash = tag.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0) return false;
        var rest = tag.AsSpan(dash + 1);
        int dot = rest.IndexOf('.');
        var hex = dot < 0 ? rest : rest[..dot];
        return Oci.DigestAlgorithm.Find(tag[..dash]) is { } algorithm && hex.Length == algorithm.HexLength
               && !hex.ContainsAnyExcept(LowerHex);
    }
}
