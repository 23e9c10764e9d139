using System.Text.Json;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;

namespace Bollard.Scanning.Advisories.Import;

/// <summary>
/// GitHub advisories in the form aquasecurity/vuln-list stores them (GitHub's GraphQL <c>SecurityVulnerability</c>:
/// one file per package and GHSA, <c>Versions[].VulnerableVersionRange</c> such as <c>&gt;= 1.0.0, &lt; 1.12.0</c>),
/// merged to one advisory per GHSA id. Range terms: <c>&gt;= V</c> → introduced V (0 when absent), <c>&lt; V</c> →
/// fixed V, <c>&lt;= V</c> → last_affected V, <c>= V</c> → that version only; <c>&gt; V</c> has no OSV event and is a
/// warning (the range is skipped).
/// </summary>
internal sealed class GhsaVulnListBuilder(AdvisoryImportContext context)
{
    private readonly SortedDictionary<string, Advisory> _advisories = new(StringComparer.Ordinal);

    public void Add(string file, JsonElement root)
    {
        var advisory = root.Prop("Advisory");
        string? id = advisory?.Str("GhsaId");
        string? ecosystem = root.Prop("Package")?.Str("Ecosystem");
        string? name = root.Prop("Package")?.Str("Name");
        if (advisory is not { } a || string.IsNullOrWhiteSpace(id) || string.IsNullOrWhiteSpace(name))
        {
            context.Warn($"{file}: GitHub advisory without GhsaId or package name, skipped");
            return;
        }
        string? type = ecosystem?.ToUpperInvariant() switch
        {
            "NPM" => PackageTypes.Npm,
            "PIP" => PackageTypes.PyPI,
            "NUGET" => PackageTypes.NuGet,
            "GO" => PackageTypes.Golang,
            "MAVEN" => PackageTypes.Maven,
            "RUBYGEMS" => PackageTypes.Gem,
            "RUST" => PackageTypes.Cargo,
            _ => null,
        };
        var packages = new List<AffectedPackage>();
        if (type is null) context.Warn($"{file}: {id}: unknown ecosystem '{ecosystem}', skipped");
        else
        {
            var ranges = new List<IReadOnlyList<RangeEvent>>();
            var versions = new List<string>();
            foreach (var v in root.Array("Versions"))
            {
                string? range = v.Str("VulnerableVersionRange");
                if (string.IsNullOrWhiteSpace(range)) continue;
                if (!ParseRange(range, ranges, versions)) context.Warn($"{file}: {id}: {name}: unsupported range '{range}', skipped");
            }
            if (ranges.Count > 0 || versions.Count > 0) packages.Add(new AffectedPackage { Type = type, Name = name.Trim(), Ranges = ranges, Versions = versions });
        }
        var severities = new List<AdvisorySeverity>();
        var cvss = a.Prop("CVSS");
        if (cvss?.Str("VectorString") is { Length: > 0 } vector)
        {
            double? score = cvss.Value.Prop("Score") is { ValueKind: JsonValueKind.Number } s ? s.GetDouble() : null;
            string kind = vector.StartsWith("CVSS:4", StringComparison.Ordinal) ? AdvisorySeverityKinds.CvssV4
                : vector.StartsWith("CVSS:3", StringComparison.Ordinal) ? AdvisorySeverityKinds.CvssV3 : AdvisorySeverityKinds.CvssV2;
            severities.Add(new AdvisorySeverity(kind, vector, score is > 0 ? score : null, null));
        }
        if ((a.Str("Severity") ?? root.Str("Severity")) is { Length: > 0 } word)
            severities.Add(new AdvisorySeverity(AdvisorySeverityKinds.Rating, null, null, string.Equals(word, "moderate", StringComparison.OrdinalIgnoreCase) ? Severities.Medium : word.ToLowerInvariant()));
        var aliases = a.Array("Identifiers").Select(i => i.Str("Value")).OfType<string>().Where(x => x != id).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var parsed = new Advisory
        {
            Source = AdvisorySources.Ghsa,
            Id = id.Trim(),
            Aliases = aliases,
            Summary = JsonHelpers.Summary(a.Str("Summary"), a.Str("Description")),
            Published = JsonHelpers.Time(a.Str("PublishedAt")),
            Modified = JsonHelpers.Time(a.Str("UpdatedAt")),
            Withdrawn = JsonHelpers.Time(a.Str("WithdrawnAt")),
            Severities = severities,
            Affected = packages,
        };
        if (_advisories.TryGetValue(parsed.Id, out var existing))
            parsed = existing with { Affected = [.. existing.Affected, .. packages] };
        _advisories[parsed.Id] = parsed;
    }

    public IEnumerable<Advisory> Build() => _advisories.Values.Select(a => a with
    {
        Affected = a.Affected.OrderBy(p => p.Type, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal).ToList(),
    });

    /// <summary>One <c>VulnerableVersionRange</c>; false when it has a term OSV events cannot say.</summary>
    internal static bool ParseRange(string range, List<IReadOnlyList<RangeEvent>> ranges, List<string> versions)
    {
        string? introduced = null, fixedVersion = null, lastAffected = null, exact = null;
        foreach (string term in range.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string op = term.StartsWith(">=", StringComparison.Ordinal) || term.StartsWith("<=", StringComparison.Ordinal) ? term[..2]
                : term.StartsWith('<') || term.StartsWith('>') || term.StartsWith('=') ? term[..1] : "";
            string version = term[op.Length..].Trim();
            if (version.Length == 0) return false;
            switch (op)
            {
                case ">=": introduced = version; break;
                case "<": fixedVersion = version; break;
                case "<=": lastAffected = version; break;
                case "=": case "": exact = version; break;
                default: return false;
            }
        }
        if (exact is not null)
        {
            if (introduced is not null || fixedVersion is not null || lastAffected is not null) return false;
            versions.Add(exact);
            return true;
        }
        var events = new List<RangeEvent> { new(RangeEventKind.Introduced, introduced ?? "0") };
        if (fixedVersion is not null) events.Add(new RangeEvent(RangeEventKind.Fixed, fixedVersion));
        else if (lastAffected is not null) events.Add(new RangeEvent(RangeEventKind.LastAffected, lastAffected));
        ranges.Add(events);
        return true;
    }
}
