using System.Diagnostics.CodeAnalysis;

namespace Bollard.Core.Immutability;

/// <summary>
/// A pattern over tags: <c>*</c> matches any run of characters (also none), everything else is literal and
/// case-sensitive like tags are. Examples: <c>v*</c>, <c>release-*</c>, <c>*-prod</c>, <c>latest</c>, <c>*</c>.
/// Matching is linear in pattern x tag (greedy star with one backtrack point), so a long tag costs little.
/// </summary>
public sealed class TagPattern : IEquatable<TagPattern>
{
    /// <summary>A pattern is at most as long as a tag may be (distribution-spec: 128).</summary>
    public const int MaxLength = 128;

    private TagPattern(string value) => Value = value;

    public string Value { get; }

    public override string ToString() => Value;

    public static bool TryParse([NotNullWhen(true)] string? value, [NotNullWhen(true)] out TagPattern? pattern, [NotNullWhen(false)] out string? problem)
    {
        pattern = null;
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength) { problem = $"a tag pattern is 1 to {MaxLength} characters"; return false; }
        foreach (char c in value)
            if (c is not ((>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' or '.' or '-' or '*'))
            {
                problem = $"tag pattern '{value}' may hold only a-z, A-Z, 0-9, '_', '.', '-' and '*'";
                return false;
            }
        pattern = new TagPattern(value);
        problem = null;
        return true;
    }

    public static TagPattern Parse(string value) => TryParse(value, out var p, out var problem) ? p : throw new FormatException(problem);

    public bool Matches(string tag)
    {
        string pattern = Value;
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < tag.Length)
        {
            if (p < pattern.Length && pattern[p] != '*' && pattern[p] == tag[t]) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    public bool Equals(TagPattern? other) => other is not null && other.Value == Value;
    public override bool Equals(object? obj) => Equals(obj as TagPattern);
    public override int GetHashCode() => Value.GetHashCode(StringComparison.Ordinal);
}
