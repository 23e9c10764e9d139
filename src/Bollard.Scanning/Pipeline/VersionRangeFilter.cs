using Bollard.Core.Scanning.Pipeline;
using Bollard.Scanning.Versions;

namespace Bollard.Scanning.Pipeline;

/// <summary>
/// The <c>version</c> of the packages query: an exact version (<c>2.14.1</c>), or comparisons joined by commas, all of
/// which must hold (<c>&gt;=2.0.0,&lt;2.17.1</c>; operators <c>&lt; &lt;= &gt; &gt;= = !=</c>), evaluated with each
/// package's own ecosystem order (<see cref="VersionSchemes"/>). A version its scheme cannot order does not match.
/// </summary>
public sealed class VersionRangeFilter
{
    private readonly List<(string Op, string Version)> _terms;

    private VersionRangeFilter(string? exact, List<(string, string)> terms)
    {
        Exact = exact;
        _terms = terms;
    }

    /// <summary>Set when the text is one version without an operator.</summary>
    public string? Exact { get; }

    /// <exception cref="Core.Auth.ManagementException">400 for text that is not a version or range.</exception>
    public static VersionRangeFilter Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var terms = new List<(string, string)>();
        string[] parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is 0 or > 8 || text.Length > 200)
            throw new Core.Auth.ManagementException(Core.Auth.ManagementError.BadRequest, $"version '{text}' is not a version or a range like >=2.0.0,<2.17.1");
        foreach (string part in parts)
        {
            string op = part.StartsWith(">=", StringComparison.Ordinal) || part.StartsWith("<=", StringComparison.Ordinal) || part.StartsWith("!=", StringComparison.Ordinal) ? part[..2]
                : part.StartsWith('>') || part.StartsWith('<') || part.StartsWith('=') ? part[..1] : "";
            string version = part[op.Length..].Trim();
            if (version.Length == 0) throw new Core.Auth.ManagementException(Core.Auth.ManagementError.BadRequest, $"version '{text}': '{part}' has no version");
            terms.Add((op.Length == 0 ? "=" : op, version));
        }
        bool exact = parts.Length == 1 && terms[0].Item1 == "=";
        return new VersionRangeFilter(exact ? terms[0].Item2 : null, terms);
    }

    public bool Matches(PackageHit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        var scheme = VersionSchemes.ForPackageType(hit.Type);
        foreach (var (op, version) in _terms)
        {
            int c;
            if (scheme is null)
            {
                if (op is "=" or "!=") c = string.Equals(hit.Version, version, StringComparison.Ordinal) ? 0 : 1;
                else return false;
            }
            else
            {
                try
                {
                    c = scheme.Compare(hit.Version, version);
                }
                catch (FormatException)
                {
                    return false;
                }
            }
            bool ok = op switch
            {
                "<" => c < 0,
                "<=" => c <= 0,
                ">" => c > 0,
                ">=" => c >= 0,
                "!=" => c != 0,
                _ => c == 0,
            };
            if (!ok) return false;
        }
        return true;
    }
}
