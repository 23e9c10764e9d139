namespace Bollard.Core.Scanning.Advisories;

/// <summary>
/// The stored advisory database. Advisories are grouped in <em>feeds</em>: the named data set one import replaces
/// (<c>osv:go</c>, <c>debian:debian</c>, <c>alpine:secdb</c>; see <see cref="StoredAdvisory.Feed"/>), so that a
/// re-import of a newer snapshot of a feed removes only that feed's advisories that disappeared. Within a feed an
/// advisory is unique by id. Writes are small transactions (a batch of advisories each), so an import never holds the
/// metadata writer for long; the incremental logic (hash comparison) is the caller's (<c>AdvisoryDatabase</c>).
/// Thread-safe.
/// </summary>
public interface IAdvisoryStore
{
    /// <summary>Id, content hash and index keys of every advisory stored for <paramref name="feed"/> (empty for a new feed).</summary>
    Task<IReadOnlyDictionary<string, StoredAdvisoryState>> GetFeedStateAsync(string feed, CancellationToken ct);

    /// <summary>Inserts or replaces advisories (by feed and id) in one transaction. Idempotent.</summary>
    Task PutAsync(IReadOnlyList<StoredAdvisory> advisories, CancellationToken ct);

    /// <summary>Deletes the advisories of <paramref name="feed"/> with these ids in one transaction; unknown ids are ignored.</summary>
    Task DeleteAsync(string feed, IReadOnlyCollection<string> ids, CancellationToken ct);

    /// <summary>Every stored advisory, in no particular order (streamed: the index is built from it).</summary>
    IAsyncEnumerable<StoredAdvisory> ReadAllAsync(CancellationToken ct);

    /// <summary>
    /// Every stored advisory, from every feed, of which an affected package has one of <paramref name="keys"/>, each
    /// once, in no particular order (streamed); nothing for no keys. Read from one snapshot, like
    /// <see cref="ReadAllAsync"/>: for those keys, an index built from it holds exactly what the full one holds.
    /// </summary>
    IAsyncEnumerable<StoredAdvisory> ReadByKeysAsync(IReadOnlyCollection<AdvisoryKey> keys, CancellationToken ct);

    /// <summary>The advisories whose id or one of whose aliases is <paramref name="id"/> (case-insensitive), from every feed; empty when none.</summary>
    Task<IReadOnlyList<StoredAdvisory>> FindAsync(string id, CancellationToken ct);

    /// <summary>Appends an import to the history and returns it with its id.</summary>
    Task<AdvisoryImportRecord> RecordImportAsync(AdvisoryImportRecord record, CancellationToken ct);

    /// <summary>The newest imports first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<AdvisoryImportRecord>> ListImportsAsync(int limit, CancellationToken ct);

    /// <summary>Number of stored advisories per feed.</summary>
    Task<IReadOnlyDictionary<string, int>> CountByFeedAsync(CancellationToken ct);
}
