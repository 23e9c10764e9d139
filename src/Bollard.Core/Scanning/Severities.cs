namespace Bollard.Core.Scanning;

/// <summary>The severity words of a <see cref="Finding"/>, from most to least severe, and their order.</summary>
public static class Severities
{
    public const string Critical = "critical";
    public const string High = "high";
    public const string Medium = "medium";
    public const string Low = "low";
    public const string Negligible = "negligible";
    public const string Unknown = "unknown";

    /// <summary>Most severe first.</summary>
    public static IReadOnlyList<string> All { get; } = [Critical, High, Medium, Low, Negligible, Unknown];

    /// <summary>Rank for sorting and thresholds: critical 5 ... negligible 1, unknown 0; an unrecognised word is unknown.</summary>
    public static int Rank(string severity) => severity.ToLowerInvariant() switch
    {
        Critical => 5,
        High => 4,
        Medium => 3,
        Low => 2,
        Negligible => 1,
        _ => 0,
    };

    /// <summary>The CVSS v3/v4 qualitative rating of a base score (FIRST's table); 0.0 is negligible ("none").</summary>
    public static string FromCvss(double score) => score switch
    {
        >= 9.0 => Critical,
        >= 7.0 => High,
        >= 4.0 => Medium,
        >= 0.1 => Low,
        _ => Negligible,
    };
}
