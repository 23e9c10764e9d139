using System.Text;
using Bollard.Core.Client;

namespace Bollard.Core.Mirror.Upstream;

/// <summary>
/// What <see cref="HttpUpstreamRegistry"/> keeps per upstream: its parsed base URL, its credentials (stored ones, else the
/// password file read once, else the configured password), its bearer tokens, whether it asked for Basic, and the host
/// rules for realms and redirects. A session lives as long as its credentials: new stored ones make a new session (and
/// so drop the tokens got with the old ones).
/// </summary>
internal sealed class UpstreamSession
{
    private volatile bool _wantsBasic;

    private UpstreamSession(UpstreamOptions options, Uri baseUri, UpstreamCredential? stored, string? username, string? basic, string configPath, TimeProvider time)
    {
        Options = options;
        BaseUri = baseUri;
        Stored = stored;
        Username = username;
        Basic = basic;
        ConfigPath = configPath;
        Tokens = new UpstreamTokenCache(time);
    }

    public UpstreamOptions Options { get; }

    /// <summary>The upstream's URL, ending in a slash (<c>v2/...</c> resolves under it).</summary>
    public Uri BaseUri { get; }

    /// <summary>The stored credentials this session was made with (<see cref="UpstreamCredentials"/>); null: the configuration's.</summary>
    public UpstreamCredential? Stored { get; }

    /// <summary>The user name sent, for messages; null: anonymous.</summary>
    public string? Username { get; }

    /// <summary>base64 <c>user:password</c>, or null to go anonymous.</summary>
    public string? Basic { get; }

    /// <summary>Where the upstream is configured, for messages: <c>Mirror:Upstreams:0</c>.</summary>
    public string ConfigPath { get; }

    public UpstreamTokenCache Tokens { get; }

    public string Name => Options.Name;

    /// <summary>The upstream answered a Basic challenge: later requests carry the credentials from the start.</summary>
    public bool WantsBasic
    {
        get => _wantsBasic;
        set => _wantsBasic = value;
    }

    /// <exception cref="UpstreamException"><see cref="UpstreamFailure.Forbidden"/> for a URL that is not http(s);
    /// <see cref="UpstreamFailure.Unauthorized"/> for half-given credentials or an unreadable password file.</exception>
    /// <param name="stored">Credentials stored at runtime: they win over the configuration's (which are then not read).</param>
    public static UpstreamSession Create(UpstreamOptions options, string configPath, TimeProvider time, UpstreamCredential? stored = null)
    {
        string url = options.Url.EndsWith('/') ? options.Url : options.Url + "/";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var baseUri) || (baseUri.Scheme != Uri.UriSchemeHttps && baseUri.Scheme != Uri.UriSchemeHttp))
            throw new UpstreamException(UpstreamFailure.Forbidden, $"upstream {options.Name}: Url '{options.Url}' is not an http(s) URL ({configPath}:Url)");
        if (stored is not null)
            return new UpstreamSession(options, baseUri, stored, stored.Username, BasicOf(stored.Username, stored.Password), configPath, time);
        string? basic = Credentials(options, configPath);
        return new UpstreamSession(options, baseUri, null, basic is null ? null : options.Username, basic, configPath, time);
    }

    /// <summary>Whether <paramref name="uri"/> is on the upstream's own host or one of its <see cref="UpstreamOptions.AllowedHosts"/>.</summary>
    /// <remarks>Hosts compare without ports (a registry's token service often listens on another port of the same host);
    /// an AllowedHosts entry may name <c>host</c>, <c>host:port</c> or <c>*.domain</c>.</remarks>
    public bool IsKnownHost(Uri uri)
    {
        if (string.Equals(uri.Host, BaseUri.Host, StringComparison.OrdinalIgnoreCase)) return true;
        foreach (string allowed in Options.AllowedHosts)
        {
            string entry = allowed.Trim();
            if (entry.Length == 0) continue;
            if (entry.Equals(uri.Host, StringComparison.OrdinalIgnoreCase) || entry.Equals(uri.Authority, StringComparison.OrdinalIgnoreCase)) return true;
            if (entry.StartsWith("*.", StringComparison.Ordinal) && uri.Host.EndsWith(entry[1..], StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    /// <summary>Credentials travel only over HTTPS or to loopback (a local upstream in tests and on the same host).</summary>
    public void CheckCredentialTransport(Uri target)
    {
        if (target.Scheme == Uri.UriSchemeHttps || target.IsLoopback || RegistryClient.IsLoopback(target.Host)) return;
        throw new UpstreamException(UpstreamFailure.Forbidden,
            $"upstream {Name}: refusing to send its credentials over plain http to {target.Authority} (use https)");
    }

    /// <summary>The configuration's credentials: PasswordFile before Password (validation allows only one of them).</summary>
    private static string? Credentials(UpstreamOptions options, string configPath)
    {
        string? password = options.Password;
        if (!string.IsNullOrEmpty(options.PasswordFile))
        {
            try
            {
                // Files written by `echo` or a secret mount end in a newline that is not part of the password.
                password = File.ReadAllText(options.PasswordFile).TrimEnd('\r', '\n');
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new UpstreamException(UpstreamFailure.Unauthorized,
                    $"upstream {options.Name}: cannot read the password file {options.PasswordFile} ({configPath}:PasswordFile): {e.Message}", e);
            }
        }
        bool hasUser = !string.IsNullOrEmpty(options.Username);
        if (!hasUser && password is null) return null;
        if (!hasUser || password is null)
            throw new UpstreamException(UpstreamFailure.Unauthorized,
                $"upstream {options.Name}: give both {configPath}:Username and {configPath}:Password (or PasswordFile), or store credentials with 'bollard mirror login {options.Name}'");
        return BasicOf(options.Username!, password);
    }

    private static string BasicOf(string username, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{username}:{password}"));
}
