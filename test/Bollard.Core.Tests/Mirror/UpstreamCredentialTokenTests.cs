using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Bollard.Core.Auth;
using Bollard.Core.Mirror;
using Bollard.Core.Mirror.Upstream;
using Bollard.Core.Oci;
using Bollard.Core.Security;
using Bollard.Core.Storage;

namespace Bollard.Core.Tests.Mirror;

/// <summary>
/// <see cref="HttpUpstreamRegistry"/> with <see cref="UpstreamCredentials"/>, against a loopback upstream that speaks the
/// Docker token flow: stored credentials go to the token service, the token is cached, and changing or removing the
/// stored credentials drops it (the next request asks the token service again, with the new credentials).
/// </summary>
public sealed class UpstreamCredentialTokenTests : IDisposable
{
    private static readonly RegistryCaller Admin = new(new Principal(PrincipalKind.User, 1, "root", IsAdmin: true), null, "127.0.0.1");
    private readonly HttpListener _listener = new();
    private readonly List<string?> _tokenRequests = [];
    private readonly int _port;

    public UpstreamCredentialTokenTests()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        _listener.Prefixes.Add($"http://127.0.0.1:{_port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public void Dispose() => _listener.Close();

    /// <summary>/token answers <c>tok-BASIC</c> (or <c>tok-anonymous</c>); /v2/ wants a token and echoes which one it got as the tag.</summary>
    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            using var response = context.Response;
            string? authorization = context.Request.Headers["Authorization"];
            byte[] body;
            if (context.Request.Url!.AbsolutePath == "/token")
            {
                lock (_tokenRequests) _tokenRequests.Add(authorization);
                string who = authorization is null ? "anonymous" : Encoding.UTF8.GetString(Convert.FromBase64String(authorization["Basic ".Length..])).Split(':')[0];
                body = Encoding.UTF8.GetBytes($$"""{"token":"tok-{{who}}","expires_in":300}""");
            }
            else if (authorization is { } bearer && bearer.StartsWith("Bearer tok-", StringComparison.Ordinal))
            {
                body = Encoding.UTF8.GetBytes($$"""{"name":"lib/app","tags":["{{bearer["Bearer ".Length..]}}"]}""");
            }
            else
            {
                response.StatusCode = 401;
                response.AddHeader("WWW-Authenticate", $"Bearer realm=\"http://127.0.0.1:{_port}/token\",service=\"test\",scope=\"repository:lib/app:pull\"");
                body = [];
            }
            response.ContentType = "application/json";
            await response.OutputStream.WriteAsync(body);
        }
    }

    private List<string?> TokenRequests()
    {
        lock (_tokenRequests) return _tokenRequests.ToList();
    }

    private static string Basic(string user, string password) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    [Fact]
    public async Task Changing_or_removing_stored_credentials_drops_the_cached_token()
    {
        var upstream = new UpstreamOptions { Name = "up", Url = $"http://127.0.0.1:{_port}" };
        var options = new MirrorOptions { Upstreams = [upstream] };
        var kek = KeyEncryptionKey.FromBytes(RandomNumberGenerator.GetBytes(32));
        var credentials = new UpstreamCredentials(new MemoryCredentialStore(), () => kek, options, new AuditRecorder(new NoAuditLog(), TimeProvider.System), TimeProvider.System);
        using var registry = new HttpUpstreamRegistry(new MirrorCounters(), options, TimeProvider.System, credentials);
        var route = new MirrorRoute(upstream, "lib/app", RepositoryName.Parse("mirror/up/lib/app"));

        await credentials.SetAsync(Admin, "up", "alice", "pw1", CancellationToken.None);
        Assert.Equal(["tok-alice"], await registry.ListTagsAsync(route, 10, CancellationToken.None));
        Assert.Equal(["tok-alice"], await registry.ListTagsAsync(route, 10, CancellationToken.None));
        Assert.Equal([Basic("alice", "pw1")], TokenRequests()); // the second request used the cached token

        await credentials.SetAsync(Admin, "up", "bob", "pw2", CancellationToken.None);
        Assert.Equal(["tok-bob"], await registry.ListTagsAsync(route, 10, CancellationToken.None));
        Assert.Equal([Basic("alice", "pw1"), Basic("bob", "pw2")], TokenRequests());

        Assert.True(await credentials.RemoveAsync(Admin, "up", CancellationToken.None));
        Assert.Equal(["tok-anonymous"], await registry.ListTagsAsync(route, 10, CancellationToken.None));
        Assert.Equal([Basic("alice", "pw1"), Basic("bob", "pw2"), null], TokenRequests());
    }

    private sealed class MemoryCredentialStore : IUpstreamCredentialStore
    {
        private readonly Dictionary<string, StoredUpstreamCredential> _rows = new(StringComparer.Ordinal);

        public Task<StoredUpstreamCredential?> GetAsync(string upstream, CancellationToken ct)
        {
            lock (_rows) return Task.FromResult(_rows.GetValueOrDefault(upstream));
        }

        public Task<IReadOnlyList<StoredUpstreamCredential>> ListAsync(CancellationToken ct)
        {
            lock (_rows) return Task.FromResult<IReadOnlyList<StoredUpstreamCredential>>(_rows.Values.ToList());
        }

        public Task PutAsync(StoredUpstreamCredential credential, CancellationToken ct)
        {
            lock (_rows) _rows[credential.Upstream] = credential;
            return Task.CompletedTask;
        }

        public Task<bool> DeleteAsync(string upstream, CancellationToken ct)
        {
            lock (_rows) return Task.FromResult(_rows.Remove(upstream));
        }
    }

    private sealed class NoAuditLog : IAuditLog
    {
        public ValueTask AppendAsync(IReadOnlyList<AuditEvent> events, CancellationToken ct) => ValueTask.CompletedTask;

        public ValueTask<IReadOnlyList<AuditEvent>> QueryAsync(AuditQuery query, CancellationToken ct) => ValueTask.FromResult<IReadOnlyList<AuditEvent>>([]);
    }
}
