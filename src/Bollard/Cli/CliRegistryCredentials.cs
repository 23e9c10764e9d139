using Bollard.Core.Client;

namespace Bollard.Cli;

/// <summary>
/// Registry credentials for the commands that talk to a registry directly (<c>scan</c>, <c>sbom</c>, <c>sign</c>,
/// <c>verify</c> with <c>docker://</c>): flags, the environment, then the <c>bollard login</c> of that very server
/// (its personal access token), then the docker config and the containers auth file (<see cref="RegistryCredentials.Find"/>).
/// Without the stored login, a user who ran <c>bollard login</c> was refused by the same server on <c>bollard scan</c>.
/// </summary>
internal static class CliRegistryCredentials
{
    /// <exception cref="RegistryClientException">See <see cref="RegistryCredentials.Find"/>.</exception>
    public static RegistryCredentials? Find(string host, string? username, string? password) =>
        RegistryCredentials.Find(host, username, password, Environment.GetEnvironmentVariable, StoredLogin);

    /// <summary>The stored login when its server is <paramref name="host"/> (host and port as in the image reference).</summary>
    private static RegistryCredentials? StoredLogin(string host) =>
        StoredLoginFor(host) is ({ } config, string path)
            ? new RegistryCredentials(config.Username, config.Token) { Source = $"bollard login ({path})" }
            : null;

    /// <summary>The stored login and its file when the login's server is <paramref name="host"/>; else nothing.</summary>
    internal static (CliConfig? Config, string Path) StoredLoginFor(string host)
    {
        string path = CliConfig.DefaultPath();
        CliConfig? config;
        try
        {
            config = CliConfig.Load(path);
        }
        catch (CliException)
        {
            // An unreadable login file is reported by the commands that need it (bollard login/logout and the management
            // commands); a registry command goes on with the other sources.
            return (null, path);
        }
        if (config is null || !Uri.TryCreate(config.Server, UriKind.Absolute, out var server)) return (null, path);
        return string.Equals(server.Authority, host, StringComparison.OrdinalIgnoreCase) ? (config, path) : (null, path);
    }
}
