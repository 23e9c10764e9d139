using System.Diagnostics.CodeAnalysis;

namespace Bollard.Core.Auth;

/// <summary>
/// A pattern over repository names that roles and settings attach to. Components are separated by <c>/</c>;
/// <c>**</c> as a whole component matches any number of components (also none), <c>*</c> inside a component
/// matches any characters except <c>/</c>, everything else is literal. Examples: <c>**</c> (everything),
/// <c>team-a/**</c> (<c>team-a</c> and all below it), <c>prod/*</c> (one level under <c>prod</c>),
/// <c>apps/web-*</c>.
/// </summary>
public sealed class NamespacePattern : IEquatable<NamespacePattern>
{
    private readonly string[] _components;

    private NamespacePattern(string value)
    {
        Value = value;
        _components = value.Split('/');
    }

    public string Value { get; }

    public override string ToString() => Value;

    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out NamespacePattern? pattern, [NotNullWhen(false)] out string? problem)
    {
        pattern = null;
        if (string.IsNullOrEmpty(value) || value.Length > 255) { problem = "a namespace pattern is 1 to 255 characters"; return false; }
        foreach (var component in value.Split('/'))
        {
            if (component.Length == 0) { problem = $"'{value}' has an empty component"; return false; }
            if (component.Contains("**", StringComparison.Ordinal) && component != "**") { problem = $"'**' must be a whole component in '{value}'"; return false; }
            if (component is "." or "..") { problem = $"'{value}' has a dot component"; return false; }
            foreach (char c in component)
                if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-' or '*'))
                {
                    problem = $"'{value}' may hold only a-z, 0-9, '.', '_', '-', '*' and '/'";
                    return false;
                }
        }
        pattern = new NamespacePattern(value);
        problem = null;
        return true;
    }

    public static NamespacePattern Parse(string value) =>
        TryParse(value, out var p, out var problem) ? p : throw new FormatException(problem);

    // Remembers which ('**' position, name position) pairs already failed: without it, several '**' against a long
    // (client-chosen) name backtrack exponentially; with it the work is bounded by pattern x name x name.
    // Made at the first '**' (only a '**' frame makes more than one call), so literal patterns allocate nothing.
    public bool Matches(string repository) => Match(_components, 0, repository.Split('/'), 0, null);

    private static bool Match(string[] pattern, int pi, string[] name, int ni, HashSet<(int, int)>? failed)
    {
        while (pi < pattern.Length)
        {
            string p = pattern[pi];
            if (p == "**")
            {
                failed ??= [];
                if (failed.Contains((pi, ni))) return false;
                for (int skip = ni; skip <= name.Length; skip++)
                    if (Match(pattern, pi + 1, name, skip, failed)) return true;
                failed.Add((pi, ni));
                return false;
            }
            if (ni >= name.Length || !MatchComponent(p, name[ni])) return false;
            pi++;
            ni++;
        }
        return ni == name.Length;
    }

    private static bool MatchComponent(string pattern, string text)
    {
        if (!pattern.Contains('*')) return pattern == text;
        // Glob with '*' only; text never contains '/' here.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] != '*' && pattern[p] == text[t]) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    public bool Equals(NamespacePattern? other) => other is not null && other.Value == Value;
    public override bool Equals(object? obj) => Equals(obj as NamespacePattern);
    public override int GetHashCode() => Value.GetHashCode(StringComparison.Ordinal);
}
