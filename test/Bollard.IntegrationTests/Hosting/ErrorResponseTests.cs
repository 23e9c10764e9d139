using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Bollard.IntegrationTests.Hosting;

/// <summary>
/// Issue 6: storage failures get the spec's error body with 503/507 and the request log says what was really
/// sent (B10); management API errors always have a JSON body (C4, C8); the token realm never comes from an
/// untrusted Host header (B11); challenges name the scopes a client needs (C6).
/// </summary>
public sealed class ErrorResponseTests
{
    private const string RequestLogCategory = "Bollard.Server.Hosting.RequestLoggingMiddleware";

    private static async Task<(BollardServer Server, LineCollector Log)> StartWithRequestLogAsync(Dictionary<string, string?>? settings = null)
    {
        settings ??= [];
        settings[$"Logging:LogLevel:{RequestLogCategory}"] = "Information";
        var server = await BollardServer.StartAsync(settings);
        var log = new LineCollector();
        server.Services.GetRequiredService<ILoggerFactory>().AddProvider(log);
        return (server, log);
    }

    [Fact]
    public async Task LockedDatabase_Write_Returns503WithRetryAfterAndErrorBody_AndTheLogSays503()
    {
        var (server, log) = await StartWithRequestLogAsync(new() { ["Storage:Metadata:BusyTimeout"] = "00:00:01" });
        await using var _ = server;
        // Another process (here: another connection) holds SQLite's write lock, as `sqlite3 bollard.db` with
        // BEGIN EXCLUSIVE would.
        await using var other = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(server.DataDir, "bollard.db"), Pooling = false }.ToString());
        await other.OpenAsync();
        await using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN EXCLUSIVE";
            await begin.ExecuteNonQueryAsync();
        }

        using var response = await server.Client.PostAsync("/v2/locked/app/blobs/uploads/", null);
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "no Retry-After");
        var error = JsonNode.Parse(body)!["errors"]![0]!;
        Assert.Equal("UNAVAILABLE", error["code"]!.GetValue<string>());
        string requestId = error["detail"]!["requestId"]!.GetValue<string>();
        Assert.Equal(requestId, response.Headers.GetValues("X-Request-Id").Single());
        var line = await log.WaitForAsync(l => l.Contains("/v2/locked/app/blobs/uploads/", StringComparison.Ordinal));
        Assert.Contains(" 503 ", line);
        Assert.Contains($"id={requestId}", line);

        await using (var rollback = other.CreateCommand())
        {
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync();
        }
        using var again = await server.Client.PostAsync("/v2/locked/app/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
    }

    [Fact]
    public async Task UnusableBlobFolder_Returns503WithErrorBody_AndTheLogSays503()
    {
        // Tests run as root, for whom chmod does not stop writes. A real way to break the folder as root: the
        // uploads folder replaced by a regular file (a restore gone wrong, a volume mounted at the wrong level),
        // so creating an upload fails with ENOTDIR, which the folder backend reports as storage unavailable.
        var (server, log) = await StartWithRequestLogAsync();
        await using var _ = server;
        string uploads = Path.Combine(server.DataDir, "uploads");
        Directory.Delete(uploads, recursive: true);
        await File.WriteAllTextAsync(uploads, "not a folder");

        using var response = await server.Client.PostAsync("/v2/broken/app/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
        var error = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]![0]!;
        Assert.Equal("UNAVAILABLE", error["code"]!.GetValue<string>());
        Assert.Contains(" 503 ", await log.WaitForAsync(l => l.Contains("/v2/broken/app/blobs/uploads/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task RequestLog_ChunkedResponse_CountsTheBytesReallySent()
    {
        var (server, log) = await StartWithRequestLogAsync();
        await using var _ = server;
        await server.Client.PushBlobAsync("logged/app", [1, 2, 3]);
        using var response = await server.Client.GetAsync("/v2/_catalog");
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        // The handler never sets Response.ContentLength (the old log read only that, and said out=0).
        var line = await log.WaitForAsync(l => l.Contains("GET /v2/_catalog ", StringComparison.Ordinal));
        Assert.Contains($" 200 in=0 out={body.Length} ", line);
    }

    // ---- management API errors (C4, C8) ----

    private static async Task<JsonNode> ApiErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = JsonNode.Parse(body)!["error"]!;
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrWhiteSpace(error["message"]!.GetValue<string>()));
        return error;
    }

    [Fact]
    public async Task Management_FormContentType_Is415WithABodyThatSaysWhatToSend()
    {
        await using var server = await BollardServer.StartAsync();
        // curl -d '{"name":"x"}' sends application/x-www-form-urlencoded.
        using var response = await server.Client.PostAsync("/api/v1/users",
            new StringContent("{\"name\":\"x\",\"password\":\"long-enough-password\"}", Encoding.UTF8, "application/x-www-form-urlencoded"));
        var error = await ApiErrorAsync(response, HttpStatusCode.UnsupportedMediaType, "UNSUPPORTED_MEDIA_TYPE");
        Assert.Contains("Content-Type: application/json", error["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Management_BadJson_Is400WithTheParserMessage()
    {
        await using var server = await BollardServer.StartAsync();
        using var response = await server.Client.PostAsync("/api/v1/users", new StringContent("{\"name\":", Encoding.UTF8, "application/json"));
        var error = await ApiErrorAsync(response, HttpStatusCode.BadRequest, "BAD_REQUEST");
        Assert.Contains("not valid JSON", error["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Management_UnknownRouteAndWrongMethod_HaveJsonBodies()
    {
        await using var server = await BollardServer.StartAsync();
        using (var unknown = await server.Client.GetAsync("/api/v1/no-such-thing"))
            await ApiErrorAsync(unknown, HttpStatusCode.NotFound, "NOT_FOUND");
        using var wrong = await server.Client.DeleteAsync("/api/v1/me");
        await ApiErrorAsync(wrong, HttpStatusCode.MethodNotAllowed, "METHOD_NOT_ALLOWED");
    }

    [Fact]
    public async Task Management_ErrorText_KeepsApostrophes()
    {
        await using var server = await BollardServer.StartAsync();
        using var response = await server.Client.PostAsync("/api/v1/bindings",
            new StringContent("{\"principal\":\"someone\",\"role\":\"nope\",\"namespace\":\"a/**\"}", Encoding.UTF8, "application/json"));
        string raw = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("role 'nope'", raw);
        Assert.DoesNotContain("\\u0027", raw);
    }

    // ---- realm (B11) and challenges (C6) ----

    private static Dictionary<string, string?> AuthOn() => new()
    {
        ["Auth:Enabled"] = "true",
        ["Auth:AdminPassword"] = AccessServer.AdminPassword,
        ["Auth:PasswordIterations"] = "1000",
    };

    private static async Task<string> RawRequestAsync(BollardServer server, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var head = new StringBuilder();
        string? line;
        while ((line = await reader.ReadLineAsync()) is { Length: > 0 }) head.AppendLine(line);
        return head.ToString();
    }

    [Fact]
    public async Task Realm_FromAHostileHostHeader_IsNotUsed()
    {
        await using var server = await BollardServer.StartAsync(AuthOn());
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/");
        request.Headers.Host = "attacker.example:80";
        using var response = await server.Client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        string challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Contains($"realm=\"http://{server.HostPort}/auth/token\"", challenge);
        Assert.DoesNotContain("attacker", challenge);
    }

    [Fact]
    public async Task Realm_Http10WithoutHost_IsTheListenAddress()
    {
        await using var server = await BollardServer.StartAsync(AuthOn());
        string head = await RawRequestAsync(server, "GET /v2/ HTTP/1.0\r\n\r\n");
        Assert.Contains(" 401 ", head.Split('\n')[0]);
        Assert.Contains($"realm=\"http://{server.HostPort}/auth/token\"", head);
    }

    [Fact]
    public async Task Catalog_TokenWithoutTheScope_GetsInsufficientScopeChallenge()
    {
        await using var access = await AccessServer.StartAsync();
        string token = await access.TokenAsync(access.Admin);
        using var response = await access.WithToken(token).GetAsync("/v2/_catalog");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        string challenge = response.Headers.WwwAuthenticate.ToString();
        Assert.Contains("scope=\"registry:catalog:*\"", challenge);
        Assert.Contains("error=\"insufficient_scope\"", challenge);
        // A client that asks for exactly the challenged scope can list.
        string scoped = await access.TokenAsync(access.Admin, "registry:catalog:*");
        using var listed = await access.WithToken(scoped).GetAsync("/v2/_catalog");
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
    }

    [Fact]
    public async Task Catalog_BasicCredentialsRefused_ChallengeNamesTheCatalogScope()
    {
        await using var access = await AccessServer.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v2/_catalog");
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", access.Admin.BasicHeader);
        using var response = await access.Raw().SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("scope=\"registry:catalog:*\"", response.Headers.WwwAuthenticate.ToString());
    }

    [Fact]
    public async Task Mount_Challenge_NamesTheSourceRepositoryToo()
    {
        await using var access = await AccessServer.StartAsync();
        string digest = RegistryTestClient.Sha256([1, 2, 3]);
        using var response = await access.Raw().PostAsync($"/v2/team/to/blobs/uploads/?mount={digest}&from=team/from", null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("scope=\"repository:team/to:pull,push repository:team/from:pull\"", response.Headers.WwwAuthenticate.ToString());
    }

    /// <summary>Collects formatted log lines; the test waits for the one it expects (the request line is written after the response).</summary>
    private sealed class LineCollector : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public async Task<string> WaitForAsync(Func<string, bool> match)
        {
            for (int i = 0; i < 500; i++)
            {
                if (_lines.FirstOrDefault(match) is { } line) return line;
                await Task.Delay(20);
            }
            throw new Xunit.Sdk.XunitException("no such log line; got:\n" + string.Join('\n', _lines));
        }

        public ILogger CreateLogger(string categoryName) => this;
        public void Dispose() { }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(formatter(state, exception));
    }
}
