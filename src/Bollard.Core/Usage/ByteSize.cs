using System.Globalization;

namespace Bollard.Core.Usage;

/// <summary>Byte counts as people write them: <c>10GiB</c>, <c>500 MiB</c>, <c>1.5TB</c>, <c>1048576</c>.</summary>
public static class ByteSize
{
    private static readonly (string Unit, long Factor)[] Units =
    [
        ("KiB", 1L << 10), ("MiB", 1L << 20), ("GiB", 1L << 30), ("TiB", 1L << 40), ("PiB", 1L << 50),
        ("KB", 1_000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("TB", 1_000_000_000_000), ("PB", 1_000_000_000_000_000),
        ("K", 1L << 10), ("M", 1L << 20), ("G", 1L << 30), ("T", 1L << 40), ("B", 1),
    ];

    /// <summary>Binary units (KiB = 1024) with an <c>i</c>, decimal ones (KB = 1000) without; a bare number is bytes. Case-insensitive.</summary>
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text) || text.Length > 40) return false;
        string t = text.Trim();
        long factor = 1;
        foreach (var (unit, f) in Units)
            if (t.EndsWith(unit, StringComparison.OrdinalIgnoreCase))
            {
                factor = f;
                t = t[..^unit.Length].TrimEnd();
                break;
            }
        if (!decimal.TryParse(t, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal number)) return false;
        decimal value = number * factor;
        if (value < 0 || value > long.MaxValue) return false;
        bytes = (long)decimal.Floor(value);
        return true;
    }

    /// <summary><c>10.4 GiB</c>, <c>512 B</c>: binary units, at most one decimal, rounded down (or up with <paramref name="roundUp"/>,
    /// so a usage a byte over a 10 GiB limit reads 10.1 GiB, not 10 GiB).</summary>
    public static string Format(long bytes, bool roundUp = false)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double value = bytes;
        int i = 0;
        while (Math.Abs(value) >= 1024 && i < units.Length - 1) { value /= 1024; i++; }
        double shown = (roundUp ? Math.Ceiling(value * 10) : Math.Floor(value * 10)) / 10;
        return shown.ToString(shown % 1 == 0 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + units[i];
    }
}
