using Bollard.Core.Oci;

namespace Bollard.Core.Mirror;

/// <summary>
/// What the mirror remembers about each cached tag: which upstream digest it last saw and when it last asked
/// (a revalidation within <see cref="UpstreamOptions.TagTtl"/> is not repeated), and whether the last attempt failed
/// (then the cache is served stale and says so). Rows are removed with their repository.
/// </summary>
public interface IMirrorStore
{
    Task<MirrorTagState?> GetTagAsync(RepositoryName repository, string tag, CancellationToken ct);

    Task SetTagAsync(MirrorTagState state, CancellationToken ct);

    /// <summary>The cached tags of one repository, or of every mirrored repository when null (at most <paramref name="limit"/>, by repository and tag).</summary>
    Task<IReadOnlyList<MirrorTagState>> ListTagsAsync(RepositoryName? repository, int limit, CancellationToken ct);

    Task DeleteTagAsync(RepositoryName repository, string tag, CancellationToken ct);
}

/// <param name="Digest">The digest the upstream last named for the tag (and the cache holds).</param>
/// <param name="CheckedAt">When the upstream last answered for it (the TTL counts from here).</param>
/// <param name="FailedAt">When the last revalidation failed (null when the last one succeeded): the cache is stale since.</param>
/// <param name="LastError">Why it failed: "upstream unreachable", "rate-limited (429)", ...</param>
/// <param name="RemovedUpstream">The upstream said 404 for the tag; the cached one stays served until an admin removes it.</param>
public sealed record MirrorTagState(
    RepositoryName Repository, string Tag, Digest Digest, DateTimeOffset CheckedAt, DateTimeOffset? FailedAt, string? LastError, bool RemovedUpstream)
{
    public bool Stale => FailedAt is not null || RemovedUpstream;
}
