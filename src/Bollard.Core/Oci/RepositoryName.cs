using System.Diagnostics.CodeAnalysis;

namespace Bollard.Core.Oci;

/// <summary>
/// A repository name following distribution-spec's grammar
/// <c>[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*</c>, at most 255 characters
/// (CNCF Distribution's limit). The grammar admits no <c>..</c>, no empty component and no upper case,
/// so a valid name can never climb out of a folder.
/// </summary>
public readonly record struct RepositoryName
{
    public const int MaxLength = 255;

    private RepositoryName(string value) => Value = value;

    public string Value { get; }

    public override string ToString() => Value;

    public static RepositoryName Parse(string? value) =>
        TryParse(value, out var name) ? name : throw new OciException(OciErrors.NameInvalid, $"'{Shorten(value)}' is not a valid repository name");

    public static bool TryParse([NotNullWhen(true)] string? value, out RepositoryName name)
    {
        name = default;
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength) return false;
        foreach (var component in value.Split('/'))
            if (!IsComponent(component)) return false;
        name = new RepositoryName(value);
        return true;
    }

    private static bool IsComponent(string c)
    {
        // [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*
        int i = 0;
        if (!ReadAlnum(c, ref i)) return false;
        while (i < c.Length)
        {
            if (c[i] == '.') i++;
            else if (c[i] == '_') { i++; if (i < c.Length && c[i] == '_') i++; }
            else if (c[i] == '-') { while (i < c.Length && c[i] == '-') i++; }
            else return false;
            if (!ReadAlnum(c, ref i)) return false;
        }
        return true;
    }

    private static bool ReadAlnum(string c, ref int i)
    {
        int start = i;
        while (i < c.Length && c[i] is (>= 'a' and <= 'z') or (>= '0' and <= '9')) i++;
        return i > start;
    }

    internal static string Shorten(string? s) => s is null ? "" : s.Length <= 80 ? s : s[..80] + "...";
}
