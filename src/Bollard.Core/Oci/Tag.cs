namespace Bollard.Core.Oci;

/// <summary>A tag: <c>[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}</c> (distribution-spec).</summary>
public static class Tag
{
    public const int MaxLength = 128;

    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxLength) return false;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            bool word = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_';
            if (word) continue;
            if (i > 0 && c is '.' or '-') continue;
            return false;
        }
        return true;
    }
}
