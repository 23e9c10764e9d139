using System.Globalization;

namespace Bollard.Hosting;

/// <summary>
/// Durations in configuration, written like the CLI's: <c>500ms</c>, <c>90s</c>, <c>10m</c>, <c>12h</c>,
/// <c>90d</c>, <c>2w</c>; <c>hh:mm:ss</c> and <c>d.hh:mm:ss</c> stay accepted for existing files.
/// </summary>
public static class ConfigDuration
{
    public const string Allowed = "a duration like 90s, 10m, 12h, 90d (or hh:mm:ss)";

    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (text == "0")
        {
            value = TimeSpan.Zero; // "off" or "at once" where a setting allows zero (Gc:GracePeriod, Gc:Interval)
            return true;
        }
        int unitAt = text.Length;
        while (unitAt > 0 && char.IsAsciiLetter(text[unitAt - 1])) unitAt--;
        if (unitAt < text.Length && unitAt > 0)
        {
            if (!long.TryParse(text.AsSpan(0, unitAt), NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n > 1_000_000) return false;
            TimeSpan? v = text[unitAt..].ToLowerInvariant() switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                "d" => TimeSpan.FromDays(n),
                "w" => TimeSpan.FromDays(7 * n),
                _ => null,
            };
            if (v is null) return false;
            value = v.Value;
            return true;
        }
        return text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>The short form people write: <c>90d</c>, <c>12h</c>, <c>30s</c>, else <c>hh:mm:ss</c>.</summary>
    public static string Format(TimeSpan t)
    {
        if (t == TimeSpan.Zero) return "0s";
        if (t.Ticks % TimeSpan.TicksPerDay == 0) return $"{t.Ticks / TimeSpan.TicksPerDay}d";
        if (t.Ticks % TimeSpan.TicksPerHour == 0) return $"{t.Ticks / TimeSpan.TicksPerHour}h";
        if (t.Ticks % TimeSpan.TicksPerMinute == 0) return $"{t.Ticks / TimeSpan.TicksPerMinute}m";
        if (t.Ticks % TimeSpan.TicksPerSecond == 0) return $"{t.Ticks / TimeSpan.TicksPerSecond}s";
        return t.ToString("c", CultureInfo.InvariantCulture);
    }
}
