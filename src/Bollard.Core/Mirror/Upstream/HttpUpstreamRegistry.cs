using System.Collections.Concurrent;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using Bollard.Core.Client;
using Bollard.Core.Oci;

namespace Bollard.Core.Mirror.Upstream;

/// <summary>
/// <see cref="IUpstreamRegistry"/> over HTTP: one pooled <see cref="SocketsHttpHandler"/> for every upstream, hardened
/// because an upstream (or whoever answers in its name) is not trusted:
/// <list type="bullet">
/// <item>no connection to link-local, cloud metadata, unspecified, multicast or broadcast addresses, checked on the
/// resolved address (<see cref="UpstreamAddressGuard"/>); no proxy, so the guard sees the real destination;</item>
/// <item>redirects followed by hand, at most <see cref="MaxRedirects"/>, to HTTPS or (plain http) only to the upstream's
/// own host or its <see cref="UpstreamOptions.AllowedHosts"/>; the upstream's Authorization never follows to another host;</item>
/// <item>the Docker token flow (docker/distribution <c>docs/spec/auth/token.md</c>) with the realm checked: its host must
/// be the upstream's or an allowed one, http only there; credentials only over HTTPS or to loopback; tokens cached per
/// scope until <c>expires_in</c>, one token request for concurrent misses;</item>
/// <item><see cref="UpstreamOptions.Timeout"/> bounds connect and headers of every request, and every body read (a
/// stalled body fails); manifests, tag lists and tokens are read bounded (at most the limit + 1 bytes).</item>
/// </list>
/// Every failure is an <see cref="UpstreamException"/>, counted in <see cref="MirrorCounters"/> by kind. Thread-safe.
/// </summary>
public sealed class HttpUpstreamRegistry : IUpstreamRegistry, IDisposable
{
    /// <summary>Redirects followed per request (blob storage needs one; Docker's own client stops at 10).</summary>
    public const int MaxRedirects = 5;

    private const int MaxTokenBytes = 1024 * 1024;
    private const int MaxErrorBytes = 16 * 1024;
    private const int MaxPages = 100;

    private readonly HttpClient _http;
    private readonly MirrorCounters _counters;
    private readonly MirrorOptions _options;
    private readonly TimeProvider _time;
    private readonly UpstreamCredentials? _credentials;
    private readonly ConcurrentDictionary<UpstreamOptions, UpstreamSession> _sessions = new(ReferenceEqualityComparer.Instance);

    /// <param name="credentials">Credentials stored at runtime, which win over the configuration's; null: only the configuration's.</param>
    public HttpUpstreamRegistry(MirrorCounters counters, MirrorOptions options, TimeProvider time, UpstreamCredentials? credentials = null)
    {
        _counters = counters;
        _options = options;
        _time = time;
        _credentials = credentials;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            // Manifests are stored byte-exact and blobs hashed as sent: never decompress.
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
            UseCookies = false,
            ConnectCallback = UpstreamAddressGuard.ConnectAsync,
            // Connections are renewed so that DNS changes are seen (and the guard checks the new address).
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            // A body abandoned (an oversized manifest, an endless stream) is not drained for long.
            MaxResponseDrainSize = 64 * 1024,
            ResponseDrainTimeout = TimeSpan.FromSeconds(1),
        };
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("bollard-mirror/1");
    }

    public Task<UpstreamManifestHead?> HeadManifestAsync(MirrorRoute route, Reference reference, CancellationToken ct) =>
        CountedAsync(route, s => HeadCoreAsync(s, route, reference, ct), ct);

    public Task<UpstreamManifest?> GetManifestAsync(MirrorRoute route, Reference reference, CancellationToken ct) =>
        CountedAsync(route, s => GetCoreAsync(s, route, reference, ct), ct);

    public Task<UpstreamBlob?> OpenBlobAsync(MirrorRoute route, Digest digest, CancellationToken ct) =>
        CountedAsync(route, s => OpenBlobCoreAsync(s, route, digest, ct), ct);

    public Task<IReadOnlyList<Descriptor>> ListReferrersAsync(MirrorRoute route, Digest subject, int max, CancellationToken ct) =>
        CountedAsync(route, s => ReferrersCoreAsync(s, route, subject, max, ct), ct);

    public Task<IReadOnlyList<string>> ListTagsAsync(MirrorRoute route, int max, CancellationToken ct) =>
        CountedAsync(route, s => TagsCoreAsync(s, route, max, ct), ct);

    public void Dispose() => _http.Dispose();

    private async Task<T> CountedAsync<T>(MirrorRoute route, Func<UpstreamSession, Task<T>> operation, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(route);
        try
        {
            return await operation(await SessionAsync(route.Upstream, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (UpstreamException e)
        {
            _counters.For(route.Upstream.Name).Error(e.Failure);
            throw;
        }
    }

    private async ValueTask<UpstreamSession> SessionAsync(UpstreamOptions upstream, CancellationToken ct)
    {
        var stored = _credentials is null ? null : await _credentials.StoredAsync(upstream.Name, ct).ConfigureAwait(false);
        if (_sessions.TryGetValue(upstream, out var session) && Equals(session.Stored, stored)) return session;
        int index = _options.Upstreams.IndexOf(upstream);
        string path = $"{MirrorOptions.Section}:Upstreams:{(index >= 0 ? index.ToString(System.Globalization.CultureInfo.InvariantCulture) : "N")}";
        // Not cached when it fails (a password file that appears later is read then). Stored credentials that changed
        // (or went) replace the session, and with it the tokens the old credentials got.
        var created = UpstreamSession.Create(upstream, path, _time, stored);
        return session is null ? _sessions.GetOrAdd(upstream, created) : _sessions.TryUpdate(upstream, created, session) ? created : _sessions[upstream];
    }

    private async Task<UpstreamManifestHead?> HeadCoreAsync(UpstreamSession s, MirrorRoute route, Reference reference, CancellationToken ct)
    {
        string what = Describe(route, reference);
        using (var response = await SendAsync(s, route, HttpMethod.Head, ManifestUri(s, route, reference), RegistryProtocol.ManifestAccept, what, ct).ConfigureAwait(false))
        {
            if (response is null) return null;
            string? mediaType = MediaTypes.WithoutParameters(response.Content.Headers.ContentType?.MediaType);
            if (mediaType is MediaTypes.DockerSchema1 or MediaTypes.DockerSchema1Signed) throw SchemaOne(what);
            if (HeaderDigest(response) is { } digest && mediaType is not null && MediaTypes.IsManifest(mediaType)
                && response.Content.Headers.ContentLength is long size)
            {
                if (reference.Digest is { } wanted && digest != wanted)
                    throw new UpstreamException(UpstreamFailure.Invalid, $"{what}: the upstream names it {digest}");
                if (size > s.Options.MaxManifestBytes) throw UpstreamBody.TooLarge($"the manifest {what}", s.Options.MaxManifestBytes);
                return new UpstreamManifestHead(digest, mediaType, size);
            }
        }
        // distribution-spec: Docker-Content-Digest is only a SHOULD; without it (or the type, or the size) the bytes tell.
        var manifest = await GetCoreAsync(s, route, reference, ct).ConfigureAwait(false);
        return manifest is null ? null : new UpstreamManifestHead(manifest.Digest, manifest.MediaType, manifest.Body.Length);
    }

    private async Task<UpstreamManifest?> GetCoreAsync(UpstreamSession s, MirrorRoute route, Reference reference, CancellationToken ct)
    {
        string what = Describe(route, reference);
        using var response = await SendAsync(s, route, HttpMethod.Get, ManifestUri(s, route, reference), RegistryProtocol.ManifestAccept, what, ct).ConfigureAwait(false);
        if (response is null) return null;
        byte[] body = await ReadBoundedAsync(s, response, s.Options.MaxManifestBytes, $"the manifest {what}", ct).ConfigureAwait(false);
        string mediaType = ManifestMediaType(response, body, what);
        Digest computed = Digest.Sha256Of(body);
        Digest digest = computed;
        if (reference.Digest is { } wanted)
        {
            var actual = wanted.Algorithm == DigestAlgorithm.Sha256 ? computed : Digest.Compute(wanted.Algorithm, body);
            if (actual != wanted) throw new UpstreamException(UpstreamFailure.Invalid, $"{what}: the upstream sent bytes that are {actual}, not the manifest asked for");
            digest = wanted;
        }
        else if (HeaderDigest(response) is { } named)
        {
            var actual = named.Algorithm == DigestAlgorithm.Sha256 ? computed : Digest.Compute(named.Algorithm, body);
            if (actual != named)
                throw new UpstreamException(UpstreamFailure.Invalid, $"{what}: the upstream names the manifest {named} but sent bytes that are {actual}");
            // A registry naming its manifests by another algorithm keeps its name (it is these bytes).
            digest = named;
        }
        return new UpstreamManifest(digest, mediaType, body);
    }

    private async Task<UpstreamBlob?> OpenBlobCoreAsync(UpstreamSession s, MirrorRoute route, Digest digest, CancellationToken ct)
    {
        string what = $"{route}@{digest}";
        var response = await SendAsync(s, route, HttpMethod.Get, new Uri(s.BaseUri, $"v2/{route.UpstreamRepository}/blobs/{digest}"), null, what, ct).ConfigureAwait(false);
        if (response is null) return null;
        try
        {
            long? length = response.Content.Headers.ContentLength;
            if (length > s.Options.MaxBlobBytes) throw UpstreamBody.TooLarge($"the blob {what}", s.Options.MaxBlobBytes);
            var content = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
            var counted = _counters.For(route.Upstream.Name);
            return new UpstreamBlob(new UpstreamResponseStream(response, content, s.Options.Timeout, $"the blob {what}", counted.Error), length);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    private async Task<IReadOnlyList<Descriptor>> ReferrersCoreAsync(UpstreamSession s, MirrorRoute route, Digest subject, int max, CancellationToken ct)
    {
        if (max <= 0) return [];
        if (await ReferrersApiAsync(s, route, subject, max, ct).ConfigureAwait(false) is { } listed) return listed;
        // distribution-spec 1.1 "Referrers Tag Schema": a registry without the API keeps an index under <alg>-<hex>.
        var index = await GetCoreAsync(s, route, new Reference(RegistryClient.FallbackTag(subject), null), ct).ConfigureAwait(false);
        if (index is null || !MediaTypes.IsIndex(index.MediaType) || !RegistryProtocol.TryParseIndex(index.Body, out var manifests)) return [];
        return [.. manifests.Take(max)];
    }

    /// <returns>null when the upstream has no referrers API (404, or an answer that is not an index).</returns>
    private async Task<List<Descriptor>?> ReferrersApiAsync(UpstreamSession s, MirrorRoute route, Digest subject, int max, CancellationToken ct)
    {
        var result = new List<Descriptor>();
        string what = $"the referrers of {route}@{subject}";
        Uri? next = new(s.BaseUri, $"v2/{route.UpstreamRepository}/referrers/{subject}");
        for (int page = 0; next is not null && result.Count < max && page < MaxPages; page++)
        {
            using var response = await SendAsync(s, route, HttpMethod.Get, next, MediaTypes.OciIndex, what, ct).ConfigureAwait(false);
            if (response is null || MediaTypes.WithoutParameters(response.Content.Headers.ContentType?.MediaType) != MediaTypes.OciIndex)
                return page == 0 ? null : result;
            byte[] body = await ReadBoundedAsync(s, response, s.Options.MaxManifestBytes, what, ct).ConfigureAwait(false);
            if (!RegistryProtocol.TryParseIndex(body, out var manifests)) return page == 0 ? null : result;
            result.AddRange(manifests.Take(max - result.Count));
            next = RegistryProtocol.NextPage(s.BaseUri, response);
        }
        return result;
    }

    private async Task<IReadOnlyList<string>> TagsCoreAsync(UpstreamSession s, MirrorRoute route, int max, CancellationToken ct)
    {
        var tags = new List<string>();
        string what = $"the tag list of {route}";
        Uri? next = max <= 0 ? null : new Uri(s.BaseUri, $"v2/{route.UpstreamRepository}/tags/list?n={Math.Min(max, 1000)}");
        for (int page = 0; next is not null && tags.Count < max && page < MaxPages; page++)
        {
            using var response = await SendAsync(s, route, HttpMethod.Get, next, "application/json", what, ct).ConfigureAwait(false);
            if (response is null) break;
            byte[] body = await ReadBoundedAsync(s, response, s.Options.MaxManifestBytes, what, ct).ConfigureAwait(false);
            try
            {
                using var doc = JsonDocument.Parse(body);
                if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new JsonException("not an object");
                if (doc.RootElement.TryGetProperty("tags", out var list) && list.ValueKind == JsonValueKind.Array)
                    foreach (var t in list.EnumerateArray())
                        if (t.ValueKind == JsonValueKind.String && t.GetString() is { } tag && Tag.IsValid(tag) && tags.Count < max) tags.Add(tag);
            }
            catch (JsonException e)
            {
                throw new UpstreamException(UpstreamFailure.ServerError, $"{what}: the upstream answered something that is not a tag list ({e.Message})", e);
            }
            next = RegistryProtocol.NextPage(s.BaseUri, response);
        }
        return tags;
    }

    /// <summary>
    /// One protocol request for <paramref name="route"/>'s repository, with the token flow around it: a cached token
    /// for the scope goes along; a 401 is answered once (a token, or Basic) and the request repeated.
    /// </summary>
    /// <returns>The 2xx response (headers read, body not); null for 404.</returns>
    private async Task<HttpResponseMessage?> SendAsync(UpstreamSession s, MirrorRoute route, HttpMethod method, Uri uri, string? accept, string what, CancellationToken ct)
    {
        string scope = $"repository:{route.UpstreamRepository}:pull";
        string? bearer = await s.Tokens.CachedAsync(scope, ct).ConfigureAwait(false);
        for (int attempt = 0; ; attempt++)
        {
            AuthenticationHeaderValue? authorization = bearer is not null ? new("Bearer", bearer)
                : s.WantsBasic && s.Basic is not null ? new("Basic", s.Basic) : null;
            var response = await SendFollowingRedirectsAsync(s, method, uri, accept, authorization, what, ct).ConfigureAwait(false);
            var status = response.StatusCode;
            if (status == HttpStatusCode.Unauthorized && attempt == 0)
            {
                var challenges = response.Headers.WwwAuthenticate.ToList();
                response.Dispose();
                var bearerChallenge = challenges.FirstOrDefault(c => c.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase));
                if (bearerChallenge is not null)
                {
                    bearer = await TokenAsync(s, bearerChallenge.Parameter ?? "", scope, bearer, ct).ConfigureAwait(false);
                    continue;
                }
                if (challenges.Any(c => c.Scheme.Equals("Basic", StringComparison.OrdinalIgnoreCase)))
                {
                    if (s.Basic is null) throw Unauthorized(s, $"{what}: the upstream wants a user name and password", credentials: false);
                    s.WantsBasic = true;
                    bearer = null;
                    continue;
                }
                throw Unauthorized(s, challenges.Count == 0
                    ? $"{what}: the upstream refused the request (401) without saying how to log in"
                    : $"{what}: the upstream asks for an unsupported authentication scheme '{challenges[0].Scheme}'", s.Basic is not null);
            }
            if (response.IsSuccessStatusCode) return response;
            if (status == HttpStatusCode.NotFound)
            {
                response.Dispose();
                return null;
            }
            throw await FailureAsync(s, response, what, ct).ConfigureAwait(false);
        }
    }

    /// <returns>The first answer that is not a redirect (any status).</returns>
    private async Task<HttpResponseMessage> SendFollowingRedirectsAsync(
        UpstreamSession s, HttpMethod method, Uri uri, string? accept, AuthenticationHeaderValue? authorization, string what, CancellationToken ct)
    {
        for (int hop = 0; ; hop++)
        {
            using var request = new HttpRequestMessage(method, uri);
            if (accept is not null) request.Headers.Accept.ParseAdd(accept);
            // The upstream's token or password is for the upstream: a redirect to blob storage (a presigned URL) gets none.
            if (authorization is not null && string.Equals(uri.Authority, s.BaseUri.Authority, StringComparison.OrdinalIgnoreCase)
                && string.Equals(uri.Scheme, s.BaseUri.Scheme, StringComparison.Ordinal))
            {
                if (authorization.Scheme == "Basic") s.CheckCredentialTransport(uri);
                request.Headers.Authorization = authorization;
            }
            var response = await SendOnceAsync(s, request, what, ct).ConfigureAwait(false);
            if (response.StatusCode is not (HttpStatusCode.MovedPermanently or HttpStatusCode.Found or HttpStatusCode.SeeOther
                or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect))
                return response;
            var status = response.StatusCode;
            var location = response.Headers.Location;
            response.Dispose();
            if (location is null)
                throw new UpstreamException(UpstreamFailure.ServerError, $"{what}: the upstream answered {(int)status} without a Location");
            if (hop >= MaxRedirects)
                throw new UpstreamException(UpstreamFailure.ServerError, $"{what}: more than {MaxRedirects} redirects");
            var target = location.IsAbsoluteUri ? location : new Uri(uri, location);
            CheckRedirect(s, target, what);
            if (status == HttpStatusCode.SeeOther && method != HttpMethod.Head) method = HttpMethod.Get;
            uri = target;
        }
    }

    private static void CheckRedirect(UpstreamSession s, Uri target, string what)
    {
        if (target.Scheme == Uri.UriSchemeHttps) return;
        if (target.Scheme == Uri.UriSchemeHttp && s.IsKnownHost(target)) return;
        throw new UpstreamException(UpstreamFailure.Forbidden, target.Scheme == Uri.UriSchemeHttp
            ? $"{what}: the upstream redirected to http://{target.Authority}, which is not upstream {s.Name}'s host; plain http redirects go only to hosts in {s.ConfigPath}:AllowedHosts"
            : $"{what}: the upstream redirected to a {target.Scheme}: URL; only https (or http to allowed hosts) is followed");
    }

    /// <summary>One HTTP exchange, connect and headers bounded by the upstream's timeout.</summary>
    private async Task<HttpResponseMessage> SendOnceAsync(UpstreamSession s, HttpRequestMessage request, string what, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(s.Options.Timeout);
        string where = request.RequestUri!.GetLeftPart(UriPartial.Authority);
        try
        {
            return await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new UpstreamException(UpstreamFailure.Timeout, $"{what}: no answer from {where} within {UpstreamText.Duration(s.Options.Timeout)}", e);
        }
        catch (HttpRequestException e) when (Refused(e) is { } refused)
        {
            throw new UpstreamException(UpstreamFailure.Forbidden, $"{what}: not contacted: {refused.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new UpstreamException(UpstreamFailure.Unreachable, $"{what}: cannot reach {where}: {e.Message}", e);
        }
    }

    private static UpstreamAddressRefusedException? Refused(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is UpstreamAddressRefusedException refused) return refused;
        return null;
    }

    /// <summary>The Docker token flow for a Bearer challenge: the realm checked, the token cached per scope.</summary>
    private Task<string> TokenAsync(UpstreamSession s, string challenge, string scope, string? rejected, CancellationToken ct)
    {
        var parameters = RegistryClient.ParseChallenge(challenge);
        if (!parameters.TryGetValue("realm", out string? realm) || !Uri.TryCreate(realm, UriKind.Absolute, out var realmUri)
            || (realmUri.Scheme != Uri.UriSchemeHttps && realmUri.Scheme != Uri.UriSchemeHttp))
            throw new UpstreamException(UpstreamFailure.ServerError, $"upstream {s.Name} sent a Bearer challenge without a valid realm");
        if (!s.IsKnownHost(realmUri))
            throw new UpstreamException(UpstreamFailure.Forbidden,
                $"token realm host {realmUri.Host} is not upstream {s.Name}'s host; add it to {s.ConfigPath}:AllowedHosts");
        var query = new List<string>();
        if (realmUri.Query.Length > 1) query.Add(realmUri.Query[1..]);
        if (parameters.TryGetValue("service", out string? service)) query.Add("service=" + Uri.EscapeDataString(service));
        query.Add("scope=" + Uri.EscapeDataString(parameters.TryGetValue("scope", out string? asked) && asked.Length > 0 ? asked : scope));
        var tokenUri = new UriBuilder(realmUri) { Query = string.Join('&', query) }.Uri;
        if (s.Basic is not null) s.CheckCredentialTransport(tokenUri);
        // Fetched without the caller's token: concurrent callers share it, and it is bounded by the upstream's timeout.
        return s.Tokens.GetAsync(scope, rejected, () => FetchTokenAsync(s, tokenUri), ct);
    }

    private async Task<UpstreamToken> FetchTokenAsync(UpstreamSession s, Uri tokenUri)
    {
        string what = $"upstream {s.Name}'s token service {tokenUri.GetLeftPart(UriPartial.Path)}";
        using var request = new HttpRequestMessage(HttpMethod.Get, tokenUri);
        if (s.Basic is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", s.Basic);
        DateTimeOffset asked = _time.GetUtcNow();
        using var response = await SendOnceAsync(s, request, what, CancellationToken.None).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
            throw Unauthorized(s, s.Basic is null ? $"{what}: anonymous access refused" : $"{what}: authentication failed for user '{s.Username}'", s.Basic is not null);
        if (!response.IsSuccessStatusCode) throw await FailureAsync(s, response, what, CancellationToken.None).ConfigureAwait(false);
        byte[] body = await ReadBoundedAsync(s, response, MaxTokenBytes, $"{what}: the token answer", CancellationToken.None).ConfigureAwait(false);
        string? token = null;
        int expiresIn = 60;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                foreach (string name in new[] { "token", "access_token" })
                    if (doc.RootElement.TryGetProperty(name, out var t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } value) { token = value; break; }
                if (doc.RootElement.TryGetProperty("expires_in", out var e) && e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int seconds) && seconds > 0)
                    expiresIn = seconds;
            }
        }
        catch (JsonException)
        {
        }
        if (token is null) throw new UpstreamException(UpstreamFailure.ServerError, $"{what} answered without a token");
        // token.md: expires_in defaults to 60 s. Renew a little early (our clock counts from the request, not issued_at).
        var lifetime = TimeSpan.FromSeconds(expiresIn);
        var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(30).Ticks, lifetime.Ticks / 5));
        return new UpstreamToken(token, asked + lifetime - margin);
    }

    /// <summary>The failure a non-2xx answer is (the response is disposed).</summary>
    private async Task<UpstreamException> FailureAsync(UpstreamSession s, HttpResponseMessage response, string what, CancellationToken ct)
    {
        using (response)
        {
            var status = response.StatusCode;
            string error = "";
            try
            {
                error = RegistryProtocol.ErrorText(await ReadBoundedAsync(s, response, MaxErrorBytes, what, ct).ConfigureAwait(false));
            }
            catch (UpstreamException)
            {
                // The status is what matters; an error body that is too large or stalls only loses its text.
            }
            string answered = $"{what}: the upstream answered {(int)status} {response.ReasonPhrase}{error}";
            return status switch
            {
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => Unauthorized(s, answered, s.Basic is not null),
                HttpStatusCode.TooManyRequests => new UpstreamException(UpstreamFailure.RateLimited, answered) { RetryAfter = RetryAfter(response) },
                _ => new UpstreamException(UpstreamFailure.ServerError, answered),
            };
        }
    }

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date > _time.GetUtcNow() ? date - _time.GetUtcNow() : TimeSpan.Zero;
        return null;
    }

    private static UpstreamException Unauthorized(UpstreamSession s, string message, bool credentials) =>
        new(UpstreamFailure.Unauthorized, credentials
            ? $"{message} (as user '{s.Username}'{(s.Stored is not null ? ", stored with 'bollard mirror login'" : "")})"
            : $"{message} (no credentials: run 'bollard mirror login {s.Name}', or set {s.ConfigPath}:Username and PasswordFile or Password)");

    private static async Task<byte[]> ReadBoundedAsync(UpstreamSession s, HttpResponseMessage response, int max, string what, CancellationToken ct)
    {
        if (response.Content.Headers.ContentLength > max) throw UpstreamBody.TooLarge(what, max);
        Stream content;
        try
        {
            content = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw new UpstreamException(UpstreamFailure.Unreachable, $"{what}: the connection broke ({e.Message})", e);
        }
        await using var guarded = new UpstreamResponseStream(null, content, s.Options.Timeout, what, null);
        return await UpstreamBody.ReadAtMostAsync(guarded, max, what, ct).ConfigureAwait(false);
    }

    /// <summary>The manifest's media type from Content-Type, or from the body when the upstream sent a generic type.</summary>
    private static string ManifestMediaType(HttpResponseMessage response, byte[] body, string what)
    {
        string? header = MediaTypes.WithoutParameters(response.Content.Headers.ContentType?.MediaType);
        if (header is MediaTypes.DockerSchema1 or MediaTypes.DockerSchema1Signed) throw SchemaOne(what);
        if (header is not null && MediaTypes.IsManifest(header)) return header;
        if ((header is null or "" or "application/json" or "application/octet-stream" or "text/plain")
            && RegistryProtocol.DeclaredMediaType(body) is { } declared && MediaTypes.IsManifest(declared))
            return declared;
        throw new UpstreamException(UpstreamFailure.Invalid, $"{what}: the upstream sent something that is not a manifest (Content-Type '{header}')");
    }

    private static UpstreamException SchemaOne(string what) =>
        new(UpstreamFailure.Invalid, $"{what}: the upstream offers only a Docker schema 1 manifest, which the mirror does not take");

    private static Digest? HeaderDigest(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Docker-Content-Digest", out var values) && Digest.TryParse(values.FirstOrDefault(), out var digest) ? digest : null;

    private static Uri ManifestUri(UpstreamSession s, MirrorRoute route, Reference reference) =>
        new(s.BaseUri, $"v2/{route.UpstreamRepository}/manifests/{reference}");

    private static string Describe(MirrorRoute route, Reference reference) =>
        reference.IsDigest ? $"{route}@{reference}" : $"{route}:{reference}";
}
