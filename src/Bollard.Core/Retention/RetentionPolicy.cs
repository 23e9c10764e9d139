using Bollard.Core.Auth;
using Bollard.Core.Immutability;

namespace Bollard.Core.Retention;

/// <summary>
/// What retention keeps in repositories matching <see cref="Namespace"/>: the last <see cref="KeepLast"/> tags by
/// <see cref="Order"/> (null: this policy removes no tags), always the tags matching <see cref="KeepTags"/>; and untagged
/// manifests for <see cref="UntaggedAfter"/> (null: this policy says nothing about them; garbage collection deletes them).
/// </summary>
/// <remarks>
/// When several policies match a repository, a tag is removed only when every matching policy with a
/// <see cref="KeepLast"/> would remove it (a policy that keeps a tag keeps it), and untagged manifests are kept for the
/// longest <see cref="UntaggedAfter"/> among them.
/// </remarks>
public sealed record RetentionPolicy(
    long Id, NamespacePattern Namespace, int? KeepLast, RetentionOrder Order, IReadOnlyList<TagPattern> KeepTags, TimeSpan? UntaggedAfter,
    string CreatedBy, DateTimeOffset CreatedAt)
{
    public bool Keeps(string tag) => KeepTags.Any(p => p.Matches(tag));

    /// <summary>How audit entries and reports name it: <c>policy 2 (prod/**: keep last 5 by push, keep latest, release-*)</c>.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (KeepLast is { } n) parts.Add($"keep last {n} by {(Order == RetentionOrder.Pulled ? "pull" : "push")}");
        if (KeepTags.Count > 0) parts.Add("keep " + string.Join(", ", KeepTags));
        if (UntaggedAfter is { } d) parts.Add($"untagged after {d.TotalDays:0.##}d");
        return $"policy {Id} ({Namespace}: {string.Join("; ", parts)})";
    }
}
