using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;
using Bollard.Scanning.Advisories;
using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Matching;

/// <summary>
/// Matches an inventory against the advisory index: pure, thread-safe, reads no layer.
/// <list type="bullet">
/// <item>OS packages (<c>deb</c>, <c>apk</c>) by their source package (dpkg <c>Source:</c>, apk origin) and source
/// version, in the release derived from the image's <see cref="OsInfo"/> (<see cref="OsRelease"/>); language packages
/// by type and name (names normalized per ecosystem by <see cref="AdvisoryKey.Create"/>).</item>
/// <item>Affected when a range contains the version (<see cref="RangeEvaluator"/> with the ecosystem's
/// <see cref="VersionSchemes"/>) or it is listed; a <see cref="AffectedStatus.NotAffected"/> entry never matches. The
/// fixed version is the lowest <c>fixed</c> event above the installed version of the ranges that contain it; none
/// means <see cref="FindingStatus.Unfixed"/> (the Debian status and note, e.g. <c>no-dsa: Minor issue</c>, is the
/// reason).</item>
/// <item>One finding per (vulnerability, package): matches of one package whose ids or aliases overlap (GO-… and
/// GHSA-… for one Go flaw, the GHSA from OSV and from vuln-list) are one vulnerability; the kept finding is the
/// distribution's for OS packages, else the GitHub advisory's, else the first by id, and carries the others' ids as
/// aliases. A Debian CVE and an Alpine CVE never meet (they key different packages).</item>
/// <item>Severity: the distribution's rating for OS packages (Debian urgency; <c>unimportant</c> is negligible), else
/// CVSS: the v4 score (given, or computed from the vector by <see cref="Cvss4"/>), else the v3 base score (given or
/// computed from the vector), else the source's word (GHSA
/// <c>database_specific.severity</c>), else unknown. The CVSS vector and score are reported whenever known.</item>
/// </list>
/// A version a scheme cannot parse, or an ecosystem without a version order, is a warning (when a list is passed),
/// never an exception.
/// </summary>
public static class AdvisoryMatcher
{
    public static IReadOnlyList<Finding> Match(ImageInventory inventory, AdvisoryIndex index) => Match(inventory, index, null);

    public static IReadOnlyList<Finding> Match(ImageInventory inventory, AdvisoryIndex index, ICollection<string>? warnings)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        ArgumentNullException.ThrowIfNull(index);
        var findings = new List<Finding>();
        HashSet<string>? warnedTypes = null;
        var matches = new List<Hit>();
        foreach (var package in inventory.Packages)
        {
            bool os = IsOs(package);
            if (!TryKey(inventory, package, out var key, out string version))
            {
                if (warnings is not null && (warnedTypes ??= []).Add("release:" + package.Type))
                    warnings.Add($"{package.Type} packages not matched: no advisory release for the image's OS ({inventory.Os?.Id ?? "no os-release"} {inventory.Os?.VersionId})");
                continue;
            }
            var entries = index.Lookup(key);
            if (entries.Count == 0) continue;
            var scheme = VersionSchemes.ForPackageType(package.Type);
            if (scheme is null)
            {
                if (warnings is not null && (warnedTypes ??= []).Add(package.Type))
                    warnings.Add($"{package.Type} packages not matched: no version order for this ecosystem");
                continue;
            }
            // One (key, version) matches the same way in every image: a base layer shared by thousands of images is
            // evaluated once per index (bench/README.md, "Advisory re-match"); only the package's own fields differ.
            if (!index.Memo.TryGet(key, version, out var result))
            {
                result = MatchOne(entries, scheme, version, os, matches);
                index.Memo.TryAdd(key, version, result);
            }
            if (warnings is not null)
                foreach (var (advisoryId, error) in result.Errors) warnings.Add($"{package.Purl}: {advisoryId}: {error}");
            foreach (var template in result.Findings)
            {
                findings.Add(template with
                {
                    PackageType = package.Type, PackageName = package.Name, InstalledVersion = package.Version, Purl = package.Purl,
                    Path = package.Path, LayerDigest = package.LayerDigest,
                });
            }
        }
        return findings;
    }

    /// <summary>The findings of one (key, version) with the package's own fields left empty, and the versions that could not be ordered.</summary>
    private static PackageMatch MatchOne(IReadOnlyList<AdvisoryIndexEntry> entries, IVersionScheme scheme, string version, bool os, List<Hit> matches)
    {
        matches.Clear();
        List<(string, string)>? errors = null;
        foreach (var entry in entries)
        {
            if (entry.Package.Status == AffectedStatus.NotAffected) continue;
            if (Evaluate(scheme, entry.Package, version, out string? fixedVersion, out string? error))
                matches.Add(new Hit(entry, entry.Package.Status == AffectedStatus.Affected ? fixedVersion : null));
            else if (error is not null) (errors ??= []).Add((entry.Advisory.Id, error));
        }
        if (matches.Count == 0) return errors is null ? PackageMatch.None : new PackageMatch([], errors.ToArray());
        var findings = new List<Finding>();
        foreach (var group in Group(matches)) findings.Add(ToFinding(Blank, group, os));
        return new PackageMatch(findings.ToArray(), errors?.ToArray() ?? []);
    }

    /// <summary>The package a memoized finding is made for; <see cref="Match(ImageInventory, AdvisoryIndex, ICollection{string})"/> fills in the real one.</summary>
    private static readonly ScanPackage Blank = new() { Type = "", Name = "", Version = "", Purl = "", Path = "" };

    /// <summary>
    /// The index keys <see cref="Match(ImageInventory, AdvisoryIndex)"/> looks up for this inventory: what
    /// <see cref="AdvisoryDatabase.GetIndexForAsync"/> needs to load for a one-shot match.
    /// </summary>
    public static IReadOnlySet<AdvisoryKey> KeysOf(ImageInventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var keys = new HashSet<AdvisoryKey>();
        foreach (var package in inventory.Packages)
            if (TryKey(inventory, package, out var key, out _)) keys.Add(key);
        return keys;
    }

    private static bool IsOs(ScanPackage package) => package.Type is PackageTypes.Deb or PackageTypes.Apk or PackageTypes.Rpm;

    /// <summary>
    /// The key and version a package is matched by: OS packages by source name (and dpkg source version) in the image's
    /// release, language packages by type and name. False for an OS package whose release is not known.
    /// </summary>
    private static bool TryKey(ImageInventory inventory, ScanPackage package, out AdvisoryKey key, out string version)
    {
        bool os = IsOs(package);
        string? release = null;
        if (os)
        {
            release = OsRelease.For(inventory.Os, package.Type, out bool known);
            if (!known)
            {
                key = default;
                version = "";
                return false;
            }
        }
        string name = os ? package.SourceName ?? package.Name : package.Name;
        version = os && package.Type == PackageTypes.Deb ? package.SourceVersion ?? package.Version : package.Version;
        key = AdvisoryKey.Create(package.Type, release, name);
        return true;
    }

    /// <summary>Whether the version is affected, and the lowest fixed version above it; false with an error when a version cannot be ordered.</summary>
    internal static bool Evaluate(IVersionScheme scheme, AffectedPackage affected, string version, out string? fixedVersion, out string? error)
    {
        fixedVersion = null;
        error = null;
        bool hit = false;
        foreach (var range in affected.Ranges)
        {
            if (!RangeEvaluator.TryIsAffected(scheme, range, version, out bool inRange, out string? e))
            {
                error = e;
                continue;
            }
            if (!inRange) continue;
            hit = true;
            foreach (var ev in range)
            {
                if (ev.Kind != RangeEventKind.Fixed || scheme.Compare(ev.Version, version) <= 0) continue;
                if (fixedVersion is null || scheme.Compare(ev.Version, fixedVersion) < 0) fixedVersion = ev.Version;
            }
        }
        if (!hit && affected.Versions.Count > 0 && RangeEvaluator.IsListed(scheme, affected.Versions, version)) hit = true;
        if (hit) error = null;
        return hit;
    }

    private static IEnumerable<List<Hit>> Group(List<Hit> matches)
    {
        if (matches.Count == 1)
        {
            yield return [matches[0]];
            yield break;
        }
        // Union of matches sharing an id or alias (small: the advisories of one package).
        var groups = new List<(HashSet<string> Ids, List<Hit> Members)>();
        foreach (var m in matches)
        {
            var ids = new HashSet<string>(m.Entry.Advisory.Aliases.Append(m.Entry.Advisory.Id), StringComparer.OrdinalIgnoreCase);
            var joined = groups.Where(g => g.Ids.Overlaps(ids)).ToList();
            var target = (Ids: ids, Members: new List<Hit> { m });
            foreach (var g in joined)
            {
                target.Ids.UnionWith(g.Ids);
                target.Members.AddRange(g.Members);
                groups.Remove(g);
            }
            groups.Add(target);
        }
        foreach (var g in groups) yield return g.Members;
    }

    private static int SourceRank(string source, bool os) => source switch
    {
        AdvisorySources.Debian or AdvisorySources.Alpine or AdvisorySources.Wolfi => os ? 0 : 3,
        AdvisorySources.Ghsa => 1,
        _ => 2,
    };

    private static Finding ToFinding(ScanPackage package, List<Hit> group, bool os)
    {
        var kept = group.OrderBy(m => SourceRank(m.Entry.Advisory.Source, os))
            .ThenBy(m => m.Entry.Advisory.Id.StartsWith("GHSA-", StringComparison.Ordinal) ? 0 : 1)
            .ThenBy(m => m.Entry.Advisory.Id, StringComparer.Ordinal).First();
        var advisory = kept.Entry.Advisory;
        var aliases = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var m in group)
        {
            aliases.Add(m.Entry.Advisory.Id);
            aliases.UnionWith(m.Entry.Advisory.Aliases);
        }
        aliases.Remove(advisory.Id);
        var (severity, score, vector) = Rate(group.Select(m => m.Entry.Advisory).Prepend(advisory), os ? kept.Entry.Package.Severity : null);
        var status = kept.FixedVersion is null ? FindingStatus.Unfixed : FindingStatus.Affected;
        string? reason = kept.Entry.Package.Status switch
        {
            AffectedStatus.NoDsa => Reason("no-dsa", kept.Entry.Package.Note),
            AffectedStatus.Postponed => Reason("postponed", kept.Entry.Package.Note),
            AffectedStatus.Ignored => Reason("ignored", kept.Entry.Package.Note),
            AffectedStatus.EndOfLife => Reason("end-of-life", kept.Entry.Package.Note),
            AffectedStatus.Unfixed => Reason("unfixed", kept.Entry.Package.Note),
            _ => kept.Entry.Package.Note,
        };
        return new Finding
        {
            AdvisoryId = advisory.Id,
            Aliases = aliases.ToList(),
            Source = advisory.Source,
            PackageType = package.Type,
            PackageName = package.Name,
            InstalledVersion = package.Version,
            FixedVersion = kept.FixedVersion,
            Severity = severity,
            CvssScore = score,
            CvssVector = vector,
            Summary = advisory.Summary ?? group.Select(m => m.Entry.Advisory.Summary).FirstOrDefault(s => s is not null),
            Purl = package.Purl,
            Path = package.Path,
            LayerDigest = package.LayerDigest,
            Status = status,
            StatusReason = reason,
        };
    }

    private static string Reason(string status, string? note) => string.IsNullOrWhiteSpace(note) ? status : $"{status}: {note}";

    /// <summary>Severity word, CVSS score and vector for a finding (see the type's doc for the order).</summary>
    internal static (string Severity, double? Score, string? Vector) Rate(IEnumerable<Advisory> advisories, string? distroRating)
    {
        double? score = null;
        string? vector = null, word = null;
        int rank = int.MaxValue;
        foreach (var a in advisories)
        {
            foreach (var s in a.Severities)
            {
                // Preference: v4 (score computed from the vector when none is given) (0), v3 (likewise) (1), a v4 vector that
                // does not score (2), v2 with a score (3).
                double? v4 = s.Kind == AdvisorySeverityKinds.CvssV4 ? s.Score ?? Cvss4.Score(s.Vector) : null;
                (int r, double? sc) = s.Kind switch
                {
                    AdvisorySeverityKinds.CvssV4 when v4 is not null => (0, v4),
                    AdvisorySeverityKinds.CvssV3 => (1, s.Score ?? Cvss.V3BaseScore(s.Vector)),
                    AdvisorySeverityKinds.CvssV4 => (2, null),
                    AdvisorySeverityKinds.CvssV2 when s.Score is not null => (3, s.Score),
                    _ => (int.MaxValue, null),
                };
                if (s.Kind == AdvisorySeverityKinds.Rating && word is null && !string.IsNullOrWhiteSpace(s.Rating)) word = s.Rating;
                if (r == int.MaxValue || (r == 1 && sc is null)) continue;
                if (r < rank)
                {
                    rank = r;
                    score = sc;
                    vector = s.Vector;
                }
            }
        }
        string? distro = DistroSeverity(distroRating);
        if (distro is not null) return (distro, score, vector);
        if (score is not null) return (Severities.FromCvss(score.Value), score, vector);
        if (word is not null) return (WordSeverity(word), null, vector);
        return (Severities.Unknown, null, vector);
    }

    /// <summary>Debian urgency (and similar distro words) to a severity; null when there is none to use.</summary>
    internal static string? DistroSeverity(string? rating) => rating?.Trim().ToLowerInvariant() switch
    {
        null or "" or "not yet assigned" or "unknown" => null,
        "unimportant" or "negligible" => Severities.Negligible,
        "low" or "low**" => Severities.Low,
        "medium" or "medium**" or "moderate" => Severities.Medium,
        "high" or "high**" or "important" => Severities.High,
        "critical" => Severities.Critical,
        _ => null,
    };

    private static string WordSeverity(string word) => word.Trim().ToLowerInvariant() switch
    {
        "critical" => Severities.Critical,
        "high" => Severities.High,
        "moderate" or "medium" => Severities.Medium,
        "low" => Severities.Low,
        _ => Severities.Unknown,
    };

    private readonly record struct Hit(AdvisoryIndexEntry Entry, string? FixedVersion);
}
