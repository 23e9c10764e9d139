using Bollard.Core.Oci;

namespace Bollard.Core.Storage;

/// <summary>Repositories and the blobs linked into each (a blob is visible in a repository only when linked).</summary>
public interface IRepositoryStore
{
    ValueTask<bool> ExistsAsync(RepositoryName repository, CancellationToken ct);

    /// <summary>Repository names in lexical (ordinal) order after <paramref name="last"/>, at most <paramref name="limit"/>.</summary>
    ValueTask<IReadOnlyList<string>> ListAsync(string? last, int limit, CancellationToken ct);

    ValueTask<bool> IsBlobLinkedAsync(RepositoryName repository, Digest digest, CancellationToken ct);

    /// <summary>Links a blob into a repository, creating the repository. Idempotent. Durable on return.</summary>
    ValueTask LinkBlobAsync(RepositoryName repository, Digest digest, long size, CancellationToken ct);

    /// <returns>false when the blob was not linked.</returns>
    ValueTask<bool> UnlinkBlobAsync(RepositoryName repository, Digest digest, CancellationToken ct);

    /// <summary>Repositories that link the blob (at most <paramref name="limit"/>); used to mount a blob without <c>from</c>.</summary>
    ValueTask<IReadOnlyList<RepositoryName>> ListLinkingAsync(Digest digest, int limit, CancellationToken ct);
}
