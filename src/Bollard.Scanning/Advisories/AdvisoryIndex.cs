using System.Collections.Frozen;
using Bollard.Core.Scanning.Advisories;
using Bollard.Scanning.Matching;

namespace Bollard.Scanning.Advisories;

/// <summary>
/// The advisory database in memory, immutable: every affected package of every matchable advisory (withdrawn ones
/// left out) by its <see cref="AdvisoryKey"/>. Built once per import (<see cref="AdvisoryDatabase.GetIndexAsync"/>),
/// shared by any number of concurrent matches.
/// </summary>
public sealed class AdvisoryIndex
{
    private readonly FrozenDictionary<AdvisoryKey, AdvisoryIndexEntry[]> _entries;

    private AdvisoryIndex(FrozenDictionary<AdvisoryKey, AdvisoryIndexEntry[]> entries, int advisories)
    {
        _entries = entries;
        AdvisoryCount = advisories;
    }

    public static AdvisoryIndex Empty { get; } = new(FrozenDictionary<AdvisoryKey, AdvisoryIndexEntry[]>.Empty, 0);

    /// <summary>Advisories indexed (withdrawn ones not counted).</summary>
    public int AdvisoryCount { get; }

    /// <summary>Distinct (type, release, name) keys.</summary>
    public int KeyCount => _entries.Count;

    public IEnumerable<AdvisoryKey> Keys => _entries.Keys;

    /// <summary>The matcher's results against this index by (key, version), so images sharing a package match it once.</summary>
    internal MatchMemo Memo { get; } = new();

    /// <summary>The entries for a key (normalize with <see cref="AdvisoryKey.Create"/>); empty when none.</summary>
    public IReadOnlyList<AdvisoryIndexEntry> Lookup(AdvisoryKey key) => _entries.TryGetValue(key, out var list) ? list : [];

    public static AdvisoryIndex Build(IEnumerable<StoredAdvisory> advisories)
    {
        var map = new Dictionary<AdvisoryKey, List<AdvisoryIndexEntry>>();
        int count = 0;
        foreach (var stored in advisories)
        {
            if (stored.Advisory.Withdrawn is not null) continue;
            count++;
            foreach (var package in stored.Advisory.Affected)
            {
                var key = package.Key;
                if (!map.TryGetValue(key, out var list)) map[key] = list = [];
                list.Add(new AdvisoryIndexEntry(stored.Feed, stored.Advisory, package));
            }
        }
        return new AdvisoryIndex(map.ToFrozenDictionary(e => e.Key, e => e.Value.ToArray()), count);
    }
}
