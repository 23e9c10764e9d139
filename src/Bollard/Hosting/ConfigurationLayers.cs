using Microsoft.Extensions.Configuration;

namespace Bollard.Hosting;

/// <summary>
/// The places a setting can come from, lowest precedence first: built-in defaults, the YAML file,
/// <c>BOLLARD__SECTION__KEY</c> environment variables, <c>BOLLARD_ADMIN_PASSWORD</c>, command-line flags (and
/// the overrides of an in-process host). Each layer remembers how to name a key's origin, so that an error says
/// <c>--listen</c> when the flag was wrong and <c>bollard.yml line 3</c> when the file was.
/// </summary>
public sealed class ConfigurationLayers
{
    public const string EnvironmentPrefix = "BOLLARD__";
    public const string AdminPasswordVariable = "BOLLARD_ADMIN_PASSWORD";

    /// <summary>Settings that have a <c>bollard serve</c> flag.</summary>
    public static readonly IReadOnlyDictionary<string, string> Flags = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Server:Listen"] = "--listen",
        ["Storage:DataDir"] = "--data",
        ["Server:TlsCertificate"] = "--tls-cert",
        ["Server:TlsKey"] = "--tls-key",
    };

    private readonly List<Layer> _layers = [];

    private sealed record Layer(string Kind, Dictionary<string, string?> Values, Func<string, string> Origin);

    public static ConfigurationLayers Read(IReadOnlyDictionary<string, string?> defaults, string? configFile,
        IReadOnlyDictionary<string, string?> overrides, bool fromCommandLine)
    {
        var layers = new ConfigurationLayers();
        layers._layers.Add(new Layer("default", new(defaults, StringComparer.OrdinalIgnoreCase), key => $"{key} (default)"));
        if (configFile is not null)
        {
            var (values, lines) = YamlConfiguration.LoadWithLines(configFile);
            string file = Path.GetFileName(configFile);
            layers._layers.Add(new Layer("file", values,
                key => lines.TryGetValue(key, out int line) ? $"{key} ({file} line {line})" : $"{key} ({file})"));
        }
        var env = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var envNames = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
        {
            if (e.Key is not string name || !name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase)) continue;
            string key = name[EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal);
            if (key.Length == 0) continue;
            env[key] = e.Value as string;
            envNames[key] = name;
        }
        layers._layers.Add(new Layer("environment", env, key => envNames.TryGetValue(key, out var n) ? n : key));
        // The documented name for the first admin's password; it wins over Auth:AdminPassword from the file or
        // BOLLARD__AUTH__ADMINPASSWORD (both still accepted).
        if (Environment.GetEnvironmentVariable(AdminPasswordVariable) is { Length: > 0 } adminPassword)
            layers._layers.Add(new Layer("environment", new(StringComparer.OrdinalIgnoreCase) { ["Auth:AdminPassword"] = adminPassword }, _ => AdminPasswordVariable));
        layers._layers.Add(new Layer("flags", new(overrides, StringComparer.OrdinalIgnoreCase),
            key => fromCommandLine && Flags.TryGetValue(key, out var flag) ? flag : key));
        return layers;
    }

    /// <summary>Adds a top layer (values normalised by validation, e.g. <c>12h</c> written as <c>12:00:00</c>).</summary>
    public void AddNormalized(Dictionary<string, string?> values) =>
        _layers.Add(new Layer("normalized", values, key => Origin(key, skipNormalized: true)));

    /// <summary>Adds every layer, in precedence order, to <paramref name="configuration"/>.</summary>
    public void AddTo(IConfigurationBuilder configuration)
    {
        foreach (var layer in _layers) configuration.AddInMemoryCollection(layer.Values);
    }

    /// <summary>Keys given by a user (every layer but the defaults).</summary>
    public IEnumerable<(string Key, string Origin)> UserKeys() =>
        _layers.Where(l => l.Kind is not "default" and not "normalized").SelectMany(l => l.Values.Keys.Select(k => (k, l.Origin(k))));

    /// <summary>How to name the origin of the effective value of <paramref name="key"/>: <c>--listen</c>, <c>BOLLARD__SERVER__LISTEN</c>, <c>Server:Listen (bollard.yml line 2)</c>.</summary>
    public string Origin(string key) => Origin(key, skipNormalized: true);

    private string Origin(string key, bool skipNormalized)
    {
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            if (skipNormalized && _layers[i].Kind == "normalized") continue;
            if (_layers[i].Values.ContainsKey(key)) return _layers[i].Origin(key);
        }
        return key;
    }

    /// <summary>Whether the effective value of <paramref name="key"/> came from a layer of <paramref name="kind"/> (default, file, environment, flags).</summary>
    public bool CameFrom(string key, string kind)
    {
        for (int i = _layers.Count - 1; i >= 0; i--)
        {
            if (_layers[i].Kind == "normalized") continue;
            if (_layers[i].Values.ContainsKey(key)) return _layers[i].Kind == kind;
        }
        return false;
    }
}
