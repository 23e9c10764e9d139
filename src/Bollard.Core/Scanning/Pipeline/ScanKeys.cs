namespace Bollard.Core.Scanning.Pipeline;

/// <summary>The name of a package as the package index keys it: the way its ecosystem compares names (the advisory key's normalization).</summary>
public static class ScanKeys
{
    /// <summary>PyPI: PEP 503 (lower case, runs of <c>-_.</c> as one <c>-</c>); NuGet: lower case; others as written.</summary>
    public static string Name(string type, string name)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(name);
        switch (type)
        {
            case PackageTypes.PyPI:
                var sb = new System.Text.StringBuilder(name.Length);
                bool separator = false;
                foreach (char c in name.Trim())
                {
                    if (c is '-' or '_' or '.') { separator = true; continue; }
                    if (separator && sb.Length > 0) sb.Append('-');
                    separator = false;
                    sb.Append(char.ToLowerInvariant(c));
                }
                return sb.ToString();
            case PackageTypes.NuGet:
                return name.Trim().ToLowerInvariant();
            default:
                return name.Trim();
        }
    }
}
