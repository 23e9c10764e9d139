using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Core.Registry;

namespace Bollard.Core.Client;

/// <summary>
/// A client of one OCI Distribution registry (Bollard or any other): manifests (GET, HEAD, PUT with conditions), blobs
/// (read, exists, monolithic upload), tags and referrers (the OCI 1.1 API, or its tag-schema fallback). Used by the CLI
/// (<c>bollard scan</c>, <c>sign</c>, <c>verify</c>); the pull-through mirror has its own hardened, thread-safe client
/// (<see cref="Mirror.Upstream.HttpUpstreamRegistry"/>) sharing <see cref="RegistryProtocol"/>.
/// <para>
/// Authentication is the Docker token flow: a 401 with <c>WWW-Authenticate: Bearer realm=..,service=..,scope=..</c> is
/// answered by a token request to the realm (anonymous, or with Basic credentials), the token cached per scope
/// (<c>repository:NAME:pull</c>, or <c>pull,push</c> for writes); a Basic challenge gets the credentials directly.
/// HTTPS is used, except for loopback hosts and with <c>insecure</c> (then plain HTTP). Credentials are never sent over
/// plain HTTP to a host that is not loopback unless <c>insecure</c> says so.
/// </para>
/// Every body read into memory is bounded (<see cref="MaxManifestBytes"/>, the caller's blob limit). Not thread-safe
/// for concurrent use of one instance (the token cache is a plain dictionary): one client per task.
/// </summary>
public sealed class RegistryClient : IDisposable
{
    /// <summary>The largest manifest (or referrers index, or tag list page) read: Bollard's own default limit.</summary>
    public const int MaxManifestBytes = 4 * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly RegistryCredentials? _credentials;
    private readonly bool _insecure;
    private readonly Dictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private string? _basic;
    private string? _identityToken;

    /// <param name="tls">Extra trust for the registry's HTTPS certificate; when given, HTTPS is spoken even to a loopback host (not with <paramref name="insecure"/>, which means plain HTTP).</param>
    public RegistryClient(string host, RegistryCredentials? credentials, bool insecure, HttpMessageHandler? handler = null, RegistryTls? tls = null)
    {
        Host = host;
        _credentials = credentials;
        _identityToken = credentials is { IsIdentityToken: true } ? credentials.Password : null;
        _insecure = insecure;
        bool plain = insecure || (IsLoopback(host) && tls is null);
        BaseUri = new Uri($"{(plain ? "http" : "https")}://{host}/");
        if (handler is null)
        {
            var sockets = new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None, ConnectTimeout = TimeSpan.FromSeconds(30) };
            if (tls is not null) sockets.SslOptions.RemoteCertificateValidationCallback = tls.Callback();
            handler = sockets;
        }
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("bollard/1");
    }

    public string Host { get; }

    public Uri BaseUri { get; }

    /// <summary>A manifest by tag or digest: its bytes (at most <see cref="MaxManifestBytes"/>), media type and digest (verified when asked by digest).</summary>
    /// <exception cref="RegistryClientException"><see cref="RegistryClientError.NotFound"/> when there is none, and every other failure.</exception>
    public async Task<RegistryManifest> GetManifestAsync(string repository, string reference, CancellationToken ct) =>
        await TryGetManifestAsync(repository, reference, ct).ConfigureAwait(false)
        ?? throw new RegistryClientException(RegistryClientError.NotFound, $"{Describe(repository, reference)}: not found") { Status = 404 };

    /// <summary>Like <see cref="GetManifestAsync"/>, null when the registry answers 404.</summary>
    public async Task<RegistryManifest?> TryGetManifestAsync(string repository, string reference, CancellationToken ct)
    {
        using var response = await SendAsync(repository, false, () => ManifestRequest(HttpMethod.Get, repository, reference),
            Describe(repository, reference), ct, allowNotFound: true).ConfigureAwait(false);
        if (response is null) return null;
        byte[] body = await ReadBoundedAsync(response, MaxManifestBytes, $"the manifest {Describe(repository, reference)}", ct).ConfigureAwait(false);
        string? mediaType = MediaTypes.WithoutParameters(response.Content.Headers.ContentType?.MediaType);
        Digest digest = Digest.Sha256Of(body);
        if (Digest.TryParse(reference, out var wanted))
        {
            if (Digest.Compute(wanted.Algorithm, body) != wanted)
                throw new RegistryClientException(RegistryClientError.Invalid, $"{Host}/{repository}@{reference}: the manifest does not match its digest");
            digest = wanted;
        }
        else if (response.Headers.TryGetValues("Docker-Content-Digest", out var values)
                 && Digest.TryParse(values.FirstOrDefault(), out var header) && header.Algorithm != DigestAlgorithm.Sha256)
        {
            // A registry naming its manifests by another algorithm: keep its name, after checking it is these bytes.
            if (Digest.Compute(header.Algorithm, body) == header) digest = header;
        }
        return new RegistryManifest(digest, mediaType is { Length: > 0 } m ? m : RegistryProtocol.DeclaredMediaType(body) ?? MediaTypes.OciManifest, body);
    }

    /// <summary>HEAD of a manifest: its digest (<c>Docker-Content-Digest</c>), media type and size, or null when there is none.</summary>
    /// <remarks>A registry that answers HEAD without the digest header gets a GET, whose bytes are hashed.</remarks>
    public async Task<ManifestHead?> HeadManifestAsync(string repository, string reference, CancellationToken ct)
    {
        using (var response = await SendAsync(repository, false, () => ManifestRequest(HttpMethod.Head, repository, reference),
                   Describe(repository, reference), ct, allowNotFound: true).ConfigureAwait(false))
        {
            if (response is null) return null;
            if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var digest)
                && response.Content.Headers.ContentLength is long size && MediaTypes.WithoutParameters(response.Content.Headers.ContentType?.MediaType) is { Length: > 0 } mediaType)
                return new ManifestHead(digest, mediaType, size);
        }
        var manifest = await TryGetManifestAsync(repository, reference, ct).ConfigureAwait(false);
        return manifest is null ? null : new ManifestHead(manifest.Digest, manifest.MediaType, manifest.Body.Length);
    }

    /// <summary>
    /// Stores a manifest under a tag or its digest. <paramref name="condition"/> makes it conditional: Bollard answers
    /// 412 (<see cref="RegistryClientError.PreconditionFailed"/>) when the tag no longer points where the caller read it;
    /// other registries ignore the headers.
    /// </summary>
    /// <returns>The digest the registry reports (<c>Docker-Content-Digest</c>), else the SHA-256 of the body.</returns>
    public async Task<Digest> PutManifestAsync(string repository, string reference, string mediaType, byte[] body, TagCondition? condition, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var response = await SendAsync(repository, true, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, new Uri(BaseUri, $"v2/{repository}/manifests/{reference}"))
            {
                Content = new ByteArrayContent(body),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
            if (condition is not null)
            {
                foreach (var match in condition.IfMatch) request.Headers.IfMatch.Add(new EntityTagHeaderValue($"\"{match}\""));
                if (condition.IfExists) request.Headers.IfMatch.Add(EntityTagHeaderValue.Any);
                if (condition.IfAbsent) request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Any);
                foreach (var none in condition.IfNoneMatch) request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue($"\"{none}\""));
            }
            return request;
        }, Describe(repository, reference), ct).ConfigureAwait(false);
        return response!.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var digest)
            ? digest : Digest.Sha256Of(body);
    }

    /// <summary>Whether the repository holds the blob (HEAD).</summary>
    public async Task<bool> BlobExistsAsync(string repository, Digest digest, bool forPush, CancellationToken ct)
    {
        using var response = await SendAsync(repository, forPush, () => new HttpRequestMessage(HttpMethod.Head, new Uri(BaseUri, $"v2/{repository}/blobs/{digest}")),
            $"{Host}/{repository}@{digest}", ct, allowNotFound: true).ConfigureAwait(false);
        return response is not null;
    }

    /// <summary>
    /// Uploads a small blob in one request (<c>POST</c> then <c>PUT ?digest=</c>), skipped when the repository already
    /// holds it.
    /// </summary>
    /// <returns>Its digest (SHA-256).</returns>
    public async Task<Digest> UploadBlobAsync(string repository, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        var digest = Digest.Sha256Of(content.Span);
        if (await BlobExistsAsync(repository, digest, true, ct).ConfigureAwait(false)) return digest;
        string what = $"{Host}/{repository}: upload of {digest}";
        Uri location;
        using (var start = await SendAsync(repository, true, () => new HttpRequestMessage(HttpMethod.Post, new Uri(BaseUri, $"v2/{repository}/blobs/uploads/"))
               {
                   Content = new ByteArrayContent([]),
               }, what, ct).ConfigureAwait(false))
        {
            location = start!.Headers.Location is { } l ? new Uri(BaseUri, l)
                : throw new RegistryClientException(RegistryClientError.Invalid, $"{what}: the registry opened an upload without a Location");
        }
        string separator = location.Query.Length > 0 ? "&" : "?";
        var put = new Uri(location + separator + "digest=" + Uri.EscapeDataString(digest.ToString()));
        byte[] bytes = content.ToArray();
        using var done = await SendAsync(repository, true, () =>
        {
            var request = new HttpRequestMessage(HttpMethod.Put, put) { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            return request;
        }, what, ct).ConfigureAwait(false);
        return digest;
    }

    /// <summary>A blob's content as a stream (not verified here: the reader verifies it).</summary>
    public async Task<Stream> OpenBlobAsync(string repository, Digest digest, CancellationToken ct)
    {
        var response = (await SendAsync(repository, false, () => new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, $"v2/{repository}/blobs/{digest}")),
            $"{Host}/{repository}@{digest}", ct).ConfigureAwait(false))!;
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

    /// <summary>A blob's bytes, at most <paramref name="maxBytes"/>, verified against <paramref name="digest"/>.</summary>
    /// <exception cref="RegistryClientException"><see cref="RegistryClientError.Invalid"/> when it is larger or does not match; <see cref="RegistryClientError.NotFound"/>.</exception>
    public async Task<byte[]> ReadBlobAsync(string repository, Digest digest, long maxBytes, CancellationToken ct)
    {
        using var response = (await SendAsync(repository, false, () => new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUri, $"v2/{repository}/blobs/{digest}")),
            $"{Host}/{repository}@{digest}", ct).ConfigureAwait(false))!;
        byte[] body = await ReadBoundedAsync(response, maxBytes, $"the blob {Host}/{repository}@{digest}", ct).ConfigureAwait(false);
        if (Digest.Compute(digest.Algorithm, body) != digest)
            throw new RegistryClientException(RegistryClientError.Invalid, $"{Host}/{repository}@{digest}: the blob does not match its digest");
        return body;
    }

    /// <summary>The repository's tags, in the registry's order, following <c>Link</c> pages, at most <paramref name="max"/>.</summary>
    public async Task<IReadOnlyList<string>> ListTagsAsync(string repository, int max, CancellationToken ct)
    {
        var tags = new List<string>();
        Uri? next = new(BaseUri, $"v2/{repository}/tags/list?n={Math.Min(max, 1000)}");
        for (int page = 0; next is not null && tags.Count < max && page < 1000; page++)
        {
            Uri uri = next;
            using var response = await SendAsync(repository, false, () => new HttpRequestMessage(HttpMethod.Get, uri),
                $"{Host}/{repository}: tag list", ct, allowNotFound: true).ConfigureAwait(false);
            if (response is null) break;
            byte[] body = await ReadBoundedAsync(response, MaxManifestBytes, $"the tag list of {Host}/{repository}", ct).ConfigureAwait(false);
            try
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("tags", out var list) && list.ValueKind == JsonValueKind.Array)
                    foreach (var t in list.EnumerateArray())
                        if (t.ValueKind == JsonValueKind.String && tags.Count < max) tags.Add(t.GetString()!);
            }
            catch (JsonException e)
            {
                throw new RegistryClientException(RegistryClientError.Invalid, $"{Host}/{repository}: the tag list is not valid JSON ({e.Message})", e);
            }
            next = RegistryProtocol.NextPage(BaseUri, response);
        }
        return tags;
    }

    /// <summary>
    /// The referrers of <paramref name="subject"/>: the OCI 1.1 referrers API (<c>GET /v2/NAME/referrers/DIGEST</c>,
    /// following <c>Link</c> pages), or, when the registry has none (404, or not an index), the tag-schema fallback
    /// index <c>sha256-HEX</c>. At most <paramref name="max"/>.
    /// </summary>
    public async Task<IReadOnlyList<Descriptor>> ListReferrersAsync(string repository, Digest subject, int max, CancellationToken ct)
    {
        if (await ReferrersApiAsync(repository, subject, max, ct).ConfigureAwait(false) is { } listed) return listed;
        var index = await TryGetManifestAsync(repository, FallbackTag(subject), ct).ConfigureAwait(false);
        if (index is null || !MediaTypes.IsIndex(index.MediaType) || !RegistryProtocol.TryParseIndex(index.Body, out var manifests)) return [];
        return [.. manifests.Take(max)];
    }

    /// <summary>The referrers of <paramref name="subject"/> from the OCI 1.1 referrers API only (no tag-schema fallback); null when the registry has no such API.</summary>
    public async Task<IReadOnlyList<Descriptor>?> ListReferrersFromApiAsync(string repository, Digest subject, int max, CancellationToken ct) =>
        await ReferrersApiAsync(repository, subject, max, ct).ConfigureAwait(false);

    /// <summary>Whether the registry answers the OCI 1.1 referrers API (an image index for <paramref name="subject"/>).</summary>
    public async Task<bool> SupportsReferrersAsync(string repository, Digest subject, CancellationToken ct) =>
        await ReferrersApiAsync(repository, subject, 1, ct).ConfigureAwait(false) is not null;

    /// <summary>distribution-spec 1.1 "Referrers Tag Schema": <c>&lt;alg&gt;-&lt;hex&gt;</c>.</summary>
    public static string FallbackTag(Digest subject) => $"{subject.Algorithm.Name}-{subject.Hex}";

    /// <returns>null when the registry has no referrers API.</returns>
    private async Task<List<Descriptor>?> ReferrersApiAsync(string repository, Digest subject, int max, CancellationToken ct)
    {
        var result = new List<Descriptor>();
        Uri? next = new(BaseUri, $"v2/{repository}/referrers/{subject}");
        for (int page = 0; next is not null && result.Count < max && page < 100; page++)
        {
            Uri uri = next;
            using var response = await SendAsync(repository, false, () =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, uri);
                request.Headers.Accept.ParseAdd(MediaTypes.OciIndex);
                return request;
            }, $"{Host}/{repository}: referrers of {subject}", ct, allowNotFound: true).ConfigureAwait(false);
            // distribution-spec 1.1: a registry without the API answers 404; some answer a page that is not an index.
            if (response is null || MediaTypes.WithoutParameters(response.Content.Headers.ContentType?.MediaType) != MediaTypes.OciIndex)
                return page == 0 ? null : result;
            byte[] body = await ReadBoundedAsync(response, MaxManifestBytes, $"the referrers of {Host}/{repository}@{subject}", ct).ConfigureAwait(false);
            if (!RegistryProtocol.TryParseIndex(body, out var manifests)) return page == 0 ? null : result;
            result.AddRange(manifests.Take(max - result.Count));
            next = RegistryProtocol.NextPage(BaseUri, response);
        }
        return result;
    }

    public void Dispose() => _http.Dispose();

    private HttpRequestMessage ManifestRequest(HttpMethod method, string repository, string reference)
    {
        var request = new HttpRequestMessage(method, new Uri(BaseUri, $"v2/{repository}/manifests/{reference}"));
        request.Headers.Accept.ParseAdd(RegistryProtocol.ManifestAccept);
        return request;
    }

    private string Describe(string repository, string reference) =>
        Digest.TryParse(reference, out _) ? $"{Host}/{repository}@{reference}" : $"{Host}/{repository}:{reference}";

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, long max, string what, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength > max)
            throw new RegistryClientException(RegistryClientError.Invalid, $"{what} is larger than {Size(max)}");
        await using var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        using var buffer = new MemoryStream();
        byte[] chunk = new byte[16 * 1024];
        int n;
        try
        {
            while ((n = await stream.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + n > max) throw new RegistryClientException(RegistryClientError.Invalid, $"{what} is larger than {Size(max)}");
                buffer.Write(chunk, 0, n);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new RegistryClientException(RegistryClientError.Unreachable, $"{what}: the connection broke ({e.Message})", e);
        }
        return buffer.ToArray();
    }

    private static string Size(long bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : bytes >= 1024 ? $"{bytes >> 10} KiB" : $"{bytes} bytes";

    /// <returns>The successful response; null for 404 when <paramref name="allowNotFound"/>.</returns>
    private async Task<HttpResponseMessage?> SendAsync(string repository, bool push, Func<HttpRequestMessage> make, string what, CancellationToken ct, bool allowNotFound = false)
    {
        string scope = push ? $"repository:{repository}:pull,push" : $"repository:{repository}:pull";
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
                throw new RegistryClientException(RegistryClientError.Unreachable, $"cannot reach {BaseUri.GetLeftPart(UriPartial.Authority)}: {e.Message}{TlsHint(e)}", e);
            }
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                var challenge = response.Headers.WwwAuthenticate.FirstOrDefault();
                response.Dispose();
                if (challenge is null) throw new RegistryClientException(RegistryClientError.Unauthorized, $"{what}: the registry refused the request without saying how to log in") { Status = 401 };
                await AuthenticateAsync(challenge, scope, ct).ConfigureAwait(false);
                authenticated = true;
                continue;
            }
            if (response.IsSuccessStatusCode) return response;
            var status = response.StatusCode;
            if (status == HttpStatusCode.NotFound && allowNotFound)
            {
                response.Dispose();
                return null;
            }
            string error = await ErrorTextAsync(response, ct).ConfigureAwait(false);
            response.Dispose();
            throw new RegistryClientException(status switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => RegistryClientError.Unauthorized,
                HttpStatusCode.NotFound => RegistryClientError.NotFound,
                HttpStatusCode.PreconditionFailed => RegistryClientError.PreconditionFailed,
                >= HttpStatusCode.InternalServerError => RegistryClientError.Unreachable,
                _ => RegistryClientError.Refused,
            }, status switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden =>
                    $"{what}: access denied{(authenticated && _credentials is not null ? $" for user '{_credentials.Username}'" : _credentials is null ? " (no credentials: give --username/--password, BOLLARD_USERNAME/BOLLARD_PASSWORD or docker login)" : "")}{error}",
                HttpStatusCode.NotFound => $"{what}: not found{error}",
                HttpStatusCode.PreconditionFailed => $"{what}: changed meanwhile (412 Precondition Failed){error}",
                // Kestrel (and nginx) answer plain HTTP on a TLS port with a bare 400: say what that likely is.
                HttpStatusCode.BadRequest when error.Length == 0 && BaseUri.Scheme == Uri.UriSchemeHttp =>
                    $"{what}: the registry answered 400 BadRequest with no error body; if it is an HTTPS port, give --ca-cert FILE (a self-signed certificate) or log in with 'bollard login https://HOST'",
                _ => $"{what}: the registry answered {(int)status} {status}{error}",
            }) { Status = (int)status };
        }
    }

    private async Task AuthenticateAsync(AuthenticationHeaderValue challenge, string scope, CancellationToken ct)
    {
        if (challenge.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase))
        {
            if (_credentials is { IsIdentityToken: true })
                throw new RegistryClientException(RegistryClientError.Unauthorized, $"{Host} wants a user name and password, and the credentials of {_credentials.Source ?? "the docker config"} are an identity token");
            if (_credentials is null)
                throw new RegistryClientException(RegistryClientError.Unauthorized, $"{Host} wants a user name and password (give --username/--password, BOLLARD_USERNAME/BOLLARD_PASSWORD or docker login)");
            CheckCredentialTransport(BaseUri);
            _basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_credentials.Username}:{_credentials.Password}"));
            return;
        }
        if (!challenge.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase))
            throw new RegistryClientException(RegistryClientError.Unauthorized, $"{Host} asks for an unsupported authentication scheme '{challenge.Scheme}'");
        var parameters = ParseChallenge(challenge.Parameter ?? "");
        if (!parameters.TryGetValue("realm", out string? realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri))
            throw new RegistryClientException(RegistryClientError.Unauthorized, $"{Host} sent a Bearer challenge without a valid realm");
        var query = new List<string>();
        if (parameters.TryGetValue("service", out string? service)) query.Add("service=" + Uri.EscapeDataString(service));
        query.Add("scope=" + Uri.EscapeDataString(parameters.TryGetValue("scope", out string? s) && s.Length > 0 ? s : scope));
        var tokenUri = new UriBuilder(realmUri) { Query = string.Join('&', query) }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Get, tokenUri);
        if (_credentials is { IsIdentityToken: true })
        {
            // docker's OAuth2 flow (distribution spec-auth-oauth.md): the identity token is a refresh token, POSTed.
            CheckCredentialTransport(realmUri);
            request.Method = HttpMethod.Post;
            request.RequestUri = realmUri;
            var form = new List<KeyValuePair<string, string>>
            {
                new("grant_type", "refresh_token"),
                new("refresh_token", _identityToken!),
                new("client_id", "bollard"),
                new("scope", parameters.TryGetValue("scope", out string? ps) && ps.Length > 0 ? ps : scope),
            };
            if (service is not null) form.Add(new("service", service));
            request.Content = new FormUrlEncodedContent(form);
        }
        else if (_credentials is not null)
        {
            CheckCredentialTransport(tokenUri);
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{_credentials.Username}:{_credentials.Password}")));
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new RegistryClientException(RegistryClientError.Unreachable, $"cannot reach the token service {tokenUri.GetLeftPart(UriPartial.Path)}: {e.Message}", e);
        }
        using (response)
        {
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
                throw new RegistryClientException(RegistryClientError.Unauthorized, _credentials is null
                    ? $"{Host}: anonymous access refused (give --username/--password, BOLLARD_USERNAME/BOLLARD_PASSWORD or docker login)"
                    : _credentials.IsIdentityToken ? $"{Host}: authentication failed: the identity token of {_credentials.Source ?? "the docker config"} was refused"
                    : $"{Host}: authentication failed for user '{_credentials.Username}'") { Status = (int)response.StatusCode };
            if (!response.IsSuccessStatusCode)
                throw new RegistryClientException(RegistryClientError.Unauthorized, $"{Host}: the token service answered {(int)response.StatusCode}") { Status = (int)response.StatusCode };
            byte[] body = await ReadBoundedAsync(response, 1024 * 1024, $"{Host}: the token answer", ct).ConfigureAwait(false);
            string? token = null;
            try
            {
                using var doc = JsonDocument.Parse(body);
                foreach (string name in new[] { "token", "access_token" })
                    if (doc.RootElement.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } value) { token = value; break; }
                // A token service that rotates refresh tokens answers the replacement: the next scope's request needs it.
                if (_credentials is { IsIdentityToken: true } && doc.RootElement.TryGetProperty("refresh_token", out var r) && r.ValueKind == JsonValueKind.String && r.GetString() is { Length: > 0 } rotated)
                    _identityToken = rotated;
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException)
            {
            }
            _tokens[scope] = token ?? throw new RegistryClientException(RegistryClientError.Unauthorized, $"{Host}: the token service answered without a token");
        }
    }

    private void CheckCredentialTransport(Uri target)
    {
        if (target.Scheme == Uri.UriSchemeHttps || _insecure || IsLoopback(target.Host)) return;
        throw new RegistryClientException(RegistryClientError.Unauthorized, $"{target.Host}: refusing to send credentials over plain HTTP (use --insecure to allow it)");
    }

    private static async Task<string> ErrorTextAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            byte[] body = await ReadBoundedAsync(response, 64 * 1024, "the error", ct).ConfigureAwait(false);
            return RegistryProtocol.ErrorText(body);
        }
        catch (RegistryClientException)
        {
            return "";
        }
    }

    /// <summary><c>realm="https://x/token",service="x",scope="repository:a:pull"</c> to a dictionary (quoted values may hold commas).</summary>
    public static Dictionary<string, string> ParseChallenge(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
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

    /// <summary>What to do when the failure looks like TLS trust (an untrusted certificate) or plain HTTP spoken to a TLS port.</summary>
    private string TlsHint(HttpRequestException e)
    {
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException)
                return "; the registry's TLS certificate is not trusted: give --ca-cert FILE with its certificate or CA (or put it in ~/.config/containers/certs.d/HOST/ca.crt)";
        }
        bool plain = BaseUri.Scheme == Uri.UriSchemeHttp;
        return plain && e.HttpRequestError is HttpRequestError.InvalidResponse or HttpRequestError.ResponseEnded
            ? "; if it is an HTTPS port, give --ca-cert FILE (a self-signed certificate) or log in with 'bollard login https://HOST'"
            : "";
    }

    /// <summary><c>localhost</c>, <c>127.x.x.x</c> and <c>::1</c>, with or without a port.</summary>
    public static bool IsLoopback(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
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

/// <summary>A manifest as a registry served it: exact bytes, media type, digest.</summary>
public sealed record RegistryManifest(Digest Digest, string MediaType, byte[] Body);

/// <summary>What a HEAD of a manifest says.</summary>
public sealed record ManifestHead(Digest Digest, string MediaType, long Size);
