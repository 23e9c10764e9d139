using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Bollard.Cli;

/// <summary>
/// Reads a trust policy file for <c>bollard policy set|dry-run</c>: JSON as it is, or YAML turned into the same JSON
/// (plain scalars <c>true</c>/<c>false</c>/<c>null</c> and numbers keep their YAML 1.2 core types, quoted ones are
/// strings; PEM blocks as YAML literal blocks <c>|</c>). The server checks the policy itself; this only reads the file.
/// Bounded: 1 MiB, 100,000 nodes after expanding aliases.
/// </summary>
internal static class PolicyDocumentFile
{
    private const long MaxBytes = 1024 * 1024;
    private const int MaxNodes = 100_000;

    public static JsonElement Read(string path)
    {
        string text;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw CliException.Usage($"policy file '{path}' does not exist");
            if (info.Length > MaxBytes) throw CliException.Usage($"policy file '{path}' is {info.Length} bytes, more than {MaxBytes}");
            text = File.ReadAllText(path, Encoding.UTF8);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"policy file '{path}' cannot be read: {e.Message}");
        }
        return Parse(text, path);
    }

    public static JsonElement Parse(string text, string path)
    {
        string trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (trimmed.StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(trimmed, new JsonDocumentOptions { MaxDepth = 64 });
                return doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw CliException.Usage($"policy file '{path}' is not valid JSON: {e.Message}");
            }
        }
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw CliException.Usage($"policy file '{path}' is neither JSON nor valid YAML (line {e.Start.Line}, column {e.Start.Column}): {(e.InnerException ?? e).Message}");
        }
        if (stream.Documents.Count != 1) throw CliException.Usage($"policy file '{path}' must hold one YAML document, not {stream.Documents.Count}");
        if (stream.Documents[0].RootNode is not YamlMappingNode root) throw CliException.Usage($"policy file '{path}': the top level must be a mapping (name:, namespace:, mode:, ...)");
        int nodes = 0;
        var json = Convert(root, path, ref nodes, 0);
        using var parsed = JsonDocument.Parse(json!.ToJsonString());
        return parsed.RootElement.Clone();
    }

    private static JsonNode? Convert(YamlNode node, string path, ref int nodes, int depth)
    {
        if (++nodes > MaxNodes || depth > 64) throw CliException.Usage($"policy file '{path}' is too large or too deeply nested once its aliases are expanded");
        switch (node)
        {
            case YamlMappingNode map:
                var o = new JsonObject();
                foreach (var (k, v) in map.Children)
                {
                    if (k is not YamlScalarNode { Value: { } key }) throw CliException.Usage($"policy file '{path}' line {k.Start.Line}: keys must be plain names");
                    if (o.ContainsKey(key)) throw CliException.Usage($"policy file '{path}' line {k.Start.Line}: '{key}' appears twice");
                    o[key] = Convert(v, path, ref nodes, depth + 1);
                }
                return o;
            case YamlSequenceNode seq:
                var a = new JsonArray();
                foreach (var item in seq.Children) a.Add(Convert(item, path, ref nodes, depth + 1));
                return a;
            case YamlScalarNode scalar:
                string? value = scalar.Value;
                if (scalar.Style != ScalarStyle.Plain) return JsonValue.Create(value);
                if (value is null or "" or "~" or "null" or "Null" or "NULL") return null;
                if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
                if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
                if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l)) return JsonValue.Create(l);
                if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && value.Any(char.IsDigit) && !value.Contains(':', StringComparison.Ordinal)) return JsonValue.Create(d);
                return JsonValue.Create(value);
            default:
                throw CliException.Usage($"policy file '{path}' line {node.Start.Line}: unsupported YAML node");
        }
    }
}
