using System.Diagnostics;
using Bollard.Core.Scanning.Advisories;
using Bollard.Scanning.Advisories.Import;
using Microsoft.Extensions.Logging;

namespace Bollard.Scanning.Advisories;

/// <summary>
/// The advisory database service: imports files into <see cref="IAdvisoryStore"/> incrementally and serves the
/// in-memory <see cref="AdvisoryIndex"/>.
/// <para>
/// An import reads the path (<see cref="AdvisoryReader"/>: format detected per file), hashes each advisory
/// (<see cref="AdvisoryJson.Hash"/>), compares with the feed's stored hashes and writes only what was added or
/// changed, in batches of <see cref="BatchSize"/> (each its own short transaction, so registry writes are not held
/// up), then deletes the feed's advisories the new snapshot no longer has, records the import, rebuilds the index
/// and swaps it in, and tells every <see cref="IAdvisoryImportListener"/>. Imports run one at a time. An import that
/// fails half-way leaves the batches already written; re-running it completes it (it is idempotent), and the index is
/// rebuilt either way. A path with no advisory at all is refused (nothing removed), so a wrong path cannot empty a feed.
/// </para>
/// </summary>
public sealed partial class AdvisoryDatabase : IDisposable
{
    public const int BatchSize = 500;

    private readonly IAdvisoryStore _store;
    private readonly Func<IEnumerable<IAdvisoryImportListener>> _listeners;
    private readonly TimeProvider _time;
    private readonly ILogger<AdvisoryDatabase> _logger;
    private readonly SemaphoreSlim _importLock = new(1, 1);
    private readonly Lock _indexLock = new();
    private Task<AdvisoryIndex>? _index;
    private long _indexImportId;

    public AdvisoryDatabase(IAdvisoryStore store, Func<IEnumerable<IAdvisoryImportListener>> listeners, TimeProvider time, ILogger<AdvisoryDatabase> logger)
    {
        _store = store;
        _listeners = listeners;
        _time = time;
        _logger = logger;
    }

    public IAdvisoryStore Store => _store;

    /// <summary>
    /// The current index: loaded from the store on first use, replaced after each import. An import by another
    /// process on the same database (<c>bollard db import</c> beside a running server) is noticed by the newest import
    /// id, read on each call (one indexed row), and the index is reloaded. A failed load is retried by the next call.
    /// </summary>
    public async Task<AdvisoryIndex> GetIndexAsync(CancellationToken ct)
    {
        var latest = await _store.ListImportsAsync(1, ct).ConfigureAwait(false);
        long latestId = latest.Count == 0 ? 0 : latest[0].Id;
        Task<AdvisoryIndex> index;
        lock (_indexLock)
        {
            if (_index is null || _index.IsFaulted || _index.IsCanceled || latestId > _indexImportId)
            {
                _index = LoadIndexAsync(CancellationToken.None);
                _indexImportId = latestId;
            }
            index = _index;
        }
        return await index.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// An index that holds, for each of <paramref name="keys"/>, exactly what the full index holds (other keys may be
    /// missing or partial): for a one-shot match (<c>bollard scan</c>), which then reads and deserializes only the
    /// advisories naming the image's packages (<see cref="IAdvisoryStore.ReadByKeysAsync"/>; a bookworm image names
    /// about a tenth of the Debian data) instead of the whole database. When the full index is already loaded and
    /// no newer import exists it is returned as is; a key-scoped index is never cached (it serves one match).
    /// </summary>
    public async Task<AdvisoryIndex> GetIndexForAsync(IReadOnlyCollection<AdvisoryKey> keys, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var latest = await _store.ListImportsAsync(1, ct).ConfigureAwait(false);
        long latestId = latest.Count == 0 ? 0 : latest[0].Id;
        Task<AdvisoryIndex>? loaded;
        lock (_indexLock) loaded = _index is { IsCompletedSuccessfully: true } && latestId <= _indexImportId ? _index : null;
        if (loaded is not null) return await loaded.ConfigureAwait(false);
        var some = new List<StoredAdvisory>();
        await foreach (var a in _store.ReadByKeysAsync(keys, ct).ConfigureAwait(false)) some.Add(a);
        return AdvisoryIndex.Build(some);
    }

    /// <exception cref="FileNotFoundException">The path does not exist.</exception>
    /// <exception cref="InvalidDataException">The path is not a directory or zip, or holds no advisory in a known format.</exception>
    public async Task<AdvisoryImportResult> ImportAsync(string path, AdvisoryImportOptions? options, CancellationToken ct)
    {
        options ??= new AdvisoryImportOptions();
        await _importLock.WaitAsync(ct).ConfigureAwait(false);
        AdvisoryImportResult result;
        try
        {
            result = await ImportLockedAsync(path, options, ct).ConfigureAwait(false);
        }
        finally
        {
            _importLock.Release();
        }
        foreach (var listener in _listeners())
        {
            try
            {
                await listener.OnImportedAsync(result, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.ListenerFailed(_logger, listener.GetType().Name, result.Record.Feed, e);
            }
        }
        return result;
    }

    private async Task<AdvisoryImportResult> ImportLockedAsync(string path, AdvisoryImportOptions options, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var context = new AdvisoryImportContext();
        AdvisoryReadResult read;
        string setName;
        using (var files = AdvisoryFileSet.Open(path))
        {
            setName = options.DisplayPath is { Length: > 0 } shown ? Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(shown)) : files.Name;
            read = await AdvisoryReader.ReadAsync(files, context, ct).ConfigureAwait(false);
        }
        if (read.Advisories.Count == 0)
            throw new InvalidDataException($"advisory import: {options.DisplayPath ?? path} holds no advisory in a known format (OSV, Debian tracker, Alpine/Wolfi secdb, GitHub vuln-list){(context.Messages.Count > 0 ? ": " + context.Messages[0] : "")}");
        string source = string.Join('+', read.Sources);
        string feed = string.IsNullOrWhiteSpace(options.Feed) ? (read.Sources.Count == 1 ? $"{source}:{setName}" : setName) : options.Feed.Trim();

        var stored = await _store.GetFeedStateAsync(feed, ct).ConfigureAwait(false);
        var changedKeys = new HashSet<AdvisoryKey>();
        var changedIds = new HashSet<string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var batch = new List<StoredAdvisory>(BatchSize);
        int added = 0, changed = 0, unchanged = 0;
        foreach (var advisory in read.Advisories)
        {
            if (!seen.Add(advisory.Id))
            {
                context.Warn($"{advisory.Id}: read twice from {advisory.Source} data, the first is kept");
                continue;
            }
            string hash = AdvisoryJson.Hash(AdvisoryJson.Serialize(advisory));
            if (stored.TryGetValue(advisory.Id, out var old))
            {
                if (old.Hash == hash)
                {
                    unchanged++;
                    continue;
                }
                changed++;
                changedKeys.UnionWith(old.Keys);
            }
            else added++;
            changedIds.Add(advisory.Id);
            foreach (var p in advisory.Affected) changedKeys.Add(p.Key);
            batch.Add(new StoredAdvisory(feed, advisory, hash));
            if (batch.Count >= BatchSize)
            {
                await _store.PutAsync(batch, ct).ConfigureAwait(false);
                batch = new List<StoredAdvisory>(BatchSize);
            }
        }
        await _store.PutAsync(batch, ct).ConfigureAwait(false);
        var removed = stored.Keys.Where(id => !seen.Contains(id)).ToList();
        foreach (var chunk in removed.Chunk(BatchSize))
        {
            await _store.DeleteAsync(feed, chunk, ct).ConfigureAwait(false);
        }
        foreach (string id in removed)
        {
            changedIds.Add(id);
            changedKeys.UnionWith(stored[id].Keys);
        }
        var record = await _store.RecordImportAsync(new AdvisoryImportRecord
        {
            ImportedAt = _time.GetUtcNow(),
            Feed = feed,
            Source = source,
            Path = options.DisplayPath ?? Path.GetFullPath(path),
            Added = added,
            Changed = changed,
            Removed = removed.Count,
            Unchanged = unchanged,
            Warnings = context.WarningCount,
            Duration = Stopwatch.GetElapsedTime(started),
        }, ct).ConfigureAwait(false);
        if (record.Added + record.Changed + record.Removed > 0 || _index is null)
        {
            var index = await LoadIndexAsync(ct).ConfigureAwait(false);
            lock (_indexLock)
            {
                _index = Task.FromResult(index);
                _indexImportId = record.Id;
            }
        }
        else
        {
            lock (_indexLock) _indexImportId = Math.Max(_indexImportId, record.Id);
        }
        Log.Imported(_logger, feed, record.Added, record.Changed, record.Removed, record.Unchanged, record.Warnings);
        return new AdvisoryImportResult { Record = record, Warnings = context.Messages.ToList(), ChangedKeys = changedKeys, ChangedAdvisoryIds = changedIds };
    }

    public void Dispose() => _importLock.Dispose();

    private async Task<AdvisoryIndex> LoadIndexAsync(CancellationToken ct)
    {
        var all = new List<StoredAdvisory>();
        await foreach (var a in _store.ReadAllAsync(ct).ConfigureAwait(false)) all.Add(a);
        return AdvisoryIndex.Build(all);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 8100, Level = LogLevel.Information, Message = "Advisory import into {Feed}: {Added} added, {Changed} changed, {Removed} removed, {Unchanged} unchanged, {Warnings} warnings")]
        public static partial void Imported(ILogger logger, string feed, int added, int changed, int removed, int unchanged, int warnings);

        [LoggerMessage(EventId = 8101, Level = LogLevel.Warning, Message = "Advisory import listener {Listener} failed after the import into {Feed}")]
        public static partial void ListenerFailed(ILogger logger, string listener, string feed, Exception exception);
    }
}
