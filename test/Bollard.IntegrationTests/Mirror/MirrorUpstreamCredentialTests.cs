using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bollard.IntegrationTests.Mirror.Support;

namespace Bollard.IntegrationTests.Mirror;

/// <summary>
/// Credentials stored at runtime for an upstream (<c>bollard mirror login</c>, <c>PUT /api/v1/mirror/upstreams/NAME/credentials</c>):
/// the upstream is a real Distribution with htpasswd (Basic) auth. The configuration's password is wrong, so a pull
/// works only while the stored credentials (which win) are there; they are sealed in the database (the raw file bytes
/// never hold the password), never returned by the API, and only admins may set or remove them.
/// </summary>
public sealed class MirrorUpstreamCredentialTests : IAsyncLifetime
{
    private const string UpstreamUser = "mirror-bot";
    private readonly string _password = "upstream-pw-" + Guid.NewGuid().ToString("N");
    private UpstreamRegistry _upstream = null!;
    private AccessServer _access = null!;

    public async Task InitializeAsync()
    {
        _upstream = await UpstreamRegistry.StartNewAsync(UpstreamUser, _password);
        _access = await AccessServer.StartAsync(new Dictionary<string, string?>
        {
            ["Mirror:Upstreams:0:Name"] = "private",
            ["Mirror:Upstreams:0:Url"] = _upstream.Url,
            ["Mirror:Upstreams:0:Username"] = UpstreamUser,
            ["Mirror:Upstreams:0:Password"] = "not-the-password",
            ["Auth:AllowBasicOnRegistry"] = "true",
        });
    }

    public async Task DisposeAsync()
    {
        await _access.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private Task<BollardProcess.Exited> CliAsync(AccessCreds who, string? stdin, params string[] args) =>
        BollardProcess.RunAsync(args, new Dictionary<string, string>
        {
            ["BOLLARD_SERVER"] = _access.Server.BaseAddress.ToString().TrimEnd('/'),
            ["BOLLARD_USER"] = who.User,
            ["BOLLARD_PASSWORD"] = who.Secret,
        }, stdin);

    private async Task<HttpResponseMessage> PullManifestAsync(string repo, string tag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/mirror/private/{repo}/manifests/{tag}");
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        return await _access.Registry(_access.Admin).SendAsync(request);
    }

    private async Task<JsonNode> UpstreamViewAsync()
    {
        using var response = await _access.AdminApi.GetAsync("/api/v1/mirror/upstreams");
        string body = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(_password, body, StringComparison.Ordinal);
        return JsonNode.Parse(body)!["upstreams"]!.AsArray().Single(u => u!["name"]!.GetValue<string>() == "private")!["credentials"]!;
    }

    /// <summary>Every byte of the metadata database (with its WAL and shared-memory files) as the disk holds them.</summary>
    private byte[] DatabaseBytes()
    {
        using var all = new MemoryStream();
        foreach (string file in Directory.GetFiles(_access.Server.DataDir, "bollard.db*"))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            stream.CopyTo(all);
        }
        return all.ToArray();
    }

    [Fact]
    public async Task Stored_credentials_win_are_sealed_at_rest_and_pulls_fail_clearly_without_them()
    {
        string repo = AccessServer.Unique("team/app");
        var (manifest, digest) = await _upstream.Client.PushImageAsync(repo, "1", layers: 1);
        await _upstream.Client.PushImageAsync(repo, "2", layers: 1);
        Assert.Equal("config", (await UpstreamViewAsync())["source"]!.GetValue<string>());

        // The configuration's password is wrong: the upstream refuses, and the client is told why and what to do.
        using (var before = await PullManifestAsync(repo, "1"))
        {
            Assert.Equal(HttpStatusCode.BadGateway, before.StatusCode);
            string error = await before.Content.ReadAsStringAsync();
            Assert.Contains("upstream refused the credentials", error, StringComparison.Ordinal);
            Assert.Contains($"as user '{UpstreamUser}'", error, StringComparison.Ordinal);
        }

        var login = await CliAsync(_access.Admin, _password + "\n", "mirror", "login", "private", "--username", UpstreamUser, "--password-stdin");
        Assert.True(login.ExitCode == 0, login.Stderr + login.Stdout);
        var view = await UpstreamViewAsync();
        Assert.True(view["stored"]!.GetValue<bool>());
        Assert.Equal("stored", view["source"]!.GetValue<string>());
        Assert.Equal("admin", view["storedBy"]!.GetValue<string>());

        // Sealed at rest: the password is nowhere in the database files, and the key that opens it is outside the database.
        // (The audit entry of the login, written after the row, is found in the same bytes: the scan sees fresh writes.)
        Assert.NotEmpty(await _access.AuditAsync(action: "mirror.credentials.set"));
        byte[] raw = DatabaseBytes();
        Assert.NotEqual(-1, raw.AsSpan().IndexOf(Encoding.UTF8.GetBytes($"user {UpstreamUser}")));
        Assert.Equal(-1, raw.AsSpan().IndexOf(Encoding.UTF8.GetBytes(_password)));
        Assert.True(File.Exists(Path.Combine(_access.Server.DataDir, "signing-keys.kek")));

        using (var after = await PullManifestAsync(repo, "1"))
        {
            Assert.True(after.StatusCode == HttpStatusCode.OK, await after.Content.ReadAsStringAsync());
            Assert.Equal(manifest, await after.Content.ReadAsByteArrayAsync());
            Assert.Equal(digest, after.Headers.GetValues("Docker-Content-Digest").Single());
        }
        string layer = JsonNode.Parse(manifest)!["layers"]![0]!["digest"]!.GetValue<string>();
        using (var blob = await _access.Registry(_access.Admin).GetAsync($"/v2/mirror/private/{repo}/blobs/{layer}"))
        {
            Assert.Equal(HttpStatusCode.OK, blob.StatusCode);
            Assert.Equal(layer, RegistryTestClient.Sha256(await blob.Content.ReadAsByteArrayAsync()));
        }

        var logout = await CliAsync(_access.Admin, null, "mirror", "logout", "private");
        Assert.True(logout.ExitCode == 0, logout.Stderr + logout.Stdout);
        Assert.Equal("config", (await UpstreamViewAsync())["source"]!.GetValue<string>());
        // The configuration's (wrong) credentials apply again at once: an uncached tag fails clearly.
        using (var gone = await PullManifestAsync(repo, "2"))
        {
            Assert.Equal(HttpStatusCode.BadGateway, gone.StatusCode);
            string error = await gone.Content.ReadAsStringAsync();
            Assert.Contains($"mirror/private/{repo}:2 is not cached and upstream private", error, StringComparison.Ordinal);
            Assert.Contains("upstream refused the credentials", error, StringComparison.Ordinal);
        }
        var again = await CliAsync(_access.Admin, null, "mirror", "logout", "private");
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("no stored credentials", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_admins_store_or_remove_credentials_and_the_password_is_never_returned()
    {
        var dev = await _access.CreateUserAsync(AccessServer.Unique("dev"));
        var cli = await CliAsync(dev, _password + "\n", "mirror", "login", "private", "--username", UpstreamUser, "--password-stdin");
        Assert.NotEqual(0, cli.ExitCode);
        Assert.Contains("admin", cli.Stderr, StringComparison.Ordinal);

        using (var put = await _access.Api(dev).PutAsJsonAsync("/api/v1/mirror/upstreams/private/credentials", new { username = UpstreamUser, password = _password }))
            Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        using (var delete = await _access.Api(dev).DeleteAsync("/api/v1/mirror/upstreams/private/credentials"))
            Assert.Equal(HttpStatusCode.Forbidden, delete.StatusCode);
        using (var anonymous = await _access.Raw().PutAsJsonAsync("/api/v1/mirror/upstreams/private/credentials", new { username = UpstreamUser, password = _password }))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.False((await UpstreamViewAsync())["stored"]!.GetValue<bool>());

        using (var unknown = await _access.AdminApi.PutAsJsonAsync("/api/v1/mirror/upstreams/nope/credentials", new { username = UpstreamUser, password = _password }))
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        using (var noPassword = await _access.AdminApi.PutAsJsonAsync("/api/v1/mirror/upstreams/private/credentials", new { username = UpstreamUser }))
            Assert.Equal(HttpStatusCode.BadRequest, noPassword.StatusCode);

        using (var put = await _access.AdminApi.PutAsJsonAsync("/api/v1/mirror/upstreams/private/credentials", new { username = UpstreamUser, password = _password }))
            Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        // A developer sees that credentials are stored, not what they are.
        using (var list = await _access.Api(dev).GetAsync("/api/v1/mirror/upstreams"))
        {
            string body = await list.Content.ReadAsStringAsync();
            Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            Assert.DoesNotContain(_password, body, StringComparison.Ordinal);
            Assert.Equal("stored", JsonDocument.Parse(body).RootElement.GetProperty("upstreams")[0].GetProperty("credentials").GetProperty("source").GetString());
        }
        var audit = await _access.AuditAsync(action: "mirror.credentials.set");
        Assert.Contains(audit, e => e.Principal == "admin" && e.Reference == "private" && e.Outcome == "success");
        Assert.DoesNotContain(audit, e => (e.Detail ?? "").Contains(_password, StringComparison.Ordinal));
    }
}
