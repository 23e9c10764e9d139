namespace Bollard.Core.Scanning.Pipeline;

/// <summary>Package-URL helpers of the package index.</summary>
public static class ScanPurls
{
    /// <summary>
    /// The purl without <c>@version</c>, <c>?qualifiers</c> and <c>#subpath</c>, with <c>%40</c> read as <c>@</c> and the
    /// type in lower case: <c>pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar</c> and
    /// <c>pkg:maven/org.apache.logging.log4j/log4j-core</c> have the same base.
    /// </summary>
    public static string Base(string purl)
    {
        ArgumentNullException.ThrowIfNull(purl);
        string p = purl.Trim();
        int cut = p.IndexOf('#', StringComparison.Ordinal);
        if (cut >= 0) p = p[..cut];
        cut = p.IndexOf('?', StringComparison.Ordinal);
        if (cut >= 0) p = p[..cut];
        p = p.Replace("%40", "@", StringComparison.OrdinalIgnoreCase);
        int slash = p.LastIndexOf('/');
        int at = p.IndexOf('@', slash + 1);
        if (at > 0) p = p[..at];
        int typeEnd = p.IndexOf('/', StringComparison.Ordinal);
        return typeEnd > 0 ? p[..typeEnd].ToLowerInvariant() + p[typeEnd..] : p.ToLowerInvariant();
    }

    /// <summary>The version of a purl (after the last <c>@</c> of the last path segment, before qualifiers), or null.</summary>
    public static string? Version(string purl)
    {
        ArgumentNullException.ThrowIfNull(purl);
        string p = purl.Trim();
        int cut = p.IndexOfAny(['?', '#']);
        if (cut >= 0) p = p[..cut];
        p = p.Replace("%40", "@", StringComparison.OrdinalIgnoreCase);
        int slash = p.LastIndexOf('/');
        int at = p.IndexOf('@', slash + 1);
        return at > 0 && at < p.Length - 1 ? Uri.UnescapeDataString(p[(at + 1)..]) : null;
    }
}
