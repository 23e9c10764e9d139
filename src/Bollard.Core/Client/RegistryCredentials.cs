using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Bollard.Core.Client;

/// <summary>
/// A user name and password (or token) for a registry, or an identity token (<see cref="IsIdentityToken"/>: an OAuth2
/// refresh token, redeemed at the registry's token service), and where they are looked up: flags, then
/// <c>BOLLARD_USERNAME</c>/<c>BOLLARD_PASSWORD</c>, then the docker config (<c>$DOCKER_CONFIG/config.json</c> or
/// <c>~/.docker/config.json</c>) as docker reads it: <c>credHelpers[host]</c>, else <c>credsStore</c> (both run
/// <c>docker-credential-NAME get</c>, see <see cref="DockerCredentialHelper"/>; a helper with nothing for the host
/// means anonymous, as with docker), else the <c>auths</c> entry (base64 <c>auth</c>, <c>username</c>/<c>password</c>
/// or <c>identitytoken</c>). Between the environment and the docker config, the caller may give a stored login of its
/// own (the CLI's <c>bollard login</c> to that server); after the docker config, the containers auth file that
/// <c>skopeo login</c> and <c>podman login</c> write (containers-auth.json(5): <c>$REGISTRY_AUTH_FILE</c>, else
/// <c>$XDG_RUNTIME_DIR/containers/auth.json</c> or <c>/run/containers/UID/auth.json</c>, then
/// <c>$XDG_CONFIG_HOME/containers/auth.json</c> or <c>~/.config/containers/auth.json</c>), same <c>auths</c> format.
/// </summary>
public sealed record RegistryCredentials(string Username, string Password)
{
    /// <summary>The user name docker's credential helpers answer for an identity token.</summary>
    public const string IdentityTokenUsername = "<token>";

    /// <summary>Docker Hub's names are one registry; docker keys its credentials as <c>https://index.docker.io/v1/</c>.</summary>
    private static readonly string[] DockerHub = ["docker.io", "index.docker.io", "registry-1.docker.io"];

    /// <summary>The secret (<see cref="Password"/>) is an identity token: sent as <c>grant_type=refresh_token</c> to the token service, never as Basic.</summary>
    public bool IsIdentityToken { get; init; }

    /// <summary>Where they came from, for messages (<c>--username</c>, <c>credsStore "pass" of ~/.docker/config.json</c>).</summary>
    public string? Source { get; init; }

    public override string ToString() => $"{Username}:***";

    public static RegistryCredentials FromIdentityToken(string token) => new(IdentityTokenUsername, token) { IsIdentityToken = true };

    /// <summary>The credentials for <paramref name="host"/>, or null to go anonymous.</summary>
    /// <exception cref="RegistryClientException">Only one of user name and password was given, the docker config is unreadable, or its credential helper failed.</exception>
    /// <param name="storedLogin">The caller's own login for a host (null: none), consulted after the environment.</param>
    public static RegistryCredentials? Find(string host, string? username, string? password, Func<string, string?> environment,
        Func<string, RegistryCredentials?>? storedLogin = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (username is not null || password is not null)
        {
            if (string.IsNullOrEmpty(username) || password is null)
                throw new RegistryClientException(RegistryClientError.Unauthorized, "give both --username and --password");
            return new RegistryCredentials(username, password) { Source = "--username/--password" };
        }
        string? envUser = environment("BOLLARD_USERNAME");
        string? envPassword = environment("BOLLARD_PASSWORD");
        if (!string.IsNullOrEmpty(envUser) && envPassword is not null) return new RegistryCredentials(envUser, envPassword) { Source = "BOLLARD_USERNAME" };
        if (storedLogin?.Invoke(host) is { } stored) return stored;
        // A docker config that names a helper or an entry for the host decides, as with docker; without either, the
        // containers auth files of skopeo/podman are asked.
        var (decides, fromDocker) = FromDockerConfig(host, DockerConfigPath(environment), () => HelperTimeout(environment));
        if (decides) return fromDocker;
        foreach (string path in ContainersAuthPaths(environment))
            if (FromAuthFile(host, path) is { } found) return found;
        return null;
    }

    /// <summary>containers-auth.json(5)'s files, in the order skopeo and podman read them.</summary>
    private static IEnumerable<string> ContainersAuthPaths(Func<string, string?> environment)
    {
        if (environment("REGISTRY_AUTH_FILE") is { Length: > 0 } explicitFile)
        {
            yield return explicitFile;
            yield break;
        }
        if (environment("XDG_RUNTIME_DIR") is { Length: > 0 } runtime) yield return Path.Combine(runtime, "containers", "auth.json");
        else if (CurrentUid() is { } uid) yield return Path.Combine("/run", "containers", uid, "auth.json");
        string? home = environment("HOME");
        if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string? config = environment("XDG_CONFIG_HOME") is { Length: > 0 } xdg ? xdg : string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".config");
        if (config is not null) yield return Path.Combine(config, "containers", "auth.json");
    }

    /// <summary>The real user id (from <c>/proc/self/status</c>), for the runtime folder containers/image uses without <c>XDG_RUNTIME_DIR</c>.</summary>
    private static string? CurrentUid()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Uid:", StringComparison.Ordinal))
                    return line[4..].Trim().Split('\t', ' ')[0];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // not Linux, or no /proc: no runtime folder to look in
        }
        return null;
    }

    /// <summary>The <c>auths</c> entry for <paramref name="host"/> in a containers auth file; null when the file or the entry is not there.</summary>
    /// <exception cref="RegistryClientException">The file is there but not JSON of that format.</exception>
    private static RegistryCredentials? FromAuthFile(string host, string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.ValueKind == JsonValueKind.Object ? FromAuths(doc.RootElement, host, path) : null;
        }
        catch (Exception e) when (e is JsonException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new RegistryClientException(RegistryClientError.Unauthorized, $"the containers auth file {path} cannot be read: {e.Message}", e);
        }
    }

    private static string? DockerConfigPath(Func<string, string?> environment)
    {
        if (environment("DOCKER_CONFIG") is { Length: > 0 } dir) return Path.Combine(dir, "config.json");
        string? home = environment("HOME");
        if (string.IsNullOrEmpty(home)) home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : Path.Combine(home, ".docker", "config.json");
    }

    private static TimeSpan HelperTimeout(Func<string, string?> environment) =>
        environment("BOLLARD_CREDENTIAL_HELPER_TIMEOUT") is { Length: > 0 } text
            ? double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && seconds <= 3600
                ? TimeSpan.FromSeconds(seconds)
                : throw new RegistryClientException(RegistryClientError.Unauthorized, $"BOLLARD_CREDENTIAL_HELPER_TIMEOUT '{text}' is not a number of seconds (0 to 3600)")
            : DockerCredentialHelper.DefaultTimeout;

    /// <summary>The docker config's credentials for a host, in docker's order: <c>credHelpers[host]</c>, <c>credsStore</c>, <c>auths</c> (keys <c>host</c>, <c>https://host</c>, <c>http://host</c>, with or without a path).</summary>
    /// <returns><c>Decides</c>: the config has a say for the host (a <c>credsStore</c>, or a <c>credHelpers</c> or <c>auths</c>
    /// entry for it), and <c>Credentials</c> is its answer (null: anonymous); else nothing is configured for the host.</returns>
    internal static (bool Decides, RegistryCredentials? Credentials) FromDockerConfig(string host, string? path, Func<TimeSpan> helperTimeout)
    {
        if (path is null || !File.Exists(path)) return (false, null);
        string? helper = null, where = null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (false, null);
            if (root.TryGetProperty("credHelpers", out var helpers) && helpers.ValueKind == JsonValueKind.Object)
                foreach (var entry in helpers.EnumerateObject())
                    if (SameRegistry(HostOf(entry.Name), host) && entry.Value.ValueKind == JsonValueKind.String && entry.Value.GetString() is { Length: > 0 } name)
                        (helper, where) = (name, $"credHelpers[\"{entry.Name}\"] of {path}");
            if (helper is null && root.TryGetProperty("credsStore", out var store) && store.ValueKind == JsonValueKind.String && store.GetString() is { Length: > 0 } storeName)
                (helper, where) = (storeName, $"credsStore of {path}");
            if (helper is null) return (Mentions(root, "credHelpers", host) || Mentions(root, "auths", host), FromAuths(root, host, path));
        }
        catch (Exception e) when (e is JsonException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new RegistryClientException(RegistryClientError.Unauthorized, $"the docker config {path} cannot be read: {e.Message}", e);
        }
        return (true, DockerCredentialHelper.Get(helper, ServerUrl(host), helperTimeout(), where!) is { } found ? found with { Source = where } : null);
    }

    /// <summary>Whether the object <paramref name="section"/> of the config has a key for <paramref name="host"/>.</summary>
    private static bool Mentions(JsonElement root, string section, string host) =>
        root.TryGetProperty(section, out var entries) && entries.ValueKind == JsonValueKind.Object
        && entries.EnumerateObject().Any(e => SameRegistry(HostOf(e.Name), host));

    private static RegistryCredentials? FromAuths(JsonElement root, string host, string path)
    {
        if (!root.TryGetProperty("auths", out var auths) || auths.ValueKind != JsonValueKind.Object) return null;
        foreach (var entry in auths.EnumerateObject())
        {
            if (!SameRegistry(HostOf(entry.Name), host)) continue;
            if (entry.Value.ValueKind != JsonValueKind.Object) continue;
            string source = $"auths[\"{entry.Name}\"] of {path}";
            if (entry.Value.TryGetProperty("identitytoken", out var identity) && identity.ValueKind == JsonValueKind.String && identity.GetString() is { Length: > 0 } token)
                return FromIdentityToken(token) with { Source = source };
            if (entry.Value.TryGetProperty("auth", out var auth) && auth.ValueKind == JsonValueKind.String && auth.GetString() is { Length: > 0 } encoded)
            {
                string decoded = Encoding.UTF8.GetString(Convert.FromBase64String(encoded));
                int colon = decoded.IndexOf(':', StringComparison.Ordinal);
                if (colon > 0) return new RegistryCredentials(decoded[..colon], decoded[(colon + 1)..]) { Source = source };
            }
            if (entry.Value.TryGetProperty("username", out var u) && u.GetString() is { Length: > 0 } user
                && entry.Value.TryGetProperty("password", out var p) && p.GetString() is { } pass)
                return new RegistryCredentials(user, pass) { Source = source };
        }
        return null;
    }

    private static bool SameRegistry(string a, string b) =>
        a.Equals(b, StringComparison.OrdinalIgnoreCase)
        || (DockerHub.Contains(a, StringComparer.OrdinalIgnoreCase) && DockerHub.Contains(b, StringComparer.OrdinalIgnoreCase));

    /// <summary>What docker gives a credential helper: the host, or Docker Hub's legacy URL.</summary>
    private static string ServerUrl(string host) => DockerHub.Contains(host, StringComparer.OrdinalIgnoreCase) ? "https://index.docker.io/v1/" : host;

    private static string HostOf(string key)
    {
        string k = key;
        int scheme = k.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) k = k[(scheme + 3)..];
        int slash = k.IndexOf('/', StringComparison.Ordinal);
        return slash >= 0 ? k[..slash] : k;
    }
}
