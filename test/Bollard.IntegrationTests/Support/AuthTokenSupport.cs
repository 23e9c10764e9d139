using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;

namespace Bollard.IntegrationTests.Support;

/// <summary>A signing key as stored in <c>signing_keys</c> (PKCS#8 private key, <c>kid</c>).</summary>
public sealed record AuthTokenStoredKey(string KeyId, byte[] PrivateKeyPkcs8, long CreatedAt, long? RetiredAt);

/// <summary>
/// Helpers for the token tests (Auth/Tokens): an access-controlled server, Basic and Bearer requests, the
/// management calls that set up users, robots and bindings, the token endpoint, the audit log, and the signing
/// keys read straight from the SQLite file.
/// </summary>
public static class AuthTokenSupport
{
    public const string AdminPassword = "admin-password-123";
    public const string UserPassword = "user-password-123";

    /// <summary>Access control on, with a known admin password and cheap PBKDF2 (tests only).</summary>
    public static Dictionary<string, string?> Settings(IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Auth:Enabled"] = "true",
            ["Auth:AdminPassword"] = AdminPassword,
            ["Auth:PasswordIterations"] = "1000",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>()) settings[k] = v;
        return settings;
    }

    public static Task<BollardServer> StartAsync(IDictionary<string, string?>? extra = null) => BollardServer.StartAsync(Settings(extra));

    public static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    public static AuthenticationHeaderValue AdminBasic => Basic("admin", AdminPassword);

    public static AuthenticationHeaderValue Bearer(string token) => new("Bearer", token);

    public static string UniqueName(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..10]}";

    public static async Task<HttpResponseMessage> SendAsync(BollardServer server, HttpMethod method, string path, AuthenticationHeaderValue? auth, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.Authorization = auth;
        return await server.Client.SendAsync(request);
    }

    /// <summary>A client that sends <paramref name="auth"/> on every request (for the push helpers).</summary>
    public static HttpClient ClientWith(BollardServer server, AuthenticationHeaderValue auth)
    {
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        client.DefaultRequestHeaders.Authorization = auth;
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("*/*"));
        return client;
    }

    // ---- management API (as admin) ----

    public static async Task<JsonNode?> AdminCallAsync(BollardServer server, HttpMethod method, string path, object? body, HttpStatusCode expected)
    {
        using var content = body is null ? null : new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");
        using var response = await SendAsync(server, method, path, AdminBasic, content);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    public static Task CreateUserAsync(BollardServer server, string name, string password = UserPassword) =>
        AdminCallAsync(server, HttpMethod.Post, "/api/v1/users", new { name, password }, HttpStatusCode.Created);

    public static Task BindAsync(BollardServer server, string principal, string role, string pattern) =>
        AdminCallAsync(server, HttpMethod.Post, "/api/v1/bindings", new { principal, role, @namespace = pattern }, HttpStatusCode.Created);

    public static Task SetPublicAsync(BollardServer server, string pattern, bool isPublic = true) =>
        AdminCallAsync(server, HttpMethod.Put, "/api/v1/namespaces/public", new { @namespace = pattern, @public = isPublic }, HttpStatusCode.NoContent);

    /// <summary>Creates a robot; returns its full name (<c>robot$NAME</c>) and secret.</summary>
    public static async Task<(string Name, string Secret)> CreateRobotAsync(BollardServer server, string name, string? expiresIn, params (string Role, string Namespace)[] bindings)
    {
        var body = new { name, description = "token tests", expiresIn, bindings = bindings.Select(b => new { role = b.Role, @namespace = b.Namespace }).ToArray() };
        var created = await AdminCallAsync(server, HttpMethod.Post, "/api/v1/robots", body, HttpStatusCode.Created);
        return ((string)created!["name"]!, (string)created["secret"]!);
    }

    // ---- the token endpoint ----

    public static string TokenPath(IEnumerable<string> scopes, string? service = "bollard", string? extra = null)
    {
        var query = new List<string>();
        if (service is not null) query.Add("service=" + Uri.EscapeDataString(service));
        query.AddRange(scopes.Select(s => "scope=" + Uri.EscapeDataString(s)));
        if (extra is not null) query.Add(extra);
        return "/auth/token?" + string.Join('&', query);
    }

    public static Task<HttpResponseMessage> RequestTokenAsync(BollardServer server, AuthenticationHeaderValue? auth, params string[] scopes) =>
        SendAsync(server, HttpMethod.Get, TokenPath(scopes), auth);

    /// <summary>GET /auth/token; asserts 200 and returns the bearer token.</summary>
    public static async Task<string> TokenAsync(BollardServer server, AuthenticationHeaderValue? auth, params string[] scopes)
    {
        using var response = await RequestTokenAsync(server, auth, scopes);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"token request: {(int)response.StatusCode} {text}");
        return (string)JsonNode.Parse(text)!["token"]!;
    }

    public static Task<string> UserTokenAsync(BollardServer server, string user, params string[] scopes) =>
        TokenAsync(server, Basic(user, UserPassword), scopes);

    public static Task<string> AdminTokenAsync(BollardServer server, params string[] scopes) => TokenAsync(server, AdminBasic, scopes);

    public static Task<HttpResponseMessage> PostTokenFormAsync(BollardServer server, params (string Key, string Value)[] form) =>
        SendAsync(server, HttpMethod.Post, "/auth/token", null, new FormUrlEncodedContent(form.Select(f => new KeyValuePair<string, string>(f.Key, f.Value))));

    // ---- /v2 with a token ----

    public static Task<HttpResponseMessage> V2Async(BollardServer server, HttpMethod method, string path, string token, HttpContent? content = null) =>
        SendAsync(server, method, path, Bearer(token), content);

    public static ByteArrayContent Octets(byte[] data)
    {
        var content = new ByteArrayContent(data);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        return content;
    }

    public static ByteArrayContent ManifestContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.oci.image.manifest.v1+json");
        return content;
    }

    /// <summary>The <c>WWW-Authenticate</c> header, or "".</summary>
    public static string Challenge(HttpResponseMessage response) =>
        response.Headers.TryGetValues("WWW-Authenticate", out var values) ? string.Join(", ", values) : "";

    /// <summary>Asserts a 401 with a Bearer challenge (and, when given, its <c>error</c>).</summary>
    public static async Task AssertUnauthorizedAsync(HttpResponseMessage response, string? challengeError = null)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"expected 401, got {(int)response.StatusCode}: {body}");
        string challenge = Challenge(response);
        Assert.StartsWith("Bearer realm=", challenge, StringComparison.Ordinal);
        if (challengeError is not null) Assert.Contains($"error=\"{challengeError}\"", challenge, StringComparison.Ordinal);
        Assert.Contains("\"UNAUTHORIZED\"", body, StringComparison.Ordinal);
    }

    /// <summary>Asserts the request was refused (401 or 403), for cases where either is right.</summary>
    public static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"expected 401/403, got {(int)response.StatusCode}: {body}");
    }

    // ---- JWT ----

    public static JsonObject JwtHeader(string token) => (JsonObject)JsonNode.Parse(AuthJwt.FromB64(token.Split('.')[0]))!;

    public static JsonObject JwtPayload(string token) => (JsonObject)JsonNode.Parse(AuthJwt.FromB64(token.Split('.')[1]))!;

    /// <summary>The <c>access</c> claim exactly as issued (compact JSON).</summary>
    public static string AccessClaim(string token) => JwtPayload(token)["access"]!.ToJsonString();

    // ---- audit ----

    public static async Task<List<JsonNode>> AuditAsync(BollardServer server, string query)
    {
        var page = await AdminCallAsync(server, HttpMethod.Get, "/api/v1/audit?limit=1000&" + query, null, HttpStatusCode.OK);
        return page!["events"]!.AsArray().Select(e => e!).ToList();
    }

    // ---- the database ----

    private static SqliteConnection OpenDatabase(BollardServer server)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(server.DataDir, "bollard.db"),
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        };
        var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        return connection;
    }

    /// <summary>The token signing keys, newest first, read from the SQLite file (as an attacker with a DB copy would).</summary>
    public static List<AuthTokenStoredKey> SigningKeys(BollardServer server)
    {
        using var connection = OpenDatabase(server);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT key_id, private_key, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, key_id";
        using var reader = command.ExecuteReader();
        var keys = new List<AuthTokenStoredKey>();
        while (reader.Read())
            keys.Add(new AuthTokenStoredKey(reader.GetString(0), (byte[])reader.GetValue(1), reader.GetInt64(2), reader.IsDBNull(3) ? null : reader.GetInt64(3)));
        return keys;
    }

    public static string? PasswordHashOf(BollardServer server, string user)
    {
        using var connection = OpenDatabase(server);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT password_hash FROM users WHERE name = $name";
        command.Parameters.AddWithValue("$name", user);
        return command.ExecuteScalar() as string;
    }
}

/// <summary>A server with access control on, shared by one test class: alice and bob, a public namespace.</summary>
public sealed class AuthTokenServerFixture : IAsyncLifetime
{
    public BollardServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await AuthTokenSupport.StartAsync();
        // alice: developer in team-a, reader in shared; bob: no roles at all; carol: maintainer in team-a.
        await AuthTokenSupport.CreateUserAsync(Server, "alice");
        await AuthTokenSupport.CreateUserAsync(Server, "bob");
        await AuthTokenSupport.CreateUserAsync(Server, "carol");
        await AuthTokenSupport.BindAsync(Server, "alice", "developer", "team-a/**");
        await AuthTokenSupport.BindAsync(Server, "alice", "reader", "shared/**");
        await AuthTokenSupport.BindAsync(Server, "carol", "maintainer", "team-a/**");
        await AuthTokenSupport.SetPublicAsync(Server, "pub/**");
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
