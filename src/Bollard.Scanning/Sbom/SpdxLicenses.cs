using System.Collections.Frozen;
using System.Text;

namespace Bollard.Scanning.Sbom;

/// <summary>
/// SPDX licence ids and expressions (SPDX 2.3 annex D): whether a declared licence is a valid expression, and its
/// canonical spelling. The id list (licences and exceptions, deprecated ones included: <c>spdx-license-ids.txt</c>)
/// is the SPDX licence list 3.29 as the CycloneDX 1.6 schema enumerates it, so an id written here is one the
/// CycloneDX schema accepts.
/// </summary>
internal static class SpdxLicenses
{
    private static readonly FrozenDictionary<string, string> Ids = LoadIds();

    /// <summary>The canonical id of a licence or exception id (case-insensitive), or null when it is not on the list.</summary>
    public static string? CanonicalId(string id) => Ids.TryGetValue(id, out string? canonical) ? canonical : null;

    /// <summary>
    /// The canonical form of a valid SPDX expression (<c>mit or apache-2.0</c> -> <c>MIT OR Apache-2.0</c>), with
    /// <c>LicenseRef-</c>/<c>DocumentRef-</c> references kept; null when <paramref name="text"/> is not one.
    /// </summary>
    public static string? Normalize(string text)
    {
        var tokens = Tokenize(text);
        if (tokens is null || tokens.Count == 0) return null;
        int position = 0;
        var output = new StringBuilder();
        if (!ParseOr(tokens, ref position, output) || position != tokens.Count) return null;
        return output.ToString();
    }

    /// <summary>Whether a normalized expression is a single licence id (no operator), as CycloneDX's <c>license.id</c> wants.</summary>
    public static bool IsSingleListedId(string normalized) => Ids.ContainsKey(normalized);

    /// <summary>
    /// An SPDX <c>LicenseRef-</c> id for a licence text that is not an expression (letters, digits, <c>.</c> and
    /// <c>-</c> only: <c>GPL-2+</c> is <c>LicenseRef-GPL-2-plus</c>, <c>ASL 2.0</c> <c>LicenseRef-ASL-2.0</c>).
    /// </summary>
    public static string LicenseRef(string name)
    {
        var id = new StringBuilder();
        foreach (char c in name.Trim())
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '.') id.Append(c);
            else if (c == '+') id.Append("-plus");
            else if (id.Length > 0 && id[^1] != '-') id.Append('-');
        }
        string text = id.ToString().Trim('-');
        return "LicenseRef-" + (text.Length == 0 ? "unnamed" : text.Length > 64 ? text[..64] : text);
    }

    /// <summary>The <c>LicenseRef-</c> ids a normalized expression uses (not those of another document: <c>DocumentRef-x:LicenseRef-y</c>).</summary>
    public static IEnumerable<string> LocalReferences(string normalized) =>
        normalized.Split([' ', '(', ')'], StringSplitOptions.RemoveEmptyEntries).Where(t => t.StartsWith("LicenseRef-", StringComparison.Ordinal));

    private static List<string>? Tokenize(string text)
    {
        var tokens = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            char c = text[i];
            if (c is ' ' or '\t') { i++; continue; }
            if (c is '(' or ')') { tokens.Add(c.ToString()); i++; continue; }
            int start = i;
            while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '.' or '-' or '+' or ':')) i++;
            if (i == start) return null;
            tokens.Add(text[start..i]);
        }
        return tokens;
    }

    // or-expr := and-expr ("OR" and-expr)*
    private static bool ParseOr(List<string> tokens, ref int position, StringBuilder output)
    {
        if (!ParseAnd(tokens, ref position, output)) return false;
        while (position < tokens.Count && tokens[position].Equals("OR", StringComparison.OrdinalIgnoreCase))
        {
            position++;
            output.Append(" OR ");
            if (!ParseAnd(tokens, ref position, output)) return false;
        }
        return true;
    }

    // and-expr := with-expr ("AND" with-expr)*
    private static bool ParseAnd(List<string> tokens, ref int position, StringBuilder output)
    {
        if (!ParseWith(tokens, ref position, output)) return false;
        while (position < tokens.Count && tokens[position].Equals("AND", StringComparison.OrdinalIgnoreCase))
        {
            position++;
            output.Append(" AND ");
            if (!ParseWith(tokens, ref position, output)) return false;
        }
        return true;
    }

    // with-expr := primary ("WITH" exception-id)?
    private static bool ParseWith(List<string> tokens, ref int position, StringBuilder output)
    {
        if (!ParsePrimary(tokens, ref position, output)) return false;
        if (position < tokens.Count && tokens[position].Equals("WITH", StringComparison.OrdinalIgnoreCase))
        {
            position++;
            if (position >= tokens.Count || CanonicalId(tokens[position]) is not { } exception) return false;
            position++;
            output.Append(" WITH ").Append(exception);
        }
        return true;
    }

    // primary := "(" or-expr ")" | license-id ["+"] | LicenseRef-x | DocumentRef-x:LicenseRef-y
    private static bool ParsePrimary(List<string> tokens, ref int position, StringBuilder output)
    {
        if (position >= tokens.Count) return false;
        string token = tokens[position];
        if (token == "(")
        {
            position++;
            output.Append('(');
            if (!ParseOr(tokens, ref position, output)) return false;
            if (position >= tokens.Count || tokens[position] != ")") return false;
            position++;
            output.Append(')');
            return true;
        }
        if (token is ")" || IsOperator(token)) return false;
        position++;
        if (IsReference(token))
        {
            output.Append(token);
            return true;
        }
        bool orLater = token.EndsWith('+');
        string id = orLater ? token[..^1] : token;
        if (id.Contains(':', StringComparison.Ordinal) || CanonicalId(id) is not { } canonical) return false;
        output.Append(canonical);
        if (orLater) output.Append('+');
        return true;
    }

    private static bool IsOperator(string token) =>
        token.Equals("AND", StringComparison.OrdinalIgnoreCase) || token.Equals("OR", StringComparison.OrdinalIgnoreCase) || token.Equals("WITH", StringComparison.OrdinalIgnoreCase);

    private static bool IsReference(string token)
    {
        string rest = token;
        if (rest.StartsWith("DocumentRef-", StringComparison.Ordinal))
        {
            int colon = rest.IndexOf(':', StringComparison.Ordinal);
            if (colon <= "DocumentRef-".Length) return false;
            rest = rest[(colon + 1)..];
        }
        return rest.StartsWith("LicenseRef-", StringComparison.Ordinal) && rest.Length > "LicenseRef-".Length
            && rest.AsSpan("LicenseRef-".Length).IndexOfAnyExcept(IdChars) < 0;
    }

    private static readonly System.Buffers.SearchValues<char> IdChars =
        System.Buffers.SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");

    private static FrozenDictionary<string, string> LoadIds()
    {
        using var stream = typeof(SpdxLicenses).Assembly.GetManifestResourceStream("Bollard.Scanning.Sbom.spdx-license-ids.txt")
            ?? throw new InvalidOperationException("the SPDX licence list resource is missing from the build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var ids = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        while (reader.ReadLine() is { } line)
        {
            line = line.Trim();
            if (line.Length > 0) ids.TryAdd(line, line);
        }
        return ids.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }
}
