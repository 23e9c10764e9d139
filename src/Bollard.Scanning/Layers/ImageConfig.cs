using System.Text.Json;

namespace Bollard.Scanning.Layers;

/// <summary>
/// The parts of an image config (image-spec config.md) the analysis uses: the platform
/// (<c>os/architecture[/variant]</c>) and the history's <c>created_by</c> per layer, aligned to the layers by
/// skipping <c>empty_layer</c> entries. A config that is not JSON gives a warning and nothing else.
/// </summary>
internal sealed record ImageConfig(string? Platform, IReadOnlyList<string?> CreatedBy, string? Warning)
{
    public static ImageConfig Parse(ReadOnlyMemory<byte> json)
    {
        if (json.IsEmpty)
        {
            return new ImageConfig(null, [], null);
        }

        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new ImageConfig(null, [], "image config is not a JSON object");
            }

            string? os = Str(root, "os");
            string? arch = Str(root, "architecture");
            string? variant = Str(root, "variant");
            string? platform = os is null || arch is null ? null : variant is null ? $"{os}/{arch}" : $"{os}/{arch}/{variant}";
            var createdBy = new List<string?>();
            if (root.TryGetProperty("history", out var history) && history.ValueKind == JsonValueKind.Array)
            {
                foreach (var h in history.EnumerateArray())
                {
                    if (h.ValueKind != JsonValueKind.Object)
                    {
                        continue;
                    }

                    if (h.TryGetProperty("empty_layer", out var empty) && empty.ValueKind == JsonValueKind.True)
                    {
                        continue;
                    }

                    createdBy.Add(Str(h, "created_by"));
                }
            }

            return new ImageConfig(platform, createdBy, null);
        }
        catch (JsonException e)
        {
            return new ImageConfig(null, [], "image config is not valid JSON: " + e.Message);
        }
    }

    public string? CreatedByOf(int layer) => layer < CreatedBy.Count ? CreatedBy[layer] : null;

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;
}
