using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Tests.Registry;

/// <summary><see cref="IRepositoryStore"/> in memory (repositories and blob links only), for Core unit tests.</summary>
public sealed class InMemoryRepositoryStore : IRepositoryStore
{
    private readonly Lock _lock = new();
    private readonly SortedDictionary<string, HashSet<Digest>> _links = new(StringComparer.Ordinal);

    public ValueTask<bool> ExistsAsync(RepositoryName repository, CancellationToken ct)
    {
        lock (_lock) return ValueTask.FromResult(_links.ContainsKey(repository.Value));
    }

    public ValueTask<IReadOnlyList<string>> ListAsync(string? last, int limit, CancellationToken ct)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<string>>(
                [.. _links.Keys.Where(k => last is null || string.CompareOrdinal(k, last) > 0).Take(limit)]);
    }

    public ValueTask<bool> IsBlobLinkedAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        lock (_lock) return ValueTask.FromResult(_links.TryGetValue(repository.Value, out var set) && set.Contains(digest));
    }

    public ValueTask LinkBlobAsync(RepositoryName repository, Digest digest, long size, CancellationToken ct)
    {
        lock (_lock)
        {
            if (!_links.TryGetValue(repository.Value, out var set)) _links[repository.Value] = set = [];
            set.Add(digest);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> UnlinkBlobAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        lock (_lock) return ValueTask.FromResult(_links.TryGetValue(repository.Value, out var set) && set.Remove(digest));
    }

    public ValueTask<IReadOnlyList<RepositoryName>> ListLinkingAsync(Digest digest, int limit, CancellationToken ct)
    {
        lock (_lock)
            return ValueTask.FromResult<IReadOnlyList<RepositoryName>>(
                [.. _links.Where(kv => kv.Value.Contains(digest)).Take(limit).Select(kv => RepositoryName.Parse(kv.Key))]);
    }
}
