using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary>A failure the CLI reports as one line on standard error, with its exit code.</summary>
internal sealed class CliException(int exitCode, string message, int? status = null) : Exception(message)
{
    /// <summary>Usage and configuration errors.</summary>
    public const int UsageExitCode = 2;

    /// <summary>The server refused, or could not be reached.</summary>
    public const int FailureExitCode = 1;

    public int ExitCode { get; } = exitCode;

    /// <summary>The HTTP status of a server refusal.</summary>
    public int? Status { get; } = status;

    public static CliException Usage(string message) => new(UsageExitCode, message);
    public static CliException Failure(string message, int? status = null) => new(FailureExitCode, message, status);
}

/// <summary>Basic credentials for the management API: a password, personal access token or robot secret.</summary>
internal sealed record CliCredentials(string Username, string Secret, string Source);

/// <summary>How to trust an HTTPS server: a PEM file of its certificate or CA (<c>--ca-cert</c>), or not at all (<c>--insecure</c>).</summary>
internal sealed record CliTls(string? CaCert, bool Insecure)
{
    public static readonly CliTls Default = new(null, false);
}

/// <summary>
/// HTTP client of the management API (<c>/api/v1</c>, Basic auth, JSON shapes of <see cref="ManagementJson"/>).
/// Every failure becomes a <see cref="CliException"/>: the server's own error message for refusals, "cannot reach"
/// for network problems.
/// </summary>
internal sealed class ManagementClient : IDisposable
{
    private readonly TimeSpan _timeout;
    private readonly HttpClient _http;
    private readonly CliCredentials? _credentials;

    private readonly CliTls _tls;

    public ManagementClient(string server, CliCredentials? credentials, TimeSpan? timeout = null, CliTls? tls = null)
    {
        Server = server;
        _timeout = timeout ?? TimeSpan.FromSeconds(60);
        _credentials = credentials;
        _tls = tls ?? CliTls.Default;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // never send the credentials anywhere else
            ConnectTimeout = _timeout < TimeSpan.FromSeconds(15) ? _timeout : TimeSpan.FromSeconds(15),
            UseCookies = false,
        };
#pragma warning disable CA5359 // --insecure: the user asked, per login, not to check the certificate of a test server
        if (_tls.Insecure) handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        else if (_tls.CaCert is { } caFile) handler.SslOptions.RemoteCertificateValidationCallback = TrustOnly(LoadCa(caFile));
        _http = new HttpClient(handler)
        {
            Timeout = Timeout.InfiniteTimeSpan, // _timeout is applied per request, to tell it apart from Ctrl-C
        };
        string version = typeof(ManagementClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "dev";
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("bollard-cli", version));
        _http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public string Server { get; }

    /// <summary>Sends a request and returns the body of a successful answer (empty for 204).</summary>
    public async Task<string> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, Server + path) { Content = content };
        if (_credentials is { } c)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{c.Username}:{c.Secret}")));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_timeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token).ConfigureAwait(false);
            string body = await response.Content.ReadAsStringAsync(timeout.Token).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) return body;
            if (response.StatusCode == HttpStatusCode.BadRequest && body.StartsWith("This port speaks HTTPS", StringComparison.Ordinal))
                throw CliException.Failure($"{Server} is an HTTPS port: use https://{new Uri(Server).Authority} (with --ca-cert FILE for a self-signed certificate)", 400);
            throw Refusal(response, body);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw CliException.Failure($"cannot reach {Server}: no answer within {_timeout.TotalSeconds:0} seconds");
        }
        catch (HttpRequestException e)
        {
            throw CliException.Failure($"cannot reach {Server}: {Explain(e)}");
        }
    }

    public async Task<T> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type, CancellationToken ct) =>
        Parse(await SendAsync(method, path, content, ct).ConfigureAwait(false), type);

    public Task<T> GetAsync<T>(string path, JsonTypeInfo<T> type, CancellationToken ct) => SendAsync(HttpMethod.Get, path, null, type, ct);

    public static HttpContent Json<T>(T value, JsonTypeInfo<T> type) => JsonContent.Create(value, type);

    /// <summary>Parses a successful answer; anything else than the expected JSON means this is not a Bollard server.</summary>
    public T Parse<T>(string body, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(body, type) ?? throw new JsonException("empty answer");
        }
        catch (JsonException e)
        {
            throw CliException.Failure($"{Server} did not answer like a Bollard server ({e.Message})");
        }
    }

    private CliException Refusal(HttpResponseMessage response, string body)
    {
        int status = (int)response.StatusCode;
        string? message = null, code = null;
        try
        {
            if (JsonSerializer.Deserialize(body, ManagementJson.Default.ApiErrorBody) is { Error: { } error })
                (message, code) = (error.Message, error.Code);
        }
        catch (JsonException)
        {
        }
        if (string.IsNullOrWhiteSpace(message))
        {
            string reason = response.ReasonPhrase is { Length: > 0 } r ? $" {r}" : "";
            return CliException.Failure(status == 404
                ? $"{Server} answered {status}{reason}: is it a Bollard server with the management API?"
                : $"{Server} answered {status}{reason}", status);
        }
        var text = new StringBuilder(message);
        text.Append(CultureInfo.InvariantCulture, $" ({status}{(string.IsNullOrEmpty(code) ? "" : " " + code)}");
        if (status == 401 && _credentials is { Source: "BOLLARD_USER" }) text.Append(", credentials from $BOLLARD_USER");
        text.Append(')');
        if (status == 429 && response.Headers.RetryAfter?.Delta is { } wait)
            text.Append(CultureInfo.InvariantCulture, $"; retry in {Math.Ceiling(wait.TotalSeconds):0} seconds");
        if (status == 401 && _credentials is { Source: "login" })
            text.Append("; the stored login is no longer valid: run 'bollard login' again");
        else if (status == 401 && _credentials is null)
            text.Append("; log in with 'bollard login' or set BOLLARD_USER and BOLLARD_PASSWORD");
        return CliException.Failure(text.ToString(), status);
    }

    private static X509Certificate2Collection LoadCa(string file)
    {
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw CliException.Usage($"--ca-cert '{file}' cannot be read as PEM certificates: {e.Message}");
        }
        if (certificates.Count == 0) throw CliException.Usage($"--ca-cert '{file}' holds no PEM certificate");
        return certificates;
    }

    /// <summary>Accepts a server certificate that chains to one of <paramref name="roots"/> and names the host.</summary>
    private static RemoteCertificateValidationCallback TrustOnly(X509Certificate2Collection roots) => (_, certificate, _, errors) =>
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    };

    /// <summary>"cannot reach" with the likely cause: TLS spoken to a plain port, plain HTTP to a TLS port, an untrusted certificate.</summary>
    private string Explain(HttpRequestException e)
    {
        string what = Describe(e);
        var uri = new Uri(Server);
        bool https = uri.Scheme == Uri.UriSchemeHttps;
        Exception? tls = e.InnerException;
        while (tls is not null && tls is not AuthenticationException) tls = tls.InnerException;
        if (https && tls is not null)
        {
            if (tls.Message.Contains("frame", StringComparison.OrdinalIgnoreCase) || tls.InnerException is IOException)
                return $"{what}; the server did not answer TLS: if it speaks plain HTTP, use http://{uri.Authority}";
            if (!_tls.Insecure)
                return $"{what}; the server's TLS certificate is not trusted (self-signed?): give --ca-cert FILE with its certificate or CA, or --insecure for a test server";
        }
        if (!https && e.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse)
            return $"{what}; the server closed the connection without an HTTP answer: if this port speaks HTTPS, use https://{uri.Authority}";
        return what;
    }

    private static string Describe(HttpRequestException e)
    {
        // "Connection refused (127.0.0.1:1)", "Name or service not known (...)", TLS problems from the inner exception.
        if (e.InnerException is SocketException s) return s.Message;
        if (e.InnerException is { } inner && e.Message.Contains("inner exception", StringComparison.OrdinalIgnoreCase))
            return $"{e.Message.Split(',')[0]}: {(inner.InnerException ?? inner).Message}";
        if (e.HttpRequestError == HttpRequestError.SecureConnectionError && e.InnerException is { } tls) return tls.Message;
        return e.Message;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Server URLs as people type them.</summary>
internal static class ServerUrl
{
    /// <summary>
    /// <c>https://registry.example.com</c>, <c>http://127.0.0.1:5000</c>; without a scheme, loopback hosts get
    /// <c>http://</c> and all others <c>https://</c>. The result has no trailing slash.
    /// </summary>
    public static string Normalize(string text)
    {
        string t = text.Trim();
        if (!t.Contains("://", StringComparison.Ordinal))
        {
            string host = t.Split('/')[0];
            bool loopback = host.StartsWith("localhost", StringComparison.OrdinalIgnoreCase) || host.StartsWith("127.", StringComparison.Ordinal) || host.StartsWith("[::1]", StringComparison.Ordinal);
            t = (loopback ? "http://" : "https://") + t;
        }
        if (!Uri.TryCreate(t, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Host.Length == 0)
            throw CliException.Usage($"'{text}' is not a server URL like https://registry.example.com or http://127.0.0.1:5000");
        if (uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw CliException.Usage($"the server URL '{text}' must not carry credentials, a query or a fragment");
        return uri.GetLeftPart(UriPartial.Path).TrimEnd('/');
    }

    /// <summary><c>host:port</c> as <c>docker login</c> wants it.</summary>
    public static string DockerHost(string server)
    {
        var uri = new Uri(server);
        return uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";
    }

    public static bool IsLoopback(string server)
    {
        var uri = new Uri(server);
        return uri.IsLoopback || (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
    }
}
