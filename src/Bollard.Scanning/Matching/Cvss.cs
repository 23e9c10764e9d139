using System.Globalization;

namespace Bollard.Scanning.Matching;

/// <summary>
/// CVSS base scores from vectors (OSV and GitHub give vectors only). v3.0 and v3.1 use FIRST's specification
/// (https://www.first.org/cvss/v3.1/specification-document, section 7.1, with the v3.1 <c>Roundup</c> of Appendix A).
/// v4.0 vectors are scored by <see cref="Cvss4"/>.
/// </summary>
public static class Cvss
{
    /// <summary>The base score of a <c>CVSS:3.0/...</c> or <c>CVSS:3.1/...</c> vector, or null when it is not a complete, valid v3 base vector.</summary>
    public static double? V3BaseScore(string? vector)
    {
        if (string.IsNullOrWhiteSpace(vector)) return null;
        var parts = vector.Trim().Split('/');
        if (parts.Length < 9 || parts[0] is not ("CVSS:3.0" or "CVSS:3.1")) return null;
        var m = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in parts.Skip(1))
        {
            int colon = part.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) return null;
            if (!m.TryAdd(part[..colon], part[(colon + 1)..])) return null;
        }
        if (!m.TryGetValue("S", out string? s) || s is not ("U" or "C")) return null;
        bool changed = s == "C";
        double? av = Get(m, "AV") switch { "N" => 0.85, "A" => 0.62, "L" => 0.55, "P" => 0.2, _ => null };
        double? ac = Get(m, "AC") switch { "L" => 0.77, "H" => 0.44, _ => null };
        double? pr = Get(m, "PR") switch { "N" => 0.85, "L" => changed ? 0.68 : 0.62, "H" => changed ? 0.5 : 0.27, _ => null };
        double? ui = Get(m, "UI") switch { "N" => 0.85, "R" => 0.62, _ => null };
        double? c = Cia(Get(m, "C")), i = Cia(Get(m, "I")), a = Cia(Get(m, "A"));
        if (av is null || ac is null || pr is null || ui is null || c is null || i is null || a is null) return null;
        double iss = 1 - ((1 - c.Value) * (1 - i.Value) * (1 - a.Value));
        double impact = changed ? (7.52 * (iss - 0.029)) - (3.25 * Math.Pow(iss - 0.02, 15)) : 6.42 * iss;
        double exploitability = 8.22 * av.Value * ac.Value * pr.Value * ui.Value;
        if (impact <= 0) return 0;
        return changed ? Roundup(Math.Min(1.08 * (impact + exploitability), 10)) : Roundup(Math.Min(impact + exploitability, 10));
    }

    /// <summary>A score written as text (<c>7.5</c>), or null.</summary>
    public static double? ParseScore(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v is >= 0 and <= 10 ? v : null;

    private static string? Get(Dictionary<string, string> m, string key) => m.GetValueOrDefault(key);

    private static double? Cia(string? value) => value switch { "H" => 0.56, "L" => 0.22, "N" => 0, _ => null };

    /// <summary>CVSS v3.1 Appendix A: the smallest number with one decimal that is at least the input, without float drift.</summary>
    private static double Roundup(double input)
    {
        long integer = (long)Math.Round(input * 100000);
        return integer % 10000 == 0 ? integer / 100000.0 : (Math.Floor(integer / 10000.0) + 1) / 10.0;
    }
}
