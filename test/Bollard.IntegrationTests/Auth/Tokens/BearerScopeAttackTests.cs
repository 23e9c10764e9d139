using System.Net;
using System.Text;
using static Bollard.IntegrationTests.Support.AuthTokenSupport;

namespace Bollard.IntegrationTests.Auth.Tokens;

/// <summary>
/// Real tokens from /auth/token used beyond what they grant: on another repository, to push or delete with a
/// pull token, with malformed scopes. Every attempt is refused and leaves nothing behind.
/// </summary>
public sealed class BearerScopeAttackTests(AuthTokenServerFixture fixture) : IClassFixture<AuthTokenServerFixture>
{
    private BollardServer Server => fixture.Server;

    /// <summary>Pushes an image to a fresh repository as admin; returns the repo, the manifest digest and the config blob digest.</summary>
    private async Task<(string Repo, string Digest, string Blob)> SeedAsync(string prefix)
    {
        string repo = UniqueName(prefix);
        string token = await AdminTokenAsync(Server, $"repository:{repo}:pull,push");
        using var client = ClientWith(Server, Bearer(token));
        var (manifest, digest) = await client.PushImageAsync(repo, "v1", layers: 1, layerSize: 64);
        string config = System.Text.Json.JsonDocument.Parse(manifest).RootElement.GetProperty("config").GetProperty("digest").GetString()!;
        return (repo, digest, config);
    }

    private async Task<List<string>> AdminTagsAsync(string repo)
    {
        string token = await AdminTokenAsync(Server, $"repository:{repo}:pull");
        using var client = ClientWith(Server, Bearer(token));
        return await client.TagsAsync(repo);
    }

    private async Task AssertManifestPresentAsync(string repo, string reference)
    {
        string token = await AdminTokenAsync(Server, $"repository:{repo}:pull");
        using var get = await V2Async(Server, HttpMethod.Head, $"/v2/{repo}/manifests/{reference}", token);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
    }

    [Fact]
    public async Task TokenForRepoA_OnRepoB_RefusedWithoutSideEffect()
    {
        var (repoB, digestB, _) = await SeedAsync("team-a/b");
        string repoA = UniqueName("team-a/a");
        string token = await UserTokenAsync(Server, "alice", $"repository:{repoA}:pull,push");
        Assert.Contains(repoA, AccessClaim(token), StringComparison.Ordinal);
        var uploadsBefore = Server.UploadFiles();
        var blobsBefore = Server.BlobFiles();

        // alice may pull and push in repoB herself: the token lacks the scope, so 401 insufficient_scope with a challenge for it.
        using (var tags = await V2Async(Server, HttpMethod.Get, $"/v2/{repoB}/tags/list", token))
        {
            await AssertUnauthorizedAsync(tags, "insufficient_scope");
            Assert.Contains($"scope=\"repository:{repoB}:pull\"", Challenge(tags), StringComparison.Ordinal);
        }
        using (var manifest = await V2Async(Server, HttpMethod.Get, $"/v2/{repoB}/manifests/{digestB}", token))
            await AssertUnauthorizedAsync(manifest, "insufficient_scope");
        using (var upload = await V2Async(Server, HttpMethod.Post, $"/v2/{repoB}/blobs/uploads/", token))
        {
            await AssertUnauthorizedAsync(upload, "insufficient_scope");
            Assert.Contains($"scope=\"repository:{repoB}:pull,push\"", Challenge(upload), StringComparison.Ordinal);
        }
        byte[] data = Encoding.UTF8.GetBytes("pushed with a token for another repository " + Guid.NewGuid());
        string digest = RegistryTestClient.Sha256(data);
        using (var mono = await V2Async(Server, HttpMethod.Post, $"/v2/{repoB}/blobs/uploads/?digest={digest}", token, Octets(data)))
            await AssertUnauthorizedAsync(mono, "insufficient_scope");
        using (var put = await V2Async(Server, HttpMethod.Put, $"/v2/{repoB}/manifests/evil", token, ManifestContent(Encoding.UTF8.GetBytes("{}"))))
            await AssertUnauthorizedAsync(put, "insufficient_scope");

        // Names that merely look alike are other repositories too.
        foreach (string lookalike in new[] { repoA + "x", repoA + "/sub", repoA[..^1] })
            using (var r = await V2Async(Server, HttpMethod.Post, $"/v2/{lookalike}/blobs/uploads/", token))
                await AssertUnauthorizedAsync(r, "insufficient_scope");

        // Where alice has no rights at all, the answer is 403 DENIED (a better token would not help).
        string foreign = UniqueName("other/c");
        using (var denied = await V2Async(Server, HttpMethod.Post, $"/v2/{foreign}/blobs/uploads/", token))
            await denied.AssertErrorAsync(HttpStatusCode.Forbidden, "DENIED");

        await Server.AssertNoNewUploadFilesAsync(uploadsBefore);
        Assert.Equal(blobsBefore, Server.BlobFiles());
        Assert.False(File.Exists(Server.BlobFile(digest)));
        Assert.Equal(["v1"], await AdminTagsAsync(repoB));

        // The token does work where it was meant to (so the refusals above are about scope).
        using var own = await V2Async(Server, HttpMethod.Post, $"/v2/{repoA}/blobs/uploads/", token);
        Assert.Equal(HttpStatusCode.Accepted, own.StatusCode);
        using var cancel = await V2Async(Server, HttpMethod.Delete, own.Headers.Location!.OriginalString, token);
        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);

        var denials = await AuditAsync(Server, $"principal=alice&action=access.denied&repository={Uri.EscapeDataString(repoB)}");
        Assert.NotEmpty(denials);
    }

    [Fact]
    public async Task PullToken_CannotPushOrDelete_NothingStored()
    {
        var (repo, digest, blob) = await SeedAsync("team-a/pull-only");
        // carol is maintainer (pull, push, delete) but asks for pull only.
        string token = await UserTokenAsync(Server, "carol", $"repository:{repo}:pull");
        Assert.Equal($$"""[{"type":"repository","name":"{{repo}}","actions":["pull"]}]""", AccessClaim(token));
        var uploadsBefore = Server.UploadFiles();

        using (var get = await V2Async(Server, HttpMethod.Get, $"/v2/{repo}/manifests/v1", token))
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);

        using (var start = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token))
            await AssertUnauthorizedAsync(start, "insufficient_scope");
        byte[] data = Encoding.UTF8.GetBytes("pushed with a pull token " + Guid.NewGuid());
        string dataDigest = RegistryTestClient.Sha256(data);
        using (var mono = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/?digest={dataDigest}", token, Octets(data)))
            await AssertUnauthorizedAsync(mono, "insufficient_scope");
        // Mount from its own repo: still a push.
        using (var mount = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/?mount={blob}&from={repo}", token))
            await AssertUnauthorizedAsync(mount, "insufficient_scope");

        byte[] manifest = Encoding.UTF8.GetBytes(
            $$"""{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{blob}}","size":1},"layers":[]}""");
        using (var put = await V2Async(Server, HttpMethod.Put, $"/v2/{repo}/manifests/evil", token, ManifestContent(manifest)))
            await AssertUnauthorizedAsync(put, "insufficient_scope");
        using (var overwrite = await V2Async(Server, HttpMethod.Put, $"/v2/{repo}/manifests/v1", token, ManifestContent(manifest)))
            await AssertUnauthorizedAsync(overwrite, "insufficient_scope");
        using (var delManifest = await V2Async(Server, HttpMethod.Delete, $"/v2/{repo}/manifests/{digest}", token))
            await AssertUnauthorizedAsync(delManifest, "insufficient_scope");
        using (var delTag = await V2Async(Server, HttpMethod.Delete, $"/v2/{repo}/manifests/v1", token))
            await AssertUnauthorizedAsync(delTag, "insufficient_scope");
        using (var delBlob = await V2Async(Server, HttpMethod.Delete, $"/v2/{repo}/blobs/{blob}", token))
            await AssertUnauthorizedAsync(delBlob, "insufficient_scope");

        await Server.AssertNoNewUploadFilesAsync(uploadsBefore);
        Assert.False(File.Exists(Server.BlobFile(dataDigest)));
        Assert.Equal(["v1"], await AdminTagsAsync(repo));
        await AssertManifestPresentAsync(repo, digest);
        await AssertManifestPresentAsync(repo, "v1");
        Assert.True(File.Exists(Server.BlobFile(blob)));
    }

    [Fact]
    public async Task PushToken_CannotDelete()
    {
        var (repo, digest, blob) = await SeedAsync("team-a/push-only");
        // alice is a developer: even asking for delete, she gets pull and push.
        string token = await UserTokenAsync(Server, "alice", $"repository:{repo}:pull,push,delete");
        Assert.Equal($$"""[{"type":"repository","name":"{{repo}}","actions":["pull","push"]}]""", AccessClaim(token));
        using (var delManifest = await V2Async(Server, HttpMethod.Delete, $"/v2/{repo}/manifests/{digest}", token))
            await delManifest.AssertErrorAsync(HttpStatusCode.Forbidden, "DENIED");
        using (var delBlob = await V2Async(Server, HttpMethod.Delete, $"/v2/{repo}/blobs/{blob}", token))
            await delBlob.AssertErrorAsync(HttpStatusCode.Forbidden, "DENIED");
        await AssertManifestPresentAsync(repo, digest);
        Assert.True(File.Exists(Server.BlobFile(blob)));
    }

    [Fact]
    public async Task AnonymousPublicToken_CannotPush()
    {
        string repo = UniqueName("pub/anon");
        string token = await TokenAsync(Server, null, $"repository:{repo}:pull,push");
        Assert.Equal($$"""[{"type":"repository","name":"{{repo}}","actions":["pull"]}]""", AccessClaim(token));
        var uploadsBefore = Server.UploadFiles();
        using (var start = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token))
            await AssertUnauthorizedAsync(start);
        using (var put = await V2Async(Server, HttpMethod.Put, $"/v2/{repo}/manifests/x", token, ManifestContent(Encoding.UTF8.GetBytes("{}"))))
            await AssertUnauthorizedAsync(put);
        await Server.AssertNoNewUploadFilesAsync(uploadsBefore);
        Assert.Empty(await AdminTagsAsync(repo));
    }

    public static TheoryData<string> MalformedScopes() => new()
    {
        "repository:team-a/../secret:pull,push,delete",
        "repository:../secret:pull",
        "repository:team-a/./app:pull",
        "repository:*:pull,push",
        "repository:team-a/*:pull",
        "repository:team-a/**:pull,push",
        "repository:**:*",
        "repository:team-a/app:extra:pull",
        "repository:team-a/app:pull:push",
        "repository:127.0.0.1:5000/team-a/app:pull",
        "repository:team-a/APP:pull",
        "repository:team-a/app:pull,admin",
        "repository:team-a/app:",
        "repository:team-a/app",
        "repo:team-a/app:pull",
        "registry:catalog:pull",
        "registry:team-a/app:*",
        "superuser:team-a/app:*",
        "repository:team-a%2fapp:pull",
        "repository:/team-a/app:pull",
    };

    [Theory]
    [MemberData(nameof(MalformedScopes))]
    public async Task MalformedScope_GrantsNothing_AndCannotBeUsed(string scope)
    {
        // Asked by the admin, who may do everything: still nothing, because the scope itself is refused.
        string token = await AdminTokenAsync(Server, scope);
        Assert.Equal("[]", AccessClaim(token));
        foreach (string repo in new[] { "team-a/app", "team-a", "secret" })
        {
            using var tags = await V2Async(Server, HttpMethod.Get, $"/v2/{repo}/tags/list", token);
            await AssertUnauthorizedAsync(tags, "insufficient_scope");
            using var upload = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token);
            await AssertUnauthorizedAsync(upload, "insufficient_scope");
        }
        using var catalog = await V2Async(Server, HttpMethod.Get, "/v2/_catalog", token);
        Assert.Equal(HttpStatusCode.Unauthorized, catalog.StatusCode);
    }

    [Fact]
    public async Task MalformedScopes_NextToAValidOne_OnlyTheValidOneCounts()
    {
        string token = await UserTokenAsync(Server, "alice", "repository:team-a/*:pull,push", "repository:team-a/ok:pull", "repository:team-a/ok:b:push");
        Assert.Equal("""[{"type":"repository","name":"team-a/ok","actions":["pull"]}]""", AccessClaim(token));
    }

    [Fact]
    public async Task RegistryToken_IsNotAManagementCredential()
    {
        string token = await AdminTokenAsync(Server, "repository:team-a/app:*", "registry:catalog:*");
        using var users = await SendAsync(Server, HttpMethod.Get, "/api/v1/users", Bearer(token));
        Assert.Equal(HttpStatusCode.Unauthorized, users.StatusCode);
        using var rotate = await SendAsync(Server, HttpMethod.Post, "/api/v1/token-keys/rotate", Bearer(token));
        Assert.Equal(HttpStatusCode.Unauthorized, rotate.StatusCode);
    }
}
