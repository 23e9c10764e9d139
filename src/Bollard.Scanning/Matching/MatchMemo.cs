using System.Collections.Concurrent;
using Bollard.Core.Scanning.Advisories;

namespace Bollard.Scanning.Matching;

/// <summary>
/// The matches already computed against one <see cref="Advisories.AdvisoryIndex"/>, by (key, version): the index is
/// immutable and replaced by every import, so an entry is never stale and the memo goes with its index. Bounded: at
/// most <see cref="MaxEntries"/> entries and <see cref="MaxFindings"/> finding templates (a registry of many distinct
/// package versions cannot grow it without end); past that, matches are computed each time. Thread-safe.
/// </summary>
internal sealed class MatchMemo
{
    public const int MaxEntries = 200_000;
    public const int MaxFindings = 500_000;

    private readonly ConcurrentDictionary<(AdvisoryKey Key, string Version), PackageMatch> _entries = new();
    private int _findings;

    public int Count => _entries.Count;

    public bool TryGet(AdvisoryKey key, string version, out PackageMatch match) =>
        _entries.TryGetValue((key, version), out match!);

    public void TryAdd(AdvisoryKey key, string version, PackageMatch match)
    {
        if (_entries.Count >= MaxEntries) return;
        if (Interlocked.Add(ref _findings, match.Findings.Length) > MaxFindings)
        {
            Interlocked.Add(ref _findings, -match.Findings.Length);
            return;
        }
        if (!_entries.TryAdd((key, version), match)) Interlocked.Add(ref _findings, -match.Findings.Length);
    }
}
