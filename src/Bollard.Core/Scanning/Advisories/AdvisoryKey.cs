namespace Bollard.Core.Scanning.Advisories;

/// <summary>
/// The lookup key of the advisory index and of the changed-package set of an import: (package-URL type, release,
/// name). Always built with <see cref="Create"/>, which normalizes the name the way the ecosystem compares names
/// (PyPI PEP 503, NuGet case-insensitive, everything else exact) so that an inventory's package and an
/// advisory's package meet on the same key.
/// </summary>
public readonly record struct AdvisoryKey(string Type, string? Release, string Name)
{
    public static AdvisoryKey Create(string type, string? release, string name) =>
        new(type, string.IsNullOrEmpty(release) ? null : release, NormalizeName(type, name));

    /// <summary>PyPI: lower case with runs of <c>-_.</c> as one <c>-</c> (PEP 503); NuGet and Composer-like case-insensitive ids: lower case; others as written.</summary>
    public static string NormalizeName(string type, string name)
    {
        switch (type)
        {
            case PackageTypes.PyPI:
                var sb = new System.Text.StringBuilder(name.Length);
                bool separator = false;
                foreach (char c in name.Trim())
                {
                    if (c is '-' or '_' or '.')
                    {
                        separator = true;
                        continue;
                    }
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

    public override string ToString() => Release is null ? $"{Type}/{Name}" : $"{Type}/{Release}/{Name}";
}
