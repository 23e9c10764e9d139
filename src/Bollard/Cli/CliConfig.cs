using System.Text.Json;
using System.Text.Json.Serialization;

namespace Bollard.Cli;

/// <summary>
/// What <c>bollard login</c> remembers: the server, the user and a personal access token made for the CLI
/// (never the password). Kept in <c>$BOLLARD_CLI_CONFIG</c>, else <c>$XDG_CONFIG_HOME/bollard/cli.json</c>,
/// else <c>~/.config/bollard/cli.json</c>, readable by its owner only (0600).
/// </summary>
/// <param name="CaCert">PEM file that <c>bollard login --ca-cert</c> was given (absolute path); null for the system's trust.</param>
/// <param name="Insecure">The login was made with <c>--insecure</c>: the server's certificate is not checked.</param>
internal sealed record CliConfig(string Server, string Username, string Token, long? TokenId, DateTimeOffset? CreatedAt,
    string? CaCert = null, bool Insecure = false)
{
    public CliTls Tls => new(CaCert, Insecure);

    public static string DefaultPath()
    {
        if (Environment.GetEnvironmentVariable("BOLLARD_CLI_CONFIG") is { Length: > 0 } explicitPath) return Path.GetFullPath(explicitPath);
        string configHome = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        return Path.Combine(configHome, "bollard", "cli.json");
    }

    /// <summary>The stored login, or null when there is none.</summary>
    /// <exception cref="CliException">The file exists but cannot be read (exit code 2).</exception>
    public static CliConfig? Load(string path)
    {
        string text;
        try
        {
            if (!File.Exists(path)) return null;
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"cannot read {path}: {e.Message}");
        }
        try
        {
            var config = JsonSerializer.Deserialize(text, CliJson.Default.CliConfig);
            if (config is null || string.IsNullOrEmpty(config.Server) || string.IsNullOrEmpty(config.Username) || string.IsNullOrEmpty(config.Token))
                throw new JsonException("server, username or token is missing");
            return config;
        }
        catch (JsonException e)
        {
            throw CliException.Usage($"{path} is not a valid bollard CLI configuration ({e.Message}); run 'bollard login' again or delete it");
        }
    }

    /// <summary>Writes the file atomically (temp file + rename), mode 0600, in a folder of mode 0700 when it is new.</summary>
    public void Save(string path)
    {
        try
        {
            string dir = Path.GetDirectoryName(path) ?? ".";
            if (!Directory.Exists(dir))
            {
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
                else Directory.CreateDirectory(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            string temp = Path.Combine(dir, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            try
            {
                using (var stream = new FileStream(temp, options))
                {
                    // A stale temp file of an earlier crash keeps its mode: set it again before writing the secret.
                    if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(stream.SafeFileHandle, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    JsonSerializer.Serialize(stream, this, CliJson.Default.CliConfig);
                    stream.Flush(flushToDisk: true);
                }
                File.Move(temp, path, overwrite: true);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"cannot write {path}: {e.Message}");
        }
    }

    public static void Delete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.Usage($"cannot delete {path}: {e.Message}");
        }
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CliConfig))]
internal sealed partial class CliJson : JsonSerializerContext;
