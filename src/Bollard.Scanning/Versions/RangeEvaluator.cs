using Bollard.Core.Scanning;

namespace Bollard.Scanning.Versions;

/// <summary>
/// OSV range evaluation (https://ossf.github.io/osv-schema/, "Evaluation"): the events of one range are sorted by
/// version (<c>introduced "0"</c> first) and walked in order; an <c>introduced</c> at or below the version turns
/// "affected" on, a <c>fixed</c> at or below it (exclusive bound) or a <c>last_affected</c> below it (inclusive
/// bound) turns it off. Several introduced/fixed pairs in one range work the same way. <c>limit</c> events are an
/// upper bound on the whole range: the version must be below at least one of them (<c>limit "*"</c> = none).
/// Thread-safe; no state.
/// </summary>
/// <remarks>
/// A version the scheme cannot parse (the installed one or one in an event) makes <see cref="IsAffected"/> throw
/// <see cref="FormatException"/>, which the matcher reports as a scan warning for that package and advisory; use
/// <see cref="TryIsAffected"/> to get the reason without an exception. Nothing is guessed: a broken range is never
/// silently "not affected".
/// </remarks>
public static class RangeEvaluator
{
    /// <summary>Whether <paramref name="version"/> falls inside the range described by <paramref name="events"/>.</summary>
    /// <exception cref="FormatException">The version or an event version is not valid for <paramref name="scheme"/>.</exception>
    public static bool IsAffected(IVersionScheme scheme, IReadOnlyList<RangeEvent> events, string version) =>
        TryIsAffected(scheme, events, version, out bool affected, out string? error) ? affected : throw new FormatException(error);

    /// <summary>As <see cref="IsAffected"/>, returning false with the reason when a version cannot be parsed.</summary>
    public static bool TryIsAffected(IVersionScheme scheme, IReadOnlyList<RangeEvent> events, string version,
        out bool affected, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(version);
        try
        {
            return Evaluate(scheme, events, version, out affected, out error);
        }
        catch (FormatException e)
        {
            // A scheme whose IsValid let through something its Compare refuses: still a warning, never a crash.
            affected = false;
            error = e.Message;
            return false;
        }
    }

    private static bool Evaluate(IVersionScheme scheme, IReadOnlyList<RangeEvent> events, string version,
        out bool affected, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        affected = false;
        if (!scheme.IsValid(version))
        {
            error = $"Installed version '{version}' is not a valid {scheme.PackageType} version.";
            return false;
        }
        bool anyLimit = false, belowALimit = false;
        int ordinary = 0;
        foreach (RangeEvent e in events)
        {
            if (e.Kind == RangeEventKind.Limit)
            {
                if (e.Version == "*") continue;
                if (!scheme.IsValid(e.Version))
                {
                    error = $"Range limit '{e.Version}' is not a valid {scheme.PackageType} version.";
                    return false;
                }
                anyLimit = true;
                belowALimit |= scheme.Compare(version, e.Version) < 0;
                continue;
            }
            if (!IsZero(e) && !scheme.IsValid(e.Version))
            {
                error = $"Range event {e.Kind} '{e.Version}' is not a valid {scheme.PackageType} version.";
                return false;
            }
            ordinary++;
        }
        error = null;
        if (anyLimit && !belowALimit) return true;

        var ordered = new RangeEvent[ordinary];
        int n = 0;
        foreach (RangeEvent e in events)
        {
            if (e.Kind != RangeEventKind.Limit) ordered[n++] = e;
        }
        // Stable insertion sort by version (ranges hold a handful of events, usually already in order); at equal
        // versions an introduced comes first, so "introduced X, fixed X" is empty.
        for (int i = 1; i < ordered.Length; i++)
        {
            RangeEvent current = ordered[i];
            int j = i - 1;
            while (j >= 0 && Order(scheme, ordered[j], current) > 0)
            {
                ordered[j + 1] = ordered[j];
                j--;
            }
            ordered[j + 1] = current;
        }

        foreach (RangeEvent e in ordered)
        {
            switch (e.Kind)
            {
                case RangeEventKind.Introduced when IsZero(e) || scheme.Compare(version, e.Version) >= 0:
                    affected = true;
                    break;
                case RangeEventKind.Fixed when scheme.Compare(version, e.Version) >= 0:
                    affected = false;
                    break;
                case RangeEventKind.LastAffected when scheme.Compare(version, e.Version) > 0:
                    affected = false;
                    break;
            }
        }
        return true;
    }

    /// <summary>
    /// Whether <paramref name="version"/> is one of an advisory's explicitly listed affected versions (OSV
    /// <c>affected[].versions</c>): the same string, or equal in the scheme's order (<c>1.0</c> = <c>1.0.0</c> for
    /// NuGet). Listed entries the scheme cannot parse only match by string.
    /// </summary>
    public static bool IsListed(IVersionScheme scheme, IEnumerable<string> versions, string version)
    {
        ArgumentNullException.ThrowIfNull(scheme);
        ArgumentNullException.ThrowIfNull(versions);
        bool valid = scheme.IsValid(version);
        foreach (string listed in versions)
        {
            if (string.Equals(listed, version, StringComparison.Ordinal)) return true;
            if (valid && scheme.IsValid(listed) && scheme.Compare(listed, version) == 0) return true;
        }
        return false;
    }

    private static bool IsZero(RangeEvent e) => e.Kind == RangeEventKind.Introduced && e.Version == "0";

    private static int Order(IVersionScheme scheme, RangeEvent x, RangeEvent y)
    {
        bool zx = IsZero(x), zy = IsZero(y);
        int c = zx || zy ? (zx == zy ? 0 : zx ? -1 : 1) : scheme.Compare(x.Version, y.Version);
        return c != 0 ? c : Rank(x).CompareTo(Rank(y));
    }

    private static int Rank(RangeEvent e) => e.Kind == RangeEventKind.Introduced ? 0 : 1;
}
