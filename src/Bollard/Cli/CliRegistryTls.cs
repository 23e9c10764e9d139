using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bollard.Core.Client;

namespace Bollard.Cli;

/// <summary>
/// HTTPS trust for the commands that talk to a registry directly (<c>scan</c>, <c>sbom</c>, <c>sign</c>, <c>verify</c>
/// with <c>docker://</c>), first match wins:
/// <list type="number">
/// <item><c>--ca-cert FILE</c>;</item>
/// <item>the <c>bollard login</c> of that very server when it is an <c>https://</c> URL (its <c>--ca-cert</c> or
/// <c>--insecure</c>): before, a login to a self-signed server worked for the management commands only;</item>
/// <item>the per-host certificate folder that skopeo, podman and docker use (containers-certs.d(5)):
/// <c>$XDG_CONFIG_HOME/containers/certs.d/HOST</c> (or <c>~/.config/...</c>), <c>/etc/containers/certs.d/HOST</c>,
/// <c>/etc/docker/certs.d/HOST</c>, the first that exists; its <c>*.crt</c> files are CA certificates.</item>
/// </list>
/// Any of them also means HTTPS to a loopback host, which otherwise gets plain HTTP.
/// </summary>
internal static class CliRegistryTls
{
    /// <exception cref="CliException">A certificate file cannot be read or holds no certificate (exit code 2).</exception>
    public static RegistryTls? Find(string host, string? caCertFlag)
    {
        if (caCertFlag is not null) return new RegistryTls(Load([caCertFlag], "--ca-cert"), false, $"--ca-cert {caCertFlag}");

        if (CliRegistryCredentials.StoredLoginFor(host) is ({ } login, string path)
            && Uri.TryCreate(login.Server, UriKind.Absolute, out var server) && server.Scheme == Uri.UriSchemeHttps)
        {
            var roots = login.CaCert is { } ca ? Load([ca], $"the --ca-cert of bollard login ({path})") : null;
            return new RegistryTls(roots, login.Insecure, $"bollard login ({path})");
        }

        // A host from an image reference holds no path separator; ".." and separators are refused here too, so the folder
        // is always a direct child of a certs.d root.
        if (host.Length == 0 || host.Contains('/', StringComparison.Ordinal) || host.Contains('\\', StringComparison.Ordinal) || host.Contains("..", StringComparison.Ordinal)) return null;
        foreach (string root in CertsDirectories())
        {
            string dir = Path.Combine(root, host);
            if (!Directory.Exists(dir)) continue;
            var files = Directory.GetFiles(dir, "*.crt").Order(StringComparer.Ordinal).ToList();
            return files.Count == 0 ? null : new RegistryTls(Load(files, dir), false, dir);
        }
        return null;
    }

    private static IEnumerable<string> CertsDirectories()
    {
        string configHome = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
        yield return Path.Combine(configHome, "containers", "certs.d");
        yield return "/etc/containers/certs.d";
        yield return "/etc/docker/certs.d";
    }

    private static X509Certificate2Collection Load(IEnumerable<string> files, string what)
    {
        var all = new X509Certificate2Collection();
        foreach (string file in files)
        {
            int before = all.Count;
            try
            {
                all.ImportFromPemFile(file);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
            {
                throw CliException.Usage($"{what}: '{file}' cannot be read as PEM certificates: {e.Message}");
            }
            if (all.Count == before) throw CliException.Usage($"{what}: '{file}' holds no PEM certificate");
        }
        return all;
    }
}
