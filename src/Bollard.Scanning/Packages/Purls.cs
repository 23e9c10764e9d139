using System.Text;
using Bollard.Core.Scanning;

namespace Bollard.Scanning.Packages;

/// <summary>
/// Package URLs (github.com/package-url/purl-spec): <c>pkg:type/namespace/name@version?qualifiers</c>, qualifiers
/// sorted by key and empty ones left out. Segments are percent-encoded except letters, digits and <c>.-_~+:</c>
/// (so <c>pkg:deb/debian/bash@5.2.15-2+b2</c> reads as the distribution writes it).
/// </summary>
public static class Purls
{
    public static string Build(string type, string? ns, string name, string? version, params (string Key, string? Value)[] qualifiers)
    {
        var sb = new StringBuilder("pkg:").Append(type).Append('/');
        if (!string.IsNullOrEmpty(ns))
        {
            foreach (var part in ns.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                Encode(sb, part).Append('/');
            }
        }

        Encode(sb, name);
        if (!string.IsNullOrEmpty(version))
        {
            Encode(sb.Append('@'), version);
        }

        AppendQualifiers(sb, qualifiers.Where(q => !string.IsNullOrEmpty(q.Value)).Select(q => (q.Key, q.Value!)));
        return sb.ToString();
    }

    /// <summary>
    /// The purl of an OS package placed in the image's distribution: namespace = <see cref="OsInfo.Id"/>, plus the
    /// <c>distro</c> qualifier (<c>debian-12</c> for deb and rpm, the Alpine convention <c>3.18.0</c> for apk).
    /// </summary>
    public static string WithDistro(string purl, string type, OsInfo os)
    {
        string? distro = Distro(type, os);
        int hash = purl.IndexOf('#', StringComparison.Ordinal);
        string subpath = hash >= 0 ? purl[hash..] : "";
        string body = hash >= 0 ? purl[..hash] : purl;
        int question = body.IndexOf('?', StringComparison.Ordinal);
        string path = question >= 0 ? body[..question] : body;
        var qualifiers = new List<(string, string)>();
        if (question >= 0)
        {
            foreach (var pair in body[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0 && pair[..eq] != "distro")
                {
                    qualifiers.Add((pair[..eq], pair[(eq + 1)..]));
                }
            }
        }

        // pkg:type/ns/name@version: replace ns (the segment between type and name).
        string prefix = "pkg:" + type + "/";
        if (path.StartsWith(prefix, StringComparison.Ordinal))
        {
            string rest = path[prefix.Length..];
            int slash = rest.IndexOf('/', StringComparison.Ordinal);
            int at = rest.IndexOf('@', StringComparison.Ordinal);
            if (slash >= 0 && (at < 0 || slash < at))
            {
                rest = rest[(slash + 1)..];
            }

            path = Encode(new StringBuilder(prefix), os.Id).Append('/').Append(rest).ToString();
        }

        var sb = new StringBuilder(path);
        if (distro is not null)
        {
            qualifiers.Add(("distro", Encode(new StringBuilder(), distro).ToString()));
        }

        AppendQualifiers(sb, qualifiers, encoded: true);
        return sb.Append(subpath).ToString();
    }

    private static string? Distro(string type, OsInfo os)
    {
        if (type == PackageTypes.Apk)
        {
            return os.VersionId;
        }

        string? release = os.VersionId ?? os.Codename;
        return release is null ? null : os.Id + "-" + release;
    }

    private static void AppendQualifiers(StringBuilder sb, IEnumerable<(string Key, string Value)> qualifiers, bool encoded = false)
    {
        char separator = '?';
        foreach (var (key, value) in qualifiers.OrderBy(q => q.Key, StringComparer.Ordinal))
        {
            sb.Append(separator).Append(key.ToLowerInvariant()).Append('=');
            if (encoded)
            {
                sb.Append(value);
            }
            else
            {
                Encode(sb, value);
            }

            separator = '&';
        }
    }

    private static StringBuilder Encode(StringBuilder sb, string value)
    {
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            char c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '~' or '+' or ':')
            {
                sb.Append(c);
            }
            else
            {
                sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return sb;
    }
}
