using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Mirror;

/// <summary>
/// The transparent mirror with access control on. A Docker daemon (or containerd) asks the token endpoint for
/// <c>repository:library/x:pull</c>; access is judged on the repository that is served, <c>mirror/docker.io/library/x</c>:
/// anonymous only when that namespace is public, a user or robot only with pull there. The token issued that way passes
/// the gate of the retried request, Basic credentials are judged on the mapped name too, and the challenge names the
/// scope the client asked about (with containerd's <c>?ns=</c> carried in the realm).
/// </summary>
public sealed class TransparentMirrorAccessTests : IAsyncLifetime
{
    private AccessServer _access = null!;

    public async Task InitializeAsync()
    {
        _access = await AccessServer.StartAsync(new Dictionary<string, string?>
        {
            // No upstream is ever asked here: the images are stored in the mirrored repositories by the admin.
            ["Mirror:Upstreams:0:Name"] = "docker.io",
            ["Mirror:Upstreams:0:Url"] = "http://127.0.0.1:9",
            ["Mirror:Upstreams:1:Name"] = "ghcr.io",
            ["Mirror:Upstreams:1:Url"] = "http://127.0.0.1:9",
            ["Mirror:Transparent"] = "docker.io",
            ["Auth:AllowBasicOnRegistry"] = "true",
        });
    }

    public async Task DisposeAsync() => await _access.DisposeAsync();

    private async Task<(string Name, string Digest)> SeedAsync(string upstream = "docker.io")
    {
        string name = AccessServer.Unique("library/a");
        var (_, digest) = await _access.Registry(_access.Admin).PushImageAsync($"mirror/{upstream}/{name}", "1", layers: 1);
        return (name, digest);
    }

    private static async Task<HttpResponseMessage> GetManifestAsync(HttpClient client, string pathAndQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, pathAndQuery);
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        return await client.SendAsync(request);
    }

    private static IReadOnlyList<(string Name, string[] Actions)> Access(string token)
    {
        string payload = token.Split('.')[1];
        var claims = JsonNode.Parse(Convert.FromBase64String(payload.Replace('-', '+').Replace('_', '/').PadRight((payload.Length + 3) / 4 * 4, '=')))!;
        return claims["access"]!.AsArray().Select(a => (a!["name"]!.GetValue<string>(), a["actions"]!.AsArray().Select(x => x!.GetValue<string>()).ToArray())).ToList();
    }

    [Fact]
    public async Task Anonymous_pull_of_a_transparent_name_works_when_the_mirror_namespace_is_public()
    {
        var (name, digest) = await SeedAsync();
        await _access.SetPublicAsync("mirror/docker.io/**", true);
        try
        {
            // Anonymous callers read public repositories without a token; clients that fetch one anyway get it granted.
            using (var plain = await GetManifestAsync(_access.Raw(), $"/v2/{name}/manifests/1")) Assert.Equal(HttpStatusCode.OK, plain.StatusCode);
            // What a Docker daemon asks for; the token grants the mirrored repository, which the gate then sees.
            string token = await _access.TokenAsync(null, $"repository:{name}:pull");
            Assert.Contains(($"mirror/docker.io/{name}", new[] { "pull" }), Access(token).Select(a => (a.Name, a.Actions)), new AccessComparer());
            using var got = await GetManifestAsync(_access.WithToken(token), $"/v2/{name}/manifests/1");
            Assert.Equal(HttpStatusCode.OK, got.StatusCode);
            Assert.Equal(digest, got.Headers.GetValues("Docker-Content-Digest").Single());
            // And the whole dance, as a client does it.
            using var danced = await GetManifestAsync(_access.Registry(null), $"/v2/{name}/manifests/1");
            Assert.Equal(HttpStatusCode.OK, danced.StatusCode);
        }
        finally
        {
            await _access.SetPublicAsync("mirror/docker.io/**", false);
        }
    }

    [Fact]
    public async Task Anonymous_pull_of_a_transparent_name_is_refused_when_the_mirror_namespace_is_not_public()
    {
        var (name, _) = await SeedAsync();
        // The challenge names what the client asked about, not the mirrored name.
        using (var challenged = await GetManifestAsync(_access.Raw(), $"/v2/{name}/manifests/1"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, challenged.StatusCode);
            var challenge = AccessTokenDanceHandler.ParseBearer(challenged)!;
            Assert.Equal($"repository:{name}:pull", challenge["scope"]);
            Assert.DoesNotContain("ns=", challenge["realm"], StringComparison.Ordinal);
        }
        string token = await _access.TokenAsync(null, $"repository:{name}:pull");
        Assert.Empty(Access(token));
        using var refused = await GetManifestAsync(_access.Registry(null), $"/v2/{name}/manifests/1");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        // A public namespace elsewhere (the asked name itself) does not open the mirror.
        await _access.SetPublicAsync("library/**", true);
        try
        {
            using var still = await GetManifestAsync(_access.Registry(null), $"/v2/{name}/manifests/1");
            Assert.Equal(HttpStatusCode.Unauthorized, still.StatusCode);
        }
        finally
        {
            await _access.SetPublicAsync("library/**", false);
        }
    }

    [Fact]
    public async Task A_user_pulls_a_transparent_name_only_with_pull_on_the_mirrored_repository()
    {
        var (name, digest) = await SeedAsync();
        var reader = await _access.CreateUserWithRoleAsync(AccessServer.Unique("mirror-reader"), "reader", "mirror/**");
        var other = await _access.CreateUserWithRoleAsync(AccessServer.Unique("library-reader"), "reader", "library/**");

        using (var got = await GetManifestAsync(_access.Registry(reader), $"/v2/{name}/manifests/1"))
        {
            Assert.Equal(HttpStatusCode.OK, got.StatusCode);
            Assert.Equal(digest, got.Headers.GetValues("Docker-Content-Digest").Single());
        }
        // Basic credentials on /v2/ are judged on the mapped name as well.
        var basic = _access.Api(reader);
        using (var got = await GetManifestAsync(basic, $"/v2/{name}/manifests/1")) Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        using (var refused = await GetManifestAsync(_access.Api(other), $"/v2/{name}/manifests/1")) Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        string token = await _access.TokenAsync(other, $"repository:{name}:pull");
        Assert.DoesNotContain(Access(token), a => a.Name.StartsWith("mirror/", StringComparison.Ordinal));
        using var denied = await GetManifestAsync(_access.WithToken(token), $"/v2/{name}/manifests/1");
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode); // known, and simply without the right
    }

    [Fact]
    public async Task A_push_scope_on_a_transparent_name_is_judged_on_the_name_as_asked()
    {
        var reader = await _access.CreateUserWithRoleAsync(AccessServer.Unique("mirror-writer"), "developer", "mirror/**");
        string name = AccessServer.Unique("library/p");
        string token = await _access.TokenAsync(reader, $"repository:{name}:pull,push");
        var access = Access(token);
        Assert.Contains(access, a => a.Name == $"mirror/docker.io/{name}" && a.Actions.SequenceEqual(["pull"]));
        Assert.DoesNotContain(access, a => a.Actions.Contains("push"));
    }

    [Fact]
    public async Task Containerds_ns_travels_in_the_realm_and_the_token_is_judged_on_that_upstreams_repository()
    {
        var (name, digest) = await SeedAsync("ghcr.io");
        var reader = await _access.CreateUserWithRoleAsync(AccessServer.Unique("ghcr-reader"), "reader", "mirror/ghcr.io/**");
        using var challenged = await GetManifestAsync(_access.Raw(), $"/v2/{name}/manifests/1?ns=ghcr.io");
        Assert.Equal(HttpStatusCode.Unauthorized, challenged.StatusCode);
        var challenge = AccessTokenDanceHandler.ParseBearer(challenged)!;
        Assert.Equal($"repository:{name}:pull", challenge["scope"]);
        Assert.EndsWith("/auth/token?ns=ghcr.io", challenge["realm"], StringComparison.Ordinal);

        // As containerd does: the realm's own query is kept and service and scope are added to it.
        var realm = new UriBuilder(challenge["realm"]);
        realm.Query = realm.Query.TrimStart('?') + "&service=" + Uri.EscapeDataString(challenge["service"]) + "&scope=" + Uri.EscapeDataString(challenge["scope"]);
        using var tokenRequest = new HttpRequestMessage(HttpMethod.Get, realm.Uri);
        tokenRequest.Headers.Authorization = new AuthenticationHeaderValue("Basic", reader.BasicHeader);
        using var tokenResponse = await _access.Raw().SendAsync(tokenRequest);
        Assert.Equal(HttpStatusCode.OK, tokenResponse.StatusCode);
        string token = JsonNode.Parse(await tokenResponse.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
        Assert.Contains(Access(token), a => a.Name == $"mirror/ghcr.io/{name}");

        using var got = await GetManifestAsync(_access.WithToken(token), $"/v2/{name}/manifests/1?ns=ghcr.io");
        Assert.Equal(HttpStatusCode.OK, got.StatusCode);
        Assert.Equal(digest, got.Headers.GetValues("Docker-Content-Digest").Single());
    }

    private sealed class AccessComparer : IEqualityComparer<(string Name, string[] Actions)>
    {
        public bool Equals((string Name, string[] Actions) x, (string Name, string[] Actions) y) => x.Name == y.Name && x.Actions.SequenceEqual(y.Actions);

        public int GetHashCode((string Name, string[] Actions) obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }
}
