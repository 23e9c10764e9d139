using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Support;

/// <summary>A user name (or <c>robot$NAME</c>) and its secret: password, personal access token or robot secret.</summary>
public sealed record AccessCreds(string User, string Secret)
{
    public string BasicHeader => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{User}:{Secret}"));
}

/// <summary>One audit event as <c>GET /api/v1/audit</c> returns it.</summary>
public sealed record AccessAuditEvent(long Id, string Principal, string Action, string? Repository, string? Reference, string Outcome, string? Detail, int Count = 1);

/// <summary>
/// A real Bollard with access control on (admin password given, cheap PBKDF2 so tests stay fast), plus helpers
/// that set up users, robots, tokens, bindings and public namespaces through the management API as the admin,
/// and clients that speak to it as a given principal: Basic on <c>/api/v1</c>, the Docker token dance on <c>/v2</c>.
/// </summary>
public sealed class AccessServer : IAsyncDisposable
{
    public const string AdminPassword = "admin-password-123";
    public const string DefaultPassword = "correct-horse-battery";

    private readonly List<HttpClient> _clients = [];

    private AccessServer(BollardServer server)
    {
        Server = server;
        Admin = new AccessCreds("admin", AdminPassword);
        AdminApi = Api(Admin);
    }

    public BollardServer Server { get; }
    public AccessCreds Admin { get; }

    /// <summary>Management API client with the admin's Basic credentials.</summary>
    public HttpClient AdminApi { get; }

    /// <summary>The settings the server was started with (auth on plus the test's), for a restart.</summary>
    public IDictionary<string, string?> Settings { get; private init; } = new Dictionary<string, string?>();

    public static async Task<AccessServer> StartAsync(IDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Auth:Enabled"] = "true",
            ["Auth:AdminPassword"] = AdminPassword,
            ["Auth:PasswordIterations"] = "1000",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) all[k] = v;
        return new AccessServer(await BollardServer.StartAsync(all, time: time)) { Settings = all };
    }

    public static string Unique(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..10]}";

    // ---- clients ----

    /// <summary>A client with Basic credentials on every request (the management API), or none.</summary>
    public HttpClient Api(AccessCreds? creds)
    {
        var client = NewClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        if (creds is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", creds.BasicHeader);
        return client;
    }

    /// <summary>A registry client that answers Bearer challenges as docker does, with <paramref name="creds"/> (or anonymously).</summary>
    public HttpClient Registry(AccessCreds? creds) => NewClient(new AccessTokenDanceHandler(creds) { InnerHandler = new SocketsHttpHandler { AllowAutoRedirect = false } });

    /// <summary>A client that sends requests as they are, without any credentials.</summary>
    public HttpClient Raw() => NewClient(new SocketsHttpHandler { AllowAutoRedirect = false });

    /// <summary>A registry client that always sends the given bearer token.</summary>
    public HttpClient WithToken(string token)
    {
        var client = Raw();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private HttpClient NewClient(HttpMessageHandler handler)
    {
        var client = new HttpClient(handler) { BaseAddress = Server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*"));
        lock (_clients) _clients.Add(client);
        return client;
    }

    /// <summary>GET /auth/token with Basic credentials (or none); asserts 200 and returns the token.</summary>
    public async Task<string> TokenAsync(AccessCreds? creds, params string[] scopes)
    {
        using var response = await RequestTokenAsync(creds, scopes);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token for {creds?.User ?? "anonymous"}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!["token"]!.GetValue<string>();
    }

    public async Task<HttpResponseMessage> RequestTokenAsync(AccessCreds? creds, params string[] scopes)
    {
        string query = "service=bollard" + string.Concat(scopes.Select(s => "&scope=" + Uri.EscapeDataString(s)));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/auth/token?" + query);
        if (creds is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Basic", creds.BasicHeader);
        return await Raw().SendAsync(request);
    }

    // ---- management as the admin ----

    public async Task<AccessCreds> CreateUserAsync(string name, string? password = null, bool admin = false)
    {
        password ??= DefaultPassword;
        using var response = await AdminApi.PostAsJsonAsync("/api/v1/users", new { name, password, admin });
        await ExpectAsync(response, HttpStatusCode.Created, $"create user {name}");
        return new AccessCreds(name, password);
    }

    /// <summary>Creates a user and binds <paramref name="role"/> on <paramref name="pattern"/> (no binding when role is null).</summary>
    public async Task<AccessCreds> CreateUserWithRoleAsync(string name, string? role, string pattern)
    {
        var creds = await CreateUserAsync(name);
        if (role is not null) await BindAsync(name, role, pattern);
        return creds;
    }

    /// <summary>Creates <c>robot$NAME</c> with the given bindings; returns its credentials.</summary>
    public async Task<AccessCreds> CreateRobotAsync(string name, params (string Role, string Namespace)[] bindings)
    {
        using var response = await AdminApi.PostAsJsonAsync("/api/v1/robots", new
        {
            name,
            description = "test robot",
            bindings = bindings.Select(b => new { role = b.Role, @namespace = b.Namespace }).ToArray(),
        });
        var body = await ExpectAsync(response, HttpStatusCode.Created, $"create robot {name}");
        return new AccessCreds(body["name"]!.GetValue<string>(), body["secret"]!.GetValue<string>());
    }

    /// <returns>The binding id.</returns>
    public async Task<long> BindAsync(string principal, string role, string pattern)
    {
        using var response = await AdminApi.PostAsJsonAsync("/api/v1/bindings", new { principal, role, @namespace = pattern });
        var body = await ExpectAsync(response, HttpStatusCode.Created, $"bind {role} on {pattern} to {principal}");
        return body["id"]!.GetValue<long>();
    }

    public async Task SetPublicAsync(string pattern, bool isPublic)
    {
        using var response = await AdminApi.PutAsJsonAsync("/api/v1/namespaces/public", new { @namespace = pattern, @public = isPublic });
        await ExpectAsync(response, HttpStatusCode.NoContent, $"public {pattern}={isPublic}");
    }

    /// <summary>Creates a personal access token as <paramref name="user"/>; returns (id, secret).</summary>
    public async Task<(long Id, string Token)> CreateAccessTokenAsync(AccessCreds user, string name = "ci")
    {
        using var response = await Api(user).PostAsJsonAsync("/api/v1/tokens", new { name });
        var body = await ExpectAsync(response, HttpStatusCode.Created, $"token for {user.User}");
        return (body["id"]!.GetValue<long>(), body["token"]!.GetValue<string>());
    }

    public async Task<List<string>> PublicNamespacesAsync()
    {
        using var response = await Raw().GetAsync("/api/v1/namespaces/public");
        var body = await ExpectAsync(response, HttpStatusCode.OK, "public namespaces");
        return body["namespaces"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
    }

    /// <summary>Audit events (newest first) as seen by <paramref name="caller"/> (the admin by default).</summary>
    public async Task<List<AccessAuditEvent>> AuditAsync(string? principal = null, string? action = null, string? outcome = null, string? repository = null,
        AccessCreds? caller = null, int limit = 1000) =>
        await QueryAuditAsync(Api(caller ?? Admin), principal, action, outcome, repository, limit);

    /// <summary>Audit events (newest first) through <paramref name="api"/> (a management client with its caller's credentials), of any server.</summary>
    public static async Task<List<AccessAuditEvent>> QueryAuditAsync(HttpClient api, string? principal = null, string? action = null, string? outcome = null,
        string? repository = null, int limit = 1000)
    {
        var query = new List<string> { $"limit={limit}" };
        if (principal is not null) query.Add("principal=" + Uri.EscapeDataString(principal));
        if (action is not null) query.Add("action=" + Uri.EscapeDataString(action));
        if (outcome is not null) query.Add("outcome=" + Uri.EscapeDataString(outcome));
        if (repository is not null) query.Add("repository=" + Uri.EscapeDataString(repository));
        using var response = await api.GetAsync("/api/v1/audit?" + string.Join('&', query));
        var body = await ExpectAsync(response, HttpStatusCode.OK, "audit query");
        return body["events"]!.AsArray().Select(e => new AccessAuditEvent(
            e!["id"]!.GetValue<long>(), e["principal"]!.GetValue<string>(), e["action"]!.GetValue<string>(),
            e["repository"]?.GetValue<string>(), e["reference"]?.GetValue<string>(), e["outcome"]!.GetValue<string>(),
            e["detail"]?.GetValue<string>(), e["count"]?.GetValue<int>() ?? 1)).ToList();
    }

    /// <summary>Asserts at least one audit event matches; returns the matches.</summary>
    public async Task<List<AccessAuditEvent>> AssertAuditedAsync(string principal, string action, string outcome, string? repository = null, Func<AccessAuditEvent, bool>? where = null)
    {
        // Pushes and deletes are audited from the registry event outbox, asynchronously (issue 6 A4): give delivery time.
        var deadline = DateTime.UtcNow.AddSeconds(15);
        var events = (await AuditAsync(principal, action, outcome, repository)).Where(where ?? (_ => true)).ToList();
        while (events.Count == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            events = (await AuditAsync(principal, action, outcome, repository)).Where(where ?? (_ => true)).ToList();
        }
        if (events.Count == 0)
        {
            var recent = await AuditAsync(limit: 30);
            Assert.Fail($"no audit event principal={principal} action={action} outcome={outcome} repository={repository}; latest events:\n" +
                        string.Join('\n', recent.Select(e => $"  {e.Principal} {e.Action} {e.Outcome} {e.Repository} {e.Reference} {e.Detail}")));
        }
        return events;
    }

    /// <summary>Pushes a small image (config + one layer + manifest) as <paramref name="client"/>; asserts success.</summary>
    public static async Task<AccessImage> PushImageAsync(HttpClient client, string repo, string tag)
    {
        var (manifest, digest) = await client.PushImageAsync(repo, tag, layers: 1, layerSize: 512);
        var node = JsonNode.Parse(manifest)!;
        return new AccessImage(repo, tag, digest, manifest,
            node["config"]!["digest"]!.GetValue<string>(), node["layers"]![0]!["digest"]!.GetValue<string>());
    }

    public static async Task<JsonNode> ExpectAsync(HttpResponseMessage response, HttpStatusCode status, string what)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{what}: expected {(int)status}, got {(int)response.StatusCode} {text}");
        return text.Length == 0 ? new JsonObject() : JsonNode.Parse(text)!;
    }

    /// <summary>The <c>error.code</c> of a management API error body.</summary>
    public static async Task<string?> ApiErrorCodeAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0) return null;
        try { return JsonNode.Parse(text)?["error"]?["code"]?.GetValue<string>(); }
        catch (JsonException) { return null; }
    }

    public async ValueTask DisposeAsync()
    {
        lock (_clients) foreach (var c in _clients) c.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>What <see cref="AccessServer.PushImageAsync"/> pushed.</summary>
public sealed record AccessImage(string Repo, string Tag, string Digest, byte[] Manifest, string Config, string Layer);

/// <summary>One auth-enabled server shared by the tests of a class (they use their own names).</summary>
public sealed class AccessServerFixture : IAsyncLifetime
{
    public AccessServer Access { get; private set; } = null!;

    public async Task InitializeAsync() => Access = await AccessServer.StartAsync();

    public async Task DisposeAsync() => await Access.DisposeAsync();
}

/// <summary>Reads (never verifies) the claims of a Bollard JWT, to see what a token grants.</summary>
public static class AccessJwt
{
    public static JsonNode Payload(string token)
    {
        string part = token.Split('.')[1].Replace('-', '+').Replace('_', '/');
        part = part.PadRight(part.Length + (4 - part.Length % 4) % 4, '=');
        return JsonNode.Parse(Convert.FromBase64String(part))!;
    }

    /// <summary>The <c>access</c> claim as JSON text.</summary>
    public static string AccessOf(string token) => Payload(token)["access"]?.ToJsonString() ?? "[]";
}
