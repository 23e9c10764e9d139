using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Bollard.Cli;

/// <summary>Plain aligned text tables, times and JSON for standard output.</summary>
internal static class Output
{
    /// <summary>Columns separated by two spaces; the last column is not padded.</summary>
    public static void Table(IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows, string emptyMessage)
    {
        var cells = rows.Select(r => r.Select(c => Clean(c)).ToArray()).ToList();
        if (cells.Count == 0)
        {
            Console.Out.WriteLine(emptyMessage);
            return;
        }
        var widths = headers.Select((h, i) => Math.Max(h.Length, cells.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        void Line(IReadOnlyList<string> values)
        {
            for (int i = 0; i < values.Count; i++)
            {
                if (i == values.Count - 1) text.Append(values[i]);
                else text.Append(values[i].PadRight(widths[i] + 2));
            }
            text.Append('\n');
        }
        Line(headers);
        foreach (var row in cells) Line(row);
        Console.Out.Write(text.ToString());
    }

    /// <summary>UTC, to the second: <c>2025-06-01 12:00:00Z</c>.</summary>
    public static string Time(DateTimeOffset? time, string none = "-") =>
        time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : none;

    /// <summary>The server's JSON, indented.</summary>
    public static void WriteJson(string json)
    {
        if (string.IsNullOrWhiteSpace(json)) return;
        using var doc = JsonDocument.Parse(json);
        using var stream = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            doc.RootElement.WriteTo(writer);
        stream.Write("\n"u8);
    }

    /// <summary>Control characters from the server are never written to the terminal as they are.</summary>
    private static string Clean(string? value)
    {
        if (string.IsNullOrEmpty(value)) return "-";
        return value.Any(char.IsControl) ? new string(value.Select(c => char.IsControl(c) ? '?' : c).ToArray()) : value;
    }
}
