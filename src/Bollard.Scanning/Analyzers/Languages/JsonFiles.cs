using System.Text.Json;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Analyzers.Languages;

/// <summary>Parsing of the JSON manifests and lock files (npm, .NET) with the same lenient options everywhere.</summary>
internal static class JsonFiles
{
    private static readonly JsonDocumentOptions Options = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        // npm v1 lock files nest one level per node_modules level; real ones stay far below this.
        MaxDepth = 512,
    };

    /// <returns>null (with a warning) when the file is not JSON or its top level is not an object.</returns>
    public static async ValueTask<JsonDocument?> ParseObjectAsync(AnalyzedFile file, PackageCollector collector, CancellationToken ct)
    {
        JsonDocument doc;
        try
        {
            doc = await JsonDocument.ParseAsync(file.Content, Options, ct).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            collector.Warn("not valid JSON: " + e.Message);
            return null;
        }

        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            collector.Warn("not a JSON object");
            return null;
        }

        return doc;
    }

    public static string? GetString(this JsonElement e, string property) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(property, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static bool GetBool(this JsonElement e, string property) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(property, out JsonElement v) && v.ValueKind == JsonValueKind.True;

    public static JsonElement? GetObject(this JsonElement e, string property) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(property, out JsonElement v) && v.ValueKind == JsonValueKind.Object ? v : null;
}
