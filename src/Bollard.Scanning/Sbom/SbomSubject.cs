using System.Globalization;
using System.Text;

namespace Bollard.Scanning.Sbom;

/// <summary>
/// The image an SBOM describes: its repository (<c>team/app</c>, or with a registry host
/// <c>registry.example:5000/team/app</c>), the tag it was reached by (null when by digest) and its manifest digest
/// (the subject of the SBOM, and of the referrer that carries it).
/// </summary>
public sealed record SbomSubject(string Repository, string? Tag, string ManifestDigest)
{
    /// <summary>
    /// The image's package URL (purl spec, type <c>oci</c>): the last path segment as the name, the digest as the
    /// version (<c>:</c> percent-encoded), the full repository as <c>repository_url</c> and the tag when known, e.g.
    /// <c>pkg:oci/app@sha256%3Aabc...?repository_url=registry.example%3A5000/team/app&amp;tag=1.0</c>.
    /// </summary>
    public string Purl
    {
        get
        {
            string repository = Repository.Trim('/');
            string name = repository[(repository.LastIndexOf('/') + 1)..].ToLowerInvariant();
            var purl = new StringBuilder("pkg:oci/").Append(Encode(name)).Append('@').Append(Encode(ManifestDigest));
            purl.Append("?repository_url=").Append(Encode(repository.ToLowerInvariant(), keepSlash: true));
            if (!string.IsNullOrEmpty(Tag)) purl.Append("&tag=").Append(Encode(Tag));
            return purl.ToString();
        }
    }

    /// <summary><c>team/app:1.0</c>, or <c>team/app@sha256:...</c> without a tag.</summary>
    public string DisplayName => string.IsNullOrEmpty(Tag) ? $"{Repository}@{ManifestDigest}" : $"{Repository}:{Tag}";

    private static string Encode(string value, bool keepSlash = false)
    {
        var text = new StringBuilder(value.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            char c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '~' || (keepSlash && c == '/')) text.Append(c);
            else text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }
}
