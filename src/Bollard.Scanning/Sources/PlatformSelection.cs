namespace Bollard.Scanning.Sources;

/// <summary>Which images of a multi-platform index to scan: one platform (<c>os/arch[/variant]</c>, default <c>linux/amd64</c>) or all of them.</summary>
public sealed record PlatformSelection(string Platform, bool All)
{
    public static PlatformSelection Default { get; } = new("linux/amd64", false);

    /// <summary>Whether an index entry's platform is the one wanted (a missing variant in the wish matches any variant).</summary>
    public bool Matches(string? os, string? architecture, string? variant)
    {
        string[] parts = Platform.Split('/');
        if (parts.Length < 2) return false;
        if (!parts[0].Equals(os, StringComparison.OrdinalIgnoreCase) || !parts[1].Equals(architecture, StringComparison.OrdinalIgnoreCase)) return false;
        return parts.Length < 3 || parts[2].Equals(variant, StringComparison.OrdinalIgnoreCase);
    }
}
