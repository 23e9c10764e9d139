using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;

namespace Bollard.Scanning.Advisories.Import;

/// <summary>
/// The Debian security tracker to one advisory per CVE (or per DSA/DLA that names no CVE), keyed by source package and
/// release codename. Inputs: the per-entry JSON of aquasecurity/vuln-list-debian (<c>tracker/CVE/*.json</c>,
/// <c>tracker/DSA/*.json</c>) and the tracker's own <c>data/DSA/list</c> / <c>data/DLA/list</c> text.
/// <para>
/// The tracker's meaning, per CVE, package and release R: a <c>[R] - pkg ...</c> line of the CVE wins; else a DSA/DLA
/// that lists the CVE and has a <c>[R] - pkg V</c> line (a fix released by an advisory is recorded only there); else
/// the CVE's unstable line (no release) holds for R too, so <c>- pkg V</c> means versions from V on are not affected
/// in any release, and older ones are affected with no fix in R (<see cref="AffectedStatus.Unfixed"/>, note "fixed in
/// unstable"), and <c>- pkg &lt;unfixed&gt;</c> that every release is affected. Kinds: a version → fixed; <c>&lt;unfixed&gt;</c> → <see cref="AffectedStatus.Unfixed"/>;
/// <c>&lt;no-dsa&gt;</c>, <c>&lt;postponed&gt;</c>, <c>&lt;ignored&gt;</c>, <c>&lt;end-of-life&gt;</c> → affected with
/// no fix and that status; <c>&lt;not-affected&gt;</c> → not affected; <c>&lt;removed&gt;</c>,
/// <c>&lt;itp&gt;</c>, <c>&lt;undetermined&gt;</c> → nothing for that release. The line's urgency
/// (<c>unimportant</c>, <c>low</c>, <c>medium</c>, <c>high</c>) is kept, the unstable line's when R's has none.
/// </para>
/// </summary>
internal sealed partial class DebianTrackerBuilder(AdvisoryImportContext context)
{
    /// <summary>The releases an unstable-only line is applied to (besides <c>sid</c> itself).</summary>
    public static IReadOnlyList<string> Releases { get; } = ["stretch", "buster", "bullseye", "bookworm", "trixie", "forky", "sid"];

    private readonly Dictionary<string, CveEntry> _cves = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DsaEntry> _dsas = new(StringComparer.Ordinal);

    public void AddJson(string file, JsonElement root)
    {
        var header = root.Prop("Header");
        string? id = header?.Str("ID")?.Trim();
        if (string.IsNullOrEmpty(id))
        {
            context.Warn($"{file}: Debian tracker record without Header.ID");
            return;
        }
        var lines = new List<Line>();
        var refs = new List<string>();
        foreach (var a in root.Array("Annotations"))
        {
            switch (a.Str("Type"))
            {
                case "package":
                    if (a.Str("Package") is { Length: > 0 } package && a.Str("Kind") is { Length: > 0 } kind)
                        lines.Add(new Line(a.Str("Release"), package, kind, a.Str("Version"), a.Str("Description"), a.Str("Severity")));
                    break;
                case "xref":
                    refs.AddRange(a.Array("Bugs").Where(b => b.ValueKind == JsonValueKind.String).Select(b => b.GetString()!));
                    break;
            }
        }
        if (id.StartsWith("DSA-", StringComparison.Ordinal) || id.StartsWith("DLA-", StringComparison.Ordinal))
        {
            AddDsa(id, refs, lines);
            return;
        }
        var description = header?.Str("Description")?.Trim();
        if (description is { Length: > 1 } && description[0] == '(' && description[^1] == ')') description = description[1..^1];
        if (!_cves.TryAdd(id, new CveEntry(description, lines, refs))) context.Warn($"{file}: {id} appears twice, the first is kept");
    }

    /// <summary>The tracker's <c>data/DSA/list</c> or <c>data/DLA/list</c>.</summary>
    public void AddList(string file, byte[] bytes)
    {
        string? current = null;
        var cves = new List<string>();
        var lines = new List<Line>();
        int lineNo = 0;
        foreach (string raw in Encoding.UTF8.GetString(bytes).Split('\n'))
        {
            lineNo++;
            string text = raw.TrimEnd('\r');
            if (text.Length == 0) continue;
            if (!char.IsWhiteSpace(text[0]))
            {
                if (current is not null) AddDsa(current, cves, lines);
                cves = [];
                lines = [];
                var m = HeaderLine().Match(text);
                current = m.Success ? m.Groups[1].Value : null;
                if (current is null) context.Warn($"{file}:{lineNo}: not an advisory header, skipped");
                continue;
            }
            if (current is null) continue;
            string body = text.Trim();
            if (body.StartsWith('{'))
            {
                cves.AddRange(body.Trim('{', '}').Split(' ', StringSplitOptions.RemoveEmptyEntries));
                continue;
            }
            var p = PackageLine().Match(body);
            if (!p.Success) continue; // NOTE:, TODO: lines
            string rest = p.Groups[3].Value.Trim();
            var kind = KindPart().Match(rest);
            if (kind.Success) lines.Add(new Line(p.Groups[1].Value, p.Groups[2].Value, kind.Groups[1].Value, null, kind.Groups[2].Success ? kind.Groups[2].Value : null, null));
            else
            {
                string version = rest.Split(' ', 2)[0];
                lines.Add(new Line(p.Groups[1].Value, p.Groups[2].Value, "fixed", version, null, null));
            }
        }
        if (current is not null) AddDsa(current, cves, lines);
    }

    public IEnumerable<Advisory> Build()
    {
        // CVE -> the DSAs/DLAs that list it.
        var byCve = new Dictionary<string, List<DsaEntry>>(StringComparer.Ordinal);
        foreach (var dsa in _dsas.Values)
        {
            foreach (string cve in dsa.Cves)
            {
                if (!byCve.TryGetValue(cve, out var list)) byCve[cve] = list = [];
                list.Add(dsa);
            }
        }
        var ids = new SortedSet<string>(_cves.Keys, StringComparer.Ordinal);
        ids.UnionWith(byCve.Keys);
        foreach (string id in ids)
        {
            _cves.TryGetValue(id, out var cve);
            var dsas = byCve.TryGetValue(id, out var d) ? d : [];
            var affected = Affected(cve?.Lines ?? [], dsas);
            var aliases = new SortedSet<string>(dsas.Select(x => x.Id), StringComparer.Ordinal);
            if (cve is not null)
                foreach (string r in cve.Refs.Where(r => r.StartsWith("DSA-", StringComparison.Ordinal) || r.StartsWith("DLA-", StringComparison.Ordinal))) aliases.Add(r);
            yield return new Advisory { Source = AdvisorySources.Debian, Id = id, Aliases = aliases.ToList(), Summary = cve?.Description, Affected = affected };
        }
        foreach (var dsa in _dsas.Values.Where(x => x.Cves.Count == 0).OrderBy(x => x.Id, StringComparer.Ordinal))
            yield return new Advisory { Source = AdvisorySources.Debian, Id = dsa.Id, Summary = dsa.Id, Affected = Affected([], [dsa]) };
    }

    private static List<AffectedPackage> Affected(IReadOnlyList<Line> cveLines, List<DsaEntry> dsas)
    {
        var result = new List<AffectedPackage>();
        var packages = new SortedSet<string>(cveLines.Select(l => l.Package), StringComparer.Ordinal);
        foreach (var dsa in dsas) packages.UnionWith(dsa.Lines.Select(l => l.Package));
        foreach (string package in packages)
        {
            var sid = cveLines.FirstOrDefault(l => l.Package == package && l.Release is null);
            var releases = new SortedSet<string>(StringComparer.Ordinal);
            releases.UnionWith(cveLines.Where(l => l.Package == package && l.Release is not null).Select(l => l.Release!));
            foreach (var dsa in dsas) releases.UnionWith(dsa.Lines.Where(l => l.Package == package && l.Release is not null).Select(l => l.Release!));
            if (sid is not null) releases.UnionWith(Releases);
            foreach (string release in releases)
            {
                var line = cveLines.FirstOrDefault(l => l.Package == package && l.Release == release)
                    ?? dsas.SelectMany(x => x.Lines).FirstOrDefault(l => l.Package == package && l.Release == release)
                    ?? sid;
                if (line is null) continue;
                if (ToPackage(package, release, line, line.Severity ?? sid?.Severity) is not { } p) continue;
                // An unstable fix inherited by a release: versions from V on are not affected, older ones are, and the
                // release itself has no fix to upgrade to (the tracker shows it "vulnerable").
                if (ReferenceEquals(line, sid) && release != "sid" && p.Status == AffectedStatus.Affected)
                    p = p with { Status = AffectedStatus.Unfixed, Note = $"fixed in unstable ({line.Version}), not in {release}" };
                result.Add(p);
            }
        }
        return result;
    }

    private static AffectedPackage? ToPackage(string package, string release, Line line, string? severity)
    {
        IReadOnlyList<RangeEvent> open = [new RangeEvent(RangeEventKind.Introduced, "0")];
        var status = line.Kind switch
        {
            "fixed" => AffectedStatus.Affected,
            "unfixed" => AffectedStatus.Unfixed,
            "no-dsa" => AffectedStatus.NoDsa,
            "postponed" => AffectedStatus.Postponed,
            "ignored" => AffectedStatus.Ignored,
            "end-of-life" => AffectedStatus.EndOfLife,
            "not-affected" => AffectedStatus.NotAffected,
            _ => (AffectedStatus?)null, // removed, itp, undetermined: nothing to match in this release
        };
        if (status is null) return null;
        var ranges = status switch
        {
            AffectedStatus.NotAffected => [],
            AffectedStatus.Affected when line.Version is { Length: > 0 } v => [[open[0], new RangeEvent(RangeEventKind.Fixed, v)]],
            AffectedStatus.Affected => [],
            _ => new List<IReadOnlyList<RangeEvent>> { open },
        };
        if (status == AffectedStatus.Affected && ranges.Count == 0) return null;
        return new AffectedPackage
        {
            Type = PackageTypes.Deb, Release = release, Name = package, Ranges = ranges, Status = status.Value,
            Note = string.IsNullOrWhiteSpace(line.Note) ? null : line.Note.Trim(), Severity = string.IsNullOrWhiteSpace(severity) ? null : severity.Trim().ToLowerInvariant(),
        };
    }

    private void AddDsa(string id, List<string> refs, List<Line> lines)
    {
        var cves = refs.Where(r => !r.StartsWith("DSA-", StringComparison.Ordinal) && !r.StartsWith("DLA-", StringComparison.Ordinal)).Distinct(StringComparer.Ordinal).ToList();
        if (_dsas.TryGetValue(id, out var existing))
        {
            // The same DSA from the JSON records and the list: one entry, lines of both (first occurrence wins on conflict).
            existing.Cves.UnionWith(cves);
            existing.Lines.AddRange(lines.Where(l => !existing.Lines.Any(e => e.Package == l.Package && e.Release == l.Release)));
            return;
        }
        _dsas[id] = new DsaEntry(id, new SortedSet<string>(cves, StringComparer.Ordinal), lines.Where(l => l.Release is not null).ToList());
    }

    [GeneratedRegex(@"^\[[^\]]*\]\s+((?:DSA|DLA)-[0-9]+(?:-[0-9]+)?)\b")]
    private static partial Regex HeaderLine();

    [GeneratedRegex(@"^\[([a-z-]+)\]\s+-\s+(\S+)\s*(.*)$")]
    private static partial Regex PackageLine();

    [GeneratedRegex(@"^<([a-z-]+)>(?:\s*\((.*)\))?")]
    private static partial Regex KindPart();

    private sealed record Line(string? Release, string Package, string Kind, string? Version, string? Note, string? Severity);

    private sealed record CveEntry(string? Description, List<Line> Lines, List<string> Refs);

    private sealed record DsaEntry(string Id, SortedSet<string> Cves, List<Line> Lines);
}
