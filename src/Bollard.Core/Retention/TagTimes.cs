using Bollard.Core.Oci;

namespace Bollard.Core.Retention;

/// <summary>A tag with its times: pushed (created or last moved), last pulled by tag and its manifest's last pull (by tag or digest).</summary>
/// <param name="TagPulledAt">The last GET or HEAD by this tag since it points at <paramref name="Digest"/>; null: none recorded.</param>
/// <param name="ManifestPulledAt">The last GET or HEAD of the manifest (by any tag or its digest) since it was pushed; null: none recorded.</param>
public sealed record TagTimes(string Tag, Digest Digest, DateTimeOffset PushedAt, DateTimeOffset? TagPulledAt, DateTimeOffset? ManifestPulledAt)
{
    /// <summary>The last pull, or the push when that came later: what <see cref="RetentionOrder.Pulled"/> sorts by.</summary>
    public DateTimeOffset LastUsedAt => TagPulledAt is { } pulled && pulled > PushedAt ? pulled : PushedAt;
}
