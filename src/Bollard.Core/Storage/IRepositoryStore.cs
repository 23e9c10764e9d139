using Bollard.Core.Oci;

namespace Bollard.Core.Storage;

/// <summary>Repositories and the blobs linked into each (a blob is visible in a repository only when linked). Reads only: links change through <see cref="IMetadataStore"/>.</summary>
public interface IRepositoryStore
{
    ValueTask<bool> ExistsAsync(RepositoryName repository, CancellationToken ct);

    /// <summary>Repository names in lexical (ordinal) order after <paramref name="last"/>, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<string>> ListAsync(string? last, int limit, CancellationToken ct);

    ValueTask<bool> IsBlobLinkedAsync(RepositoryName repository, Digest digest, CancellationToken ct);

    /// <summary>Repositories that link the blob (at most <paramref name="limit"/>); used to mount a blob without <c>from</c>.</summary>
    ValueTask<IReadOnlyList<RepositoryName>> ListLinkingAsync(Digest digest, int limit, CancellationToken ct);
}
