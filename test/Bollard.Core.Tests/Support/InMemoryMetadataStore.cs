using Bollard.Core.Auth;
using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Storage;
using Bollard.Core.Usage;
using Bollard.Core.Usage.Quotas;

namespace Bollard.Core.Tests.Support;

/// <summary>
/// The registry metadata in memory, for Core unit tests: repositories, links, manifests, tags, the event outbox
/// and cursors, with the same unit-of-work semantics as SQLite (one writer at a time; a transaction works on a
/// copy that replaces the committed state on commit, so a disposed transaction leaves nothing). Also run
/// through the metadata contract suite (Bollard.Storage.Tests), so it behaves like a real backend.
/// </summary>
/// Storage usage (<see cref="IUsageStore"/>, quotas) is recounted from the state on every read: the reference the
/// incremental SQLite counters are compared with.
public sealed class InMemoryMetadataStore(TimeProvider? time = null) : IMetadataStore, IRepositoryStore, IManifestStore, IEventStore, IUsageStore, IQuotaStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly SemaphoreSlim _writer = new(1, 1);
    private readonly Lock _lock = new();
    private State _state = new();

    /// <summary>How many units of work were begun (a test of "this never took the writer").</summary>
    public int WriteTransactionsBegun { get; private set; }

    /// <summary>Runs when a unit of work has the writer, before it is handed out (to simulate a concurrent change).</summary>
    public Action<State>? OnBeginWrite { get; set; }

    public RegistryEventSignal Signal { get; } = new();

    private State Committed
    {
        get { lock (_lock) return _state; }
    }

    // ---- IMetadataStore ----

    public async ValueTask<IMetadataTransaction> BeginWriteAsync(CancellationToken ct)
    {
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        WriteTransactionsBegun++;
        var copy = Committed.Clone();
        OnBeginWrite?.Invoke(copy);
        return new Transaction(this, copy);
    }

    // ---- IRepositoryStore ----

    public ValueTask<bool> ExistsAsync(RepositoryName repository, CancellationToken ct) => new(Committed.Repos.ContainsKey(repository.Value));

    public ValueTask<IReadOnlyList<string>> ListAsync(string? last, int limit, CancellationToken ct) =>
        new(Committed.Repos.Keys.Where(n => last is null || string.CompareOrdinal(n, last) > 0).Order(StringComparer.Ordinal).Take(limit).ToList());

    public ValueTask<bool> IsBlobLinkedAsync(RepositoryName repository, Digest digest, CancellationToken ct) => new(Committed.IsLinked(repository, digest));

    public ValueTask<IReadOnlyList<RepositoryName>> ListLinkingAsync(Digest digest, int limit, CancellationToken ct) =>
        new(Committed.Repos.Where(r => r.Value.Blobs.ContainsKey(digest)).Select(r => r.Key).Order(StringComparer.Ordinal).Take(limit).Select(RepositoryName.Parse).ToList());

    // ---- IManifestStore ----

    public ValueTask<ManifestRecord?> GetAsync(RepositoryName repository, Digest digest, CancellationToken ct) =>
        new(Committed.Repo(repository)?.Manifests.GetValueOrDefault(digest)?.Record);

    public ValueTask<ManifestRecord?> GetByTagAsync(RepositoryName repository, string tag, CancellationToken ct)
    {
        var repo = Committed.Repo(repository);
        return new(repo is not null && repo.Tags.TryGetValue(tag, out var d) ? repo.Manifests[d].Record : null);
    }

    public ValueTask<ReferenceCheck> FindMissingReferencesAsync(RepositoryName repository, IReadOnlyCollection<Digest> blobs, IReadOnlyCollection<Digest> manifests, CancellationToken ct) =>
        new(Committed.FindMissing(repository, blobs, manifests));

    public ValueTask<Digest?> FindReferencingManifestAsync(RepositoryName repository, Digest digest, ReferenceKind kind, CancellationToken ct) =>
        new((Committed.Repo(repository)?.Manifests.Values.AsEnumerable() ?? [])
            .Where(m => m.Record.Digest != digest && (kind == ReferenceKind.Blob ? m.Blobs : m.Children).Contains(digest))
            .Select(m => (Digest?)m.Record.Digest).OrderBy(d => d.ToString(), StringComparer.Ordinal).FirstOrDefault());

    public ValueTask<IReadOnlyList<string>> ListTagsAsync(RepositoryName repository, string? last, int limit, CancellationToken ct) =>
        new((Committed.Repo(repository)?.Tags.Keys.AsEnumerable() ?? []).Where(t => last is null || string.CompareOrdinal(t, last) > 0).Order(StringComparer.Ordinal).Take(limit).ToList());

    public ValueTask<IReadOnlyList<ReferrerRecord>> ListReferrersAsync(RepositoryName repository, Digest subject, string? artifactType, Digest? after, int limit,
        CancellationToken ct)
    {
        var all = (Committed.Repo(repository)?.Manifests.Values.AsEnumerable() ?? [])
            .Select(m => m.Record)
            .Where(m => m.Subject == subject)
            .OrderBy(m => m.CreatedAt).ThenBy(m => m.Digest.ToString(), StringComparer.Ordinal)
            .ToList();
        int start = 0;
        if (after is { } a)
        {
            int at = all.FindIndex(m => m.Digest == a);
            start = at < 0 ? all.Count : at + 1;
        }
        return new(all.Skip(start).Where(m => artifactType is null || m.ArtifactType == artifactType).Take(limit)
            .Select(m => new ReferrerRecord(m.Digest, m.MediaType, m.Size, m.ArtifactType, m.AnnotationsJson)).ToList());
    }

    // ---- IEventStore ----

    public ValueTask<IReadOnlyList<RegistryEvent>> ReadAsync(long after, int limit, CancellationToken ct) =>
        new(Committed.Events.Where(e => e.Sequence > after).Take(limit).ToList());

    public ValueTask<long> HeadAsync(CancellationToken ct) => new(Committed.Events.Count == 0 ? 0 : Committed.Events[^1].Sequence);

    public ValueTask<long> GetCursorAsync(string subscriber, CancellationToken ct)
    {
        lock (_lock) return new(_state.Cursors.GetValueOrDefault(subscriber));
    }

    public ValueTask SetCursorAsync(string subscriber, long position, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested(); // as the SQLite store, which waits for its writer with the token
        lock (_lock) _state.Cursors[subscriber] = Math.Max(position, _state.Cursors.GetValueOrDefault(subscriber));
        return ValueTask.CompletedTask;
    }

    public ValueTask<int> PruneAsync(long deliveredUpTo, DateTimeOffset olderThan, int limit, CancellationToken ct)
    {
        lock (_lock)
        {
            var gone = _state.Events.Where(e => e.Sequence <= deliveredUpTo && e.Time < olderThan).Take(limit).Select(e => e.Sequence).ToHashSet();
            _state.Events.RemoveAll(e => gone.Contains(e.Sequence));
            return new(gone.Count);
        }
    }

    // ---- IUsageStore, IQuotaStore ----

    public ValueTask<StorageUsage?> GetRepositoryAsync(RepositoryName repository, CancellationToken ct)
    {
        var s = Committed;
        return new(s.Repos.ContainsKey(repository.Value) ? s.UsageOf(n => n == repository.Value) : null);
    }

    public ValueTask<IReadOnlyList<NamespaceUsage>> ListNamespacesAsync(CancellationToken ct)
    {
        var s = Committed;
        return new(s.Repos.Keys.Select(n => UsageNamespaces.Of(RepositoryName.Parse(n))).Distinct().Order(StringComparer.Ordinal)
            .Select(ns => new NamespaceUsage(ns, s.UsageOf(n => UsageNamespaces.Of(RepositoryName.Parse(n)) == ns))).ToList());
    }

    public ValueTask<StorageUsage> GetRegistryAsync(CancellationToken ct) => new(Committed.UsageOf(_ => true));

    public ValueTask<IReadOnlyList<Quota>> ListAsync(CancellationToken ct)
    {
        var s = Committed;
        return new(s.Quotas.Keys.Order(StringComparer.Ordinal).Select(s.QuotaOf).ToList());
    }

    public async ValueTask<bool> SetAsync(NamespacePattern pattern, long limitBytes, CancellationToken ct)
    {
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            lock (_lock)
            {
                bool created = !_state.Quotas.ContainsKey(pattern.Value);
                _state.Quotas[pattern.Value] = limitBytes;
                return created;
            }
        }
        finally { _writer.Release(); }
    }

    public async ValueTask<bool> RemoveAsync(NamespacePattern pattern, CancellationToken ct)
    {
        await _writer.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            lock (_lock) return _state.Quotas.Remove(pattern.Value);
        }
        finally { _writer.Release(); }
    }

    /// <summary>Every committed event, oldest first.</summary>
    public IReadOnlyList<RegistryEvent> AllEvents => Committed.Events.ToList();

    /// <summary>The whole metadata state; transactions work on a <see cref="Clone"/>.</summary>
    public sealed class State
    {
        public Dictionary<string, Repository> Repos { get; init; } = new(StringComparer.Ordinal);
        public List<RegistryEvent> Events { get; init; } = [];
        public Dictionary<string, long> Cursors { get; init; } = new(StringComparer.Ordinal);
        public long NextSequence { get; set; } = 1;
        public Dictionary<string, long> Quotas { get; init; } = new(StringComparer.Ordinal);

        public Repository? Repo(RepositoryName name) => Repos.GetValueOrDefault(name.Value);

        public bool IsLinked(RepositoryName name, Digest digest) => Repo(name)?.Blobs.ContainsKey(digest) == true;

        public ReferenceCheck FindMissing(RepositoryName name, IReadOnlyCollection<Digest> blobs, IReadOnlyCollection<Digest> manifests)
        {
            var repo = Repo(name);
            return new ReferenceCheck(
                blobs.Where(d => repo?.Blobs.ContainsKey(d) != true).ToList(),
                manifests.Where(d => repo?.Manifests.ContainsKey(d) != true).ToList(),
                repo?.Generation ?? 0);
        }

        public State Clone() => new()
        {
            Repos = Repos.ToDictionary(r => r.Key, r => r.Value.Clone(), StringComparer.Ordinal),
            Events = [.. Events],
            Cursors = Cursors, // cursors are not part of a unit of work
            NextSequence = NextSequence,
            Quotas = new(Quotas, StringComparer.Ordinal),
        };

        /// <summary>Usage by its definition (<see cref="StorageUsage"/>), counted from scratch over the repositories <paramref name="inScope"/> selects.</summary>
        public StorageUsage UsageOf(Func<string, bool> inScope)
        {
            var blobs = new Dictionary<Digest, long>();
            var outside = new HashSet<Digest>();
            long manifestBytes = 0, manifests = 0;
            foreach (var (name, repo) in Repos)
            {
                if (!inScope(name)) { outside.UnionWith(repo.Blobs.Keys); continue; }
                foreach (var (d, size) in repo.Blobs) blobs[d] = size;
                manifestBytes += repo.Manifests.Values.Sum(m => m.Record.Size);
                manifests += repo.Manifests.Count;
            }
            long total = blobs.Values.Sum(), unique = blobs.Where(b => !outside.Contains(b.Key)).Sum(b => b.Value);
            return new StorageUsage(total + manifestBytes, unique + manifestBytes, manifestBytes, manifests, blobs.Count);
        }

        public Quota QuotaOf(string pattern)
        {
            var p = NamespacePattern.Parse(pattern);
            return new Quota(p, Quotas[pattern], UsageOf(p.Matches));
        }
    }

    public sealed class Repository
    {
        public long Generation { get; set; }
        public Dictionary<Digest, long> Blobs { get; init; } = [];
        public Dictionary<Digest, StoredManifest> Manifests { get; init; } = [];
        public Dictionary<string, Digest> Tags { get; init; } = new(StringComparer.Ordinal);

        public Repository Clone() => new() { Generation = Generation, Blobs = new(Blobs), Manifests = new(Manifests), Tags = new(Tags, StringComparer.Ordinal) };
    }

    public sealed record StoredManifest(ManifestRecord Record, IReadOnlyList<Digest> Blobs, IReadOnlyList<Digest> Children);

    private sealed class Transaction(InMemoryMetadataStore store, State s) : IMetadataTransaction
    {
        private bool _done;
        private bool _released;
        private bool _appended;

        public ValueTask<bool> RepositoryExistsAsync(RepositoryName repository, CancellationToken ct) => new(s.Repos.ContainsKey(repository.Value));
        public ValueTask<long> GenerationAsync(RepositoryName repository, CancellationToken ct) => new(s.Repo(repository)?.Generation ?? 0);
        public ValueTask<ReferenceCheck> FindMissingReferencesAsync(RepositoryName repository, IReadOnlyCollection<Digest> blobs, IReadOnlyCollection<Digest> manifests, CancellationToken ct) =>
            new(s.FindMissing(repository, blobs, manifests));
        public ValueTask<bool> IsBlobLinkedAsync(RepositoryName repository, Digest digest, CancellationToken ct) => new(s.IsLinked(repository, digest));
        public ValueTask<bool> ManifestExistsAsync(RepositoryName repository, Digest digest, CancellationToken ct) => new(s.Repo(repository)?.Manifests.ContainsKey(digest) == true);
        public ValueTask<Digest?> GetTagAsync(RepositoryName repository, string tag, CancellationToken ct) =>
            new(s.Repo(repository)?.Tags.TryGetValue(tag, out var d) == true ? d : null);
        public ValueTask<IReadOnlyList<string>> ListTagsOfAsync(RepositoryName repository, Digest manifest, CancellationToken ct) =>
            new((s.Repo(repository)?.Tags ?? []).Where(t => t.Value == manifest).Select(t => t.Key).Order(StringComparer.Ordinal).ToList());

        public ValueTask<Digest?> FindReferencingManifestAsync(RepositoryName repository, Digest digest, ReferenceKind kind, CancellationToken ct) =>
            new((s.Repo(repository)?.Manifests.Values.AsEnumerable() ?? [])
                .Where(m => m.Record.Digest != digest && (kind == ReferenceKind.Blob ? m.Blobs : m.Children).Contains(digest))
                .Select(m => (Digest?)m.Record.Digest).OrderBy(d => d.ToString(), StringComparer.Ordinal).FirstOrDefault());

        public ValueTask<IReadOnlyList<Digest>> ListManifestsAsync(RepositoryName repository, Digest? after, int limit, CancellationToken ct) =>
            new(After((s.Repo(repository)?.Manifests.Keys.AsEnumerable() ?? []), after, limit));

        public ValueTask<IReadOnlyList<Digest>> ListBlobLinksAsync(RepositoryName repository, Digest? after, int limit, CancellationToken ct) =>
            new(After((s.Repo(repository)?.Blobs.Keys.AsEnumerable() ?? []), after, limit));

        private static List<Digest> After(IEnumerable<Digest> digests, Digest? after, int limit) =>
            digests.Where(d => after is null || string.CompareOrdinal(d.ToString(), after.Value.ToString()) > 0)
                .OrderBy(d => d.ToString(), StringComparer.Ordinal).Take(limit).ToList();

        public ValueTask<IReadOnlyList<Quota>> QuotasOfAsync(RepositoryName repository, CancellationToken ct) =>
            new(s.Quotas.Keys.Order(StringComparer.Ordinal).Where(p => NamespacePattern.Parse(p).Matches(repository.Value)).Select(s.QuotaOf).ToList());

        public ValueTask<bool> DeleteRepositoryAsync(RepositoryName repository, CancellationToken ct) => new(s.Repos.Remove(repository.Value));

        public ValueTask<bool> EnsureRepositoryAsync(RepositoryName repository, CancellationToken ct) => new(s.Repos.TryAdd(repository.Value, new Repository()));

        public ValueTask<bool> LinkBlobAsync(RepositoryName repository, Digest digest, long size, CancellationToken ct) => new(Need(repository).Blobs.TryAdd(digest, size));

        public ValueTask<bool> UnlinkBlobAsync(RepositoryName repository, Digest digest, CancellationToken ct)
        {
            var repo = s.Repo(repository);
            if (repo is null || !repo.Blobs.Remove(digest)) return new(false);
            repo.Generation++;
            return new(true);
        }

        public ValueTask<bool> PutManifestAsync(RepositoryName repository, ManifestRecord manifest, IReadOnlyCollection<Digest> blobs, IReadOnlyCollection<Digest> manifests, CancellationToken ct) =>
            new(Need(repository).Manifests.TryAdd(manifest.Digest, new StoredManifest(manifest, blobs.ToList(), manifests.ToList())));

        public ValueTask SetTagAsync(RepositoryName repository, string tag, Digest manifest, CancellationToken ct)
        {
            var repo = Need(repository);
            if (!repo.Manifests.ContainsKey(manifest)) throw new InvalidOperationException($"no manifest {manifest} to tag"); // as SQLite's foreign key
            repo.Tags[tag] = manifest;
            return ValueTask.CompletedTask;
        }

        public ValueTask<bool> DeleteTagAsync(RepositoryName repository, string tag, CancellationToken ct) => new(s.Repo(repository)?.Tags.Remove(tag) == true);

        public ValueTask<bool> DeleteManifestAsync(RepositoryName repository, Digest digest, CancellationToken ct)
        {
            var repo = s.Repo(repository);
            if (repo is null || !repo.Manifests.Remove(digest)) return new(false);
            foreach (var tag in repo.Tags.Where(t => t.Value == digest).Select(t => t.Key).ToList()) repo.Tags.Remove(tag);
            repo.Generation++;
            return new(true);
        }

        public ValueTask<long> AppendEventAsync(RegistryEvent registryEvent, CancellationToken ct)
        {
            long seq = s.NextSequence++;
            s.Events.Add(registryEvent with { Sequence = seq });
            _appended = true;
            return new(seq);
        }

        public ValueTask CommitAsync(CancellationToken ct)
        {
            ObjectDisposedException.ThrowIf(_done, this);
            lock (store._lock) store._state = s;
            _done = true;
            if (_appended) store.Signal.Notify();
            return ValueTask.CompletedTask;
        }

        /// <summary>Without a commit, the copy is dropped: nothing happened.</summary>
        public ValueTask DisposeAsync()
        {
            if (!_released)
            {
                _released = true;
                _done = true;
                store._writer.Release();
            }
            return ValueTask.CompletedTask;
        }

        private Repository Need(RepositoryName repository) =>
            s.Repo(repository) ?? throw new InvalidOperationException($"repository {repository} does not exist (EnsureRepositoryAsync first)");
    }
}
