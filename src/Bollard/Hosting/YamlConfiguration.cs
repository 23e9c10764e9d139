using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Bollard.Hosting;

/// <summary>
/// Flattens a YAML document into configuration keys (<c>storage: {dataDir: x}</c> becomes <c>Storage:DataDir</c>;
/// sequences become <c>Key:0</c>, <c>Key:1</c>), so a YAML file, environment variables and flags all feed the
/// same <see cref="Microsoft.Extensions.Configuration.IConfiguration"/>. Each key keeps the line it came from, so a
/// bad value is reported as <c>FILE line N</c>; a syntax error names its line and column.
/// </summary>
public static class YamlConfiguration
{
    public static Dictionary<string, string?> Load(string path) => LoadWithLines(path).Values;

    /// <summary>The flattened keys and, for each, its 1-based line in the file.</summary>
    public static (Dictionary<string, string?> Values, Dictionary<string, int> Lines) LoadWithLines(string path)
    {
        if (Directory.Exists(path)) throw new ConfigurationException($"configuration file '{path}' is a folder, not a file");
        if (!File.Exists(path)) throw new ConfigurationException($"configuration file '{path}' does not exist");
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            // YamlDotNet wraps the real reason; its own message repeats the position in a less readable form.
            string reason = (e.InnerException ?? e).Message;
            throw new ConfigurationException(
                $"configuration file '{path}' is not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {reason}", e);
        }
        catch (IOException e)
        {
            throw new ConfigurationException($"configuration file '{path}' cannot be read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new ConfigurationException($"configuration file '{path}' cannot be read: {e.Message}", e);
        }
        if (stream.Documents.Count > 1)
            throw new ConfigurationException($"configuration file '{path}' holds {stream.Documents.Count} YAML documents (line {stream.Documents[1].RootNode.Start.Line}); give one");
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var lines = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        if (stream.Documents.Count > 0)
        {
            var root = stream.Documents[0].RootNode;
            if (root is YamlScalarNode { Value: null or "" }) return (values, lines); // an empty file
            if (root is not YamlMappingNode)
                throw new ConfigurationException($"configuration file '{path}' line {root.Start.Line}: the top level must be a mapping of sections (server:, storage:, ...)");
            Flatten(path, root, null, values, lines);
        }
        return (values, lines);
    }

    private static void Flatten(string path, YamlNode node, string? prefix, Dictionary<string, string?> into, Dictionary<string, int> lines)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    if (key is not YamlScalarNode { Value: { Length: > 0 } k })
                        throw new ConfigurationException($"configuration file '{path}' line {key.Start.Line}, column {key.Start.Column}: a key must be a plain name");
                    string full = prefix is null ? k : prefix + ":" + k;
                    if (lines.TryGetValue(full, out int earlier))
                        throw new ConfigurationException($"configuration file '{path}' line {key.Start.Line}: '{full}' is given twice (also line {earlier})");
                    lines[full] = checked((int)key.Start.Line);
                    Flatten(path, value, full, into, lines);
                }
                break;
            case YamlSequenceNode seq:
                for (int i = 0; i < seq.Children.Count; i++)
                {
                    string full = (prefix ?? "") + ":" + i.ToString(CultureInfo.InvariantCulture);
                    lines[full] = checked((int)seq.Children[i].Start.Line);
                    Flatten(path, seq.Children[i], full, into, lines);
                }
                break;
            case YamlScalarNode scalar when prefix is not null:
                into[prefix] = scalar.Value;
                break;
            default:
                throw new ConfigurationException($"configuration file '{path}' line {node.Start.Line}: unsupported YAML node");
        }
    }
}
