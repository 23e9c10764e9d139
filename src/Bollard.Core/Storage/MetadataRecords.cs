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
}

/// <summary>One entry of a referrers listing.</summary>
public sealed record ReferrerRecord(Digest Digest, string MediaType, long Size, string? ArtifactType, string? AnnotationsJson);

/// <summary>An upload session's metadata: the repository it belongs to (uploads are not transferable).</summary>
public sealed record UploadRecord(string Id, RepositoryName Repository, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>The principal that opened the upload ("" when access control is off).</summary>
    public string Owner { get; init; } = "";
}
