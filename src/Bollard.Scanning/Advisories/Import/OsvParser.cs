using System.Text.Json;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;

namespace Bollard.Scanning.Advisories.Import;

/// <summary>
/// One OSV record (https://ossf.github.io/osv-schema/) to an <see cref="Advisory"/>. <c>SEMVER</c> and
/// <c>ECOSYSTEM</c> ranges are kept as events; <c>GIT</c> ranges (commits) are dropped silently (nothing in an image
/// is matched by commit). An affected entry of an unknown ecosystem, a range without an <c>introduced</c> event or with
/// an event that is not one of the four kinds is skipped with a warning; the rest of the record is kept.
/// </summary>
public static class OsvParser
{
    /// <summary>Whether the root looks like an OSV record.</summary>
    public static bool Recognizes(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.Str("id") is not null
        && (root.TryGetProperty("affected", out _) || root.TryGetProperty("schema_version", out _) || root.TryGetProperty("modified", out _));

    public static Advisory? Parse(JsonElement root, string file, AdvisoryImportContext context)
    {
        string? id = root.Str("id");
        if (string.IsNullOrWhiteSpace(id))
        {
            context.Warn($"{file}: OSV record without an id");
            return null;
        }
        var affected = new List<AffectedPackage>();
        foreach (var entry in root.Array("affected"))
        {
            var package = entry.Prop("package");
            string? ecosystem = package?.Str("ecosystem");
            string? name = package?.Str("name");
            if (string.IsNullOrWhiteSpace(name))
            {
                context.Warn($"{file}: {id}: affected entry without a package name");
                continue;
            }
            if (!OsvEcosystems.TryMap(ecosystem, out string type, out string? release))
            {
                context.Warn($"{file}: {id}: unknown ecosystem '{ecosystem}' for {name}, skipped");
                continue;
            }
            var ranges = new List<IReadOnlyList<RangeEvent>>();
            bool hadRange = false;
            foreach (var range in entry.Array("ranges"))
            {
                string? rangeType = range.Str("type");
                if (rangeType == "GIT") continue;
                hadRange = true;
                if (rangeType is not ("SEMVER" or "ECOSYSTEM"))
                {
                    context.Warn($"{file}: {id}: {name}: unknown range type '{rangeType}', skipped");
                    continue;
                }
                if (ParseEvents(range, out var events, out string? error)) ranges.Add(events);
                else context.Warn($"{file}: {id}: {name}: bad range ({error}), skipped");
            }
            var versions = entry.Array("versions").Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!).Where(v => v.Length > 0).ToList();
            if (ranges.Count == 0 && versions.Count == 0)
            {
                if (!hadRange) context.Warn($"{file}: {id}: {name}: no range and no version, skipped");
                continue;
            }
            affected.Add(new AffectedPackage { Type = type, Release = release, Name = name, Ranges = ranges, Versions = versions });
        }

        var severities = new List<AdvisorySeverity>();
        foreach (var s in root.Array("severity"))
        {
            string? kind = s.Str("type");
            string? score = s.Str("score");
            if (kind is AdvisorySeverityKinds.CvssV2 or AdvisorySeverityKinds.CvssV3 or AdvisorySeverityKinds.CvssV4 && !string.IsNullOrWhiteSpace(score))
                severities.Add(new AdvisorySeverity(kind, score!.Trim(), null, null));
        }
        if (root.Prop("database_specific")?.Str("severity") is { Length: > 0 } word)
            severities.Add(new AdvisorySeverity(AdvisorySeverityKinds.Rating, null, null, word.ToLowerInvariant()));

        return new Advisory
        {
            Source = AdvisorySources.Osv,
            Id = id.Trim(),
            Aliases = root.Array("aliases").Where(a => a.ValueKind == JsonValueKind.String).Select(a => a.GetString()!.Trim())
                .Where(a => a.Length > 0 && a != id).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(),
            Summary = JsonHelpers.Summary(root.Str("summary"), root.Str("details")),
            Published = JsonHelpers.Time(root.Str("published")),
            Modified = JsonHelpers.Time(root.Str("modified")),
            Withdrawn = JsonHelpers.Time(root.Str("withdrawn")),
            Severities = severities,
            Affected = affected,
        };
    }

    private static bool ParseEvents(JsonElement range, out List<RangeEvent> events, out string? error)
    {
        events = [];
        error = null;
        foreach (var e in range.Array("events"))
        {
            if (e.ValueKind != JsonValueKind.Object)
            {
                error = "an event is not an object";
                return false;
            }
            RangeEvent? parsed = null;
            foreach (var p in e.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String || parsed is not null)
                {
                    error = $"event '{p.Name}' is not one string";
                    return false;
                }
                string v = p.Value.GetString()!.Trim();
                RangeEventKind? kind = p.Name switch
                {
                    "introduced" => RangeEventKind.Introduced,
                    "fixed" => RangeEventKind.Fixed,
                    "last_affected" => RangeEventKind.LastAffected,
                    "limit" => RangeEventKind.Limit,
                    _ => null,
                };
                if (kind is null || v.Length == 0)
                {
                    error = $"unknown or empty event '{p.Name}'";
                    return false;
                }
                parsed = new RangeEvent(kind.Value, v);
            }
            if (parsed is null)
            {
                error = "empty event";
                return false;
            }
            events.Add(parsed);
        }
        if (!events.Any(e => e.Kind == RangeEventKind.Introduced))
        {
            error = "no introduced event";
            return false;
        }
        return true;
    }
}
