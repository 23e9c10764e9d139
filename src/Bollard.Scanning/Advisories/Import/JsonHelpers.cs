using System.Globalization;
using System.Text.Json;

namespace Bollard.Scanning.Advisories.Import;

internal static class JsonHelpers
{
    public static string? Str(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static JsonElement? Prop(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) ? v : null;

    public static IEnumerable<JsonElement> Array(this JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? v.EnumerateArray() : [];

    /// <summary>An RFC 3339 time; null when absent, unparsable or the zero time Go writes for "unknown" (<c>0001-01-01T00:00:00Z</c>).</summary>
    public static DateTimeOffset? Time(string? value) =>
        !string.IsNullOrEmpty(value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) && t.Year > 1 ? t.ToUniversalTime() : null;

    public static string? Summary(string? summary, string? details)
    {
        if (!string.IsNullOrWhiteSpace(summary)) return summary.Trim();
        if (string.IsNullOrWhiteSpace(details)) return null;
        string first = details.Trim().Split('\n', 2)[0].Trim();
        return first.Length <= 240 ? first : first[..240] + "…";
    }
}
