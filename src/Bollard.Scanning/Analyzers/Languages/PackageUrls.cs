using System.Text;
using Bollard.Core.Scanning;

namespace Bollard.Scanning.Analyzers.Languages;

/// <summary>
/// Package URLs for language packages (purl spec, github.com/package-url/purl-spec: <c>pkg:type/namespace/name@version</c>,
/// each namespace segment, the name and the version percent-encoded; <c>@</c> in an npm scope becomes <c>%40</c>).
/// </summary>
internal static class PackageUrls
{
    public static string Npm(string name, string version)
    {
        // "@scope/name": the scope is the namespace.
        int slash = name.StartsWith('@') ? name.IndexOf('/', StringComparison.Ordinal) : -1;
        return slash > 0
            ? Build(PackageTypes.Npm, name[..slash], name[(slash + 1)..], version)
            : Build(PackageTypes.Npm, null, name, version);
    }

    public static string NuGet(string name, string version) => Build(PackageTypes.NuGet, null, name, version);

    /// <summary>purl-spec pypi: the name lower-cased, runs of <c>-</c>, <c>_</c>, <c>.</c> as one <c>-</c> (PEP 503 normalization).</summary>
    public static string PyPI(string name, string version) => Build(PackageTypes.PyPI, null, NormalizePythonName(name), version);

    /// <summary>Go module path <c>github.com/a/b</c>: every segment but the last is the namespace.</summary>
    public static string Golang(string module, string version)
    {
        int slash = module.LastIndexOf('/');
        return slash > 0
            ? Build(PackageTypes.Golang, module[..slash], module[(slash + 1)..], version)
            : Build(PackageTypes.Golang, null, module, version);
    }

    public static string Maven(string? groupId, string artifactId, string version) =>
        Build(PackageTypes.Maven, string.IsNullOrEmpty(groupId) ? null : groupId, artifactId, version);

    public static string Gem(string name, string version) => Build(PackageTypes.Gem, null, name, version);

    public static string Cargo(string name, string version) => Build(PackageTypes.Cargo, null, name, version);

    public static string NormalizePythonName(string name)
    {
        var sb = new StringBuilder(name.Length);
        bool separator = false;
        foreach (char c in name.Trim())
        {
            if (c is '-' or '_' or '.')
            {
                separator = true;
                continue;
            }

            if (separator && sb.Length > 0)
            {
                sb.Append('-');
            }

            separator = false;
            sb.Append(char.ToLowerInvariant(c));
        }

        return sb.ToString();
    }

    private static string Build(string type, string? ns, string name, string version)
    {
        var sb = new StringBuilder("pkg:").Append(type).Append('/');
        if (ns is not null)
        {
            foreach (string segment in ns.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                Encode(sb, segment).Append('/');
            }
        }

        Encode(sb, name);
        if (version.Length > 0)
        {
            Encode(sb.Append('@'), version);
        }

        return sb.ToString();
    }

    private static StringBuilder Encode(StringBuilder sb, string value)
    {
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in value.EnumerateRunes())
        {
            if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value is '.' or '-' or '_' or '~'))
            {
                sb.Append((char)rune.Value);
                continue;
            }

            int n = rune.EncodeToUtf8(utf8);
            for (int i = 0; i < n; i++)
            {
                sb.Append('%').Append(utf8[i].ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return sb;
    }
}
