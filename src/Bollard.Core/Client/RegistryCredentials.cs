using System.Text;
using System.Text.Json;

namespace Bollard.Core.Client;

/// <summary>
/// A user name and password (or token) for a registry, and where they are looked up: flags, then
/// <c>BOLLARD_USERNAME</c>/<c>BOLLARD_PASSWORD</c>, then the docker config (<c>$DOCKER_CONFIG/config.json</c> or
/// <c>~/.docker/config.json</c>, its base64 <c>auths</c> entries; credential helpers are not run).
/// </summary>
public sealed record RegistryCredentials(string Username, string Password)
{
    public override string ToString() => $"{Username}:***";

    /// <summary>The credentials for <paramref name="host"/>, or null to go anonymous.</summary>
    /// <exception cref="RegistryClientException">Only one of user name and password was given, or the docker config is unreadable.</exception>
    public static RegistryCredentials? Find(string host, string? username, string? password, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (username is not null || password is not null)
        {
            if (string.IsNullOrEmpty(username) || password is null)
                throw new RegistryClientException(RegistryClientError.Unauthorized, "give both --username and --password");
            return new RegistryCredentials(username, password);
        }
        string? envUser = environment("BOLLARD_USERNAME");
        string? envPassword = environment("BOLLARD_PASSWORD");
        if (!string.IsNullOrEmpty(envUser) && envPassword is not null) return new RegistryCredentials(envUser, envPassword);
        return FromDockerConfig(host, DockerConfigPath(environment));
    }

    private static string? DockerConfigPath(Func<string, string?> environment)
    {
        if (environment("DOCKER_CONFIG") is { Length: > 0 } dir) return Path.Combine(dir, "config.json");
        string? home = environment("HOME");
        if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".docker", "config.json");
    }

    /// <summary>The <c>auths</c> entry of the docker config for a host (keys <c>host</c>, <c>https://host</c>, <c>http://host</c>, with or without a path).</summary>
    internal static RegistryCredentials? FromDockerConfig(string host, string? path)
    {
        if (path is null || !File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (!doc.RootElement.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object) return null;
            foreach (var entry in auths.EnumerateObject())
            {
                if (!HostOf(entry.Name).Equals(host, StringComparison.OrdinalIgnoreCase)) continue;
                if (entry.Value.ValueKind != JsonValueKind.Object) continue;
                if (entry.Value.TryGetProperty("auth", out var auth) && auth.ValueKind == JsonValueKind.String && auth.GetString() is { Length: > 0 } encoded)
                {
                    string decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
                    int colon = decoded.IndexOf(':', StringComparison.Ordinal);
                    if (colon > 0) return new RegistryCredentials(decoded[..colon], decoded[(colon + 1)..]);
                }
                if (entry.Value.TryGetProperty("username", out var u) && u.GetString() is { Length: > 0 } user
                    && entry.Value.TryGetProperty("password", out var p) && p.GetString() is { } pass)
                    return new RegistryCredentials(user, pass);
            }
            return null;
        }
        catch (Exception e) when (e is JsonException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new RegistryClientException(RegistryClientError.Unauthorized, $"the docker config {path} cannot be read: {e.Message}", e);
        }
    }

    private static string HostOf(string key)
    {
        string k = key;
        int scheme = k.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) k = k[(scheme + 3)..];
        int slash = k.IndexOf('/', StringComparison.Ordinal);
        return slash >= 0 ? k[..slash] : k;
    }
}
