using Bollard.Core.Oci;

namespace Bollard.Core.Retention;

/// <summary>An untagged manifest with its times (<see cref="IPullTimeStore.ListUntaggedManifestTimesAsync"/>).</summary>
/// <param name="StoredAt">When it was stored (pushed, or fetched by the mirror).</param>
/// <param name="PulledAt">Its last GET or HEAD by digest since it was stored (for an index: or one of its platform manifests'); null: none recorded.</param>
public sealed record ManifestTimes(Digest Digest, DateTimeOffset StoredAt, DateTimeOffset? PulledAt)
{
    /// <summary>The last pull, or the store time when that came later.</summary>
    public DateTimeOffset LastUsedAt => PulledAt is { } pulled && pulled > StoredAt ? pulled : StoredAt;
}
