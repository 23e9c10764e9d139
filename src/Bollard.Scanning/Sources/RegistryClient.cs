using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bollard.Core.Oci;

namespace Bollard.Scanning.Sources;

/// <summary>
/// A client of one OCI Distribution registry (Bollard or any other), reading manifests and blobs. Authentication is
/// the Docker token flow: a 401 with <c>WWW-Authenticate: Bearer realm=..,service=..,scope=..</c> is answered by a
/// token request to the realm (anonymous, or with Basic credentials), the token cached per scope; a Basic challenge
/// gets the credentials directly. HTTPS is used, except for loopback hosts and with <c>insecure</c> (then plain
/// HTTP). Credentials are never sent over plain HTTP to a
/// host that is not loopback unless <c>insecure</c> says so.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    private const string ManifestAccept =
        "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, "
        + "application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

    private readonly HttpClient _http;
    private readonly RegistryCredentials? _credentials;
    private readonly bool _insecure;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private string? _basic;

    public RegistryClient(string host, RegistryCredentials? credentials, bool insecure, HttpMessageHandler? handler = null)
    {
        Host = host;
        _credentials = credentials;
        _insecure = insecure;
        bool plain = insecure || IsLoopback(host);
        BaseUri = new Uri($"{(plain ? "http" : "https")}://{host}/");
        if (handler is null)
        {
            handler = new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, ConnectTimeout = TimeSpan.FromSeconds(30) };
        }
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("bollard-scan/1");
    }

    public string Host { get; }

    public Uri BaseUri { get; }

    /// <summary>A manifest by tag or digest: its bytes (bounded), media type and digest.</summary>
    public async Task<(byte[] Body, string? MediaType)> GetManifestAsync(string repository, string reference, CancellationToken ct)
    {
        using var response = await SendAsync(repository, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, $"v2/{repository}/manifests/{reference}"));
            request.Headers.Accept.ParseAdd(ManifestAccept);
            return request;
        }, $"{Host}/{repository}:{reference}", ct).ConfigureAwait(false);
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        byte[] body = await ManifestWalker.ReadBoundedAsync(stream, ManifestWalker.MaxManifestBytes, $"the manifest {repository}:{reference}", ct).ConfigureAwait(false);
        string? mediaType = response.Content.Headers.ContentType?.MediaType;
        if (Digest.TryParse(reference, out var wanted) && Digest.Compute(wanted.Algorithm, body) != wanted)
            throw new ImageSourceException(ImageSourceError.Invalid, $"{Host}/{repository}@{reference}: the manifest does not match its digest");
        return (body, mediaType);
    }

    /// <summary>A blob's content as a stream (not verified here: the reader verifies it).</summary>
    public async Task<Stream> OpenBlobAsync(string repository, Digest digest, CancellationToken ct)
    {
        var response = await SendAsync(repository, () => new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, $"v2/{repository}/blobs/{digest}")),
            $"{Host}/{repository}@{digest}", ct).ConfigureAwait(false);
        try
        {
            return await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(string repository, Func<HttpRequestMessage> make, string what, CancellationToken ct)
    {
        string scope = $"repository:{repository}:pull";
        bool authenticated = false;
        for (int attempt = 0; ; attempt++)
        {
            using var request = make();
            if (_tokens.TryGetValue(scope, out string? token)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            else if (_basic is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", _basic);
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new ImageSourceException(ImageSourceError.Unreachable, $"cannot reach {BaseUri.GetLeftPart(UriPartial.Authority)}: {e.Message}", e);
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                var challenge = response.Headers.WwwAuthenticate.FirstOrDefault();
                response.Dispose();
                if (challenge is null) throw new ImageSourceException(ImageSourceError.Unauthorized, $"{what}: the registry refused the request without saying how to log in");
                await AuthenticateAsync(challenge, scope, ct).ConfigureAwait(false);
                authenticated = true;
                continue;
            }
            if (response.IsSuccessStatusCode) return response;
            string error = await ErrorTextAsync(response, ct).ConfigureAwait(false);
            var status = response.StatusCode;
            response.Dispose();
            throw status switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new ImageSourceException(ImageSourceError.Unauthorized,
                    $"{what}: access denied{(authenticated && _credentials is not null ? $" for user '{_credentials.Username}'" : _credentials is null ? " (no credentials: give --username/--password, BOLLARD_USERNAME/BOLLARD_PASSWORD or docker login)" : "")}{error}"),
                HttpStatusCode.NotFound => new ImageSourceException(ImageSourceError.NotFound, $"{what}: not found{error}"),
                _ => new ImageSourceException(ImageSourceError.Unreachable, $"{what}: the registry answered {(int)status} {status}{error}"),
            };
        }
    }

    private async Task AuthenticateAsync(AuthenticationHeaderValue challenge, string scope, CancellationToken ct)
    {
        if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (_credentials is null)
                throw new ImageSourceException(ImageSourceError.Unauthorized, $"{Host} wants a user name and password (give --username/--password, BOLLARD_USERNAME/BOLLARD_PASSWORD or docker login)");
            CheckCredentialTransport(BaseUri);
            _basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_credentials.Username}:{_credentials.Password}"));
            return;
        }
        if (!challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            throw new ImageSourceException(ImageSourceError.Unauthorized, $"{Host} asks for an unsupported authentication scheme '{challenge.Scheme}'");
        var parameters = ParseChallenge(challenge.Parameter ?? "");
        if (!parameters.TryGetValue("realm", out string? realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
            throw new ImageSourceException(ImageSourceError.Unauthorized, $"{Host} sent a Bearer challenge without a valid realm");
        var query = new List<string>();
        if (parameters.TryGetValue("service", out string? service)) query.Add("service=" + Uri.EscapeDataString(service));
        query.Add("scope=" + Uri.EscapeDataString(parameters.TryGetValue("scope", out string? s) && s.Length > 0 ? s : scope));
        var tokenUri = new UriBuilder(realmUri) { Query = string.Join('&', query) }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Get, tokenUri);
        if (_credentials is not null)
        {
            CheckCredentialTransport(tokenUri);
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_credentials.Username}:{_credentials.Password}")));
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ImageSourceException(ImageSourceError.Unreachable, $"cannot reach the token service {tokenUri.GetLeftPart(UriPartial.Path)}: {e.Message}", e);
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw new ImageSourceException(ImageSourceError.Unauthorized, _credentials is null
                    ? $"{Host}: anonymous access refused (give --username/--password, BOLLARD_USERNAME/BOLLARD_PASSWORD or docker login)"
                    : $"{Host}: authentication failed for user '{_credentials.Username}'");
            if (!response.IsSuccessStatusCode)
                throw new ImageSourceException(ImageSourceError.Unauthorized, $"{Host}: the token service answered {(int)response.StatusCode}");
            byte[] body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            string? token = null;
            try
            {
                using var doc = JsonDocument.Parse(body);
                foreach (string name in new[] { "token", "access_token" })
                    if (doc.RootElement.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } value) { token = value; break; }
            }
            catch (JsonException)
            {
            }
            _tokens[scope] = token ?? throw new ImageSourceException(ImageSourceError.Unauthorized, $"{Host}: the token service answered without a token");
        }
    }

    private void CheckCredentialTransport(Uri target)
    {
        if (target.Scheme == Uri.UriSchemeHttps || _insecure || IsLoopback(target.Host)) return;
        throw new ImageSourceException(ImageSourceError.Unauthorized, $"{target.Host}: refusing to send credentials over plain HTTP (use --insecure to allow it)");
    }

    private static async Task<string> ErrorTextAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            byte[] body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            using var doc = JsonDocument.Parse(body.AsMemory(0, Math.Min(body.Length, 64 * 1024)));
            if (doc.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0
                && errors[0].TryGetProperty("message", out var m) && m.GetString() is { Length: > 0 } message)
                return $" ({message.ReplaceLineEndings(" ")})";
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or ArgumentException)
        {
        }
        return "";
    }

    /// <summary><c>realm="https://x/token",service="x",scope="repository:a:pull"</c> to a dictionary (quoted values may hold commas).</summary>
    internal static Dictionary<string, string> ParseChallenge(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int i = 0;
        while (i < text.Length)
        {
            while (i < text.Length && (text[i] == ',' || text[i] == ' ')) i++;
            int eq = text.IndexOf('=', i);
            if (eq < 0) break;
            string key = text[i..eq].Trim();
            i = eq + 1;
            string value;
            if (i < text.Length && text[i] == '"')
            {
                var sb = new StringBuilder();
                i++;
                while (i < text.Length && text[i] != '"')
                {
                    if (text[i] == '\\' && i + 1 < text.Length) i++;
                    sb.Append(text[i++]);
                }
                i++;
                value = sb.ToString();
            }
            else
            {
                int comma = text.IndexOf(',', i);
                value = (comma < 0 ? text[i..] : text[i..comma]).Trim();
                i = comma < 0 ? text.Length : comma;
            }
            result[key] = value;
        }
        return result;
    }

    /// <summary><c>localhost</c>, <c>127.x.x.x</c> and <c>::1</c>, with or without a port.</summary>
    public static bool IsLoopback(string host)
    {
        string h = host;
        if (h.StartsWith('['))
        {
            int close = h.IndexOf(']', StringComparison.Ordinal);
            h = close > 0 ? h[1..close] : h;
        }
        else if (h.Count(c => c == ':') == 1)
        {
            h = h[..h.IndexOf(':', StringComparison.Ordinal)];
        }
        if (h.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(h, out var ip) && IPAddress.IsLoopback(ip);
    }
}
