using Bollard.Core.Oci;

namespace Bollard.Core.Storage;

/// <summary>A manifest as stored: the exact pushed bytes plus what the referrers API reports about it.</summary>
public sealed record ManifestRecord(
    Digest Digest,
    string MediaType,
    byte[] Content,
    string? ArtifactType,
    Digest? Subject,
    string? AnnotationsJson,
    DateTimeOffset CreatedAt)
{
    public long Size => Content.LongLength;

    /// <summary>
    /// Set by a pull-through mirror on what it serves by tag: which upstream it mirrors, when the upstream last
    /// confirmed it, whether it is stale (the upstream failed or dropped the tag). Never stored; the manifest endpoint
    /// turns it into response headers.
    /// </summary>
    public CacheFreshness? Freshness { get; init; }
}

/// <param name="Upstream">The upstream's name (<c>docker.io</c>).</param>
/// <param name="CheckedAt">When the upstream last confirmed the tag.</param>
/// <param name="Stale">True when the last revalidation failed or the upstream no longer has the tag.</param>
/// <param name="Reason">Why it is stale (<c>upstream unreachable</c>, <c>rate-limited (429)</c>, <c>tag removed upstream</c>).</param>
public sealed record CacheFreshness(string Upstream, DateTimeOffset CheckedAt, bool Stale, string? Reason);

/// <summary>One entry of a referrers listing.</summary>
public sealed record ReferrerRecord(Digest Digest, string MediaType, long Size, string? ArtifactType, string? AnnotationsJson);

/// <summary>An upload session's metadata: the repository it belongs to (uploads are not transferable).</summary>
public sealed record UploadRecord(string Id, RepositoryName Repository, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>The principal that opened the upload ("" when access control is off).</summary>
    public string Owner { get; init; } = "";
}
