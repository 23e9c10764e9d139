using System.Text.Json;

namespace Bollard.Scanning.Analyzers.Languages.Npm;

/// <summary>The licence fields of package.json and lock entries: <c>"license": "MIT"</c>, the old <c>{"type": "MIT"}</c> and <c>"licenses": [...]</c> forms.</summary>
internal static class NpmLicenses
{
    public static IReadOnlyList<string> Read(JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        var result = new List<string>();
        if (entry.TryGetProperty("license", out JsonElement license))
        {
            Add(result, license);
        }

        if (entry.TryGetProperty("licenses", out JsonElement licenses) && licenses.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement l in licenses.EnumerateArray())
            {
                Add(result, l);
            }
        }

        return result;
    }

    private static void Add(List<string> result, JsonElement value)
    {
        string? text = value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Object => value.GetString("type"),
            _ => null,
        };
        if (!string.IsNullOrWhiteSpace(text) && !result.Contains(text.Trim()))
        {
            result.Add(text.Trim());
        }
    }
}
