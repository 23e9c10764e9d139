using System.Globalization;

namespace Bollard.Server.Management;

/// <summary>Parses the short durations people type: <c>90d</c>, <c>12h</c>, <c>30m</c>, <c>45s</c>, <c>2w</c>.</summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text) || text.Length < 2) return false;
        char unit = char.ToLowerInvariant(text[^1]);
        if (!long.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n <= 0 || n > 100_000) return false;
        value = unit switch
        {
            's' => TimeSpan.FromSeconds(n),
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            'w' => TimeSpan.FromDays(7 * n),
            _ => TimeSpan.Zero,
        };
        return value > TimeSpan.Zero;
    }
}
