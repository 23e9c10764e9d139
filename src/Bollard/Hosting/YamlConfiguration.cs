using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Bollard.Hosting;

/// <summary>
/// Flattens a YAML document into configuration keys (<c>storage: {dataDir: x}</c> becomes <c>Storage:DataDir</c>;
/// sequences become <c>Key:0</c>, <c>Key:1</c>), so a YAML file, environment variables and flags all feed the
/// same <see cref="Microsoft.Extensions.Configuration.IConfiguration"/>.
/// </summary>
public static class YamlConfiguration
{
    public static Dictionary<string, string?> Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"configuration file '{path}' does not exist", path);
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new InvalidDataException($"configuration file '{path}' is not valid YAML: {e.Message}", e);
        }
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (stream.Documents.Count > 0) Flatten(stream.Documents[0].RootNode, null, result);
        return result;
    }

    private static void Flatten(YamlNode node, string? prefix, Dictionary<string, string?> into)
    {
        switch (node)
        {
            case YamlMappingNode map:
                foreach (var (key, value) in map.Children)
                {
                    string k = ((YamlScalarNode)key).Value ?? "";
                    Flatten(value, prefix is null ? k : prefix + ":" + k, into);
                }
                break;
            case YamlSequenceNode seq:
                for (int i = 0; i < seq.Children.Count; i++)
                    Flatten(seq.Children[i], (prefix ?? "") + ":" + i.ToString(CultureInfo.InvariantCulture), into);
                break;
            case YamlScalarNode scalar when prefix is not null:
                into[prefix] = scalar.Value;
                break;
        }
    }
}
