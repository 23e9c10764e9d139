using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Auth.Access;

/// <summary>
/// Every role against every <c>/v2/</c> endpoint, through the Docker token dance as a real client does it:
/// allowed requests succeed, the others get 401 (anonymous) or 403 (known principal without the right), are
/// audited as <c>access.denied</c>, and leave nothing behind (no blob, no link, no tag, no upload progress).
/// </summary>
public sealed class RoleMatrixTests(AccessServerFixture fixture) : IClassFixture<AccessServerFixture>
{
    private const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    private readonly AccessServer _access = fixture.Access;
    private BollardServer Server => _access.Server;

    public enum Who { Anonymous, NoRole, Reader, Developer, Maintainer, NamespaceAdmin, RegistryAdmin }

    private enum Need { Login, Pull, Push, Delete }

    public static TheoryData<Who> Everyone => new(Enum.GetValues<Who>());

    private static bool Has(Who who, Need need) => (who, need) switch
    {
        (Who.Anonymous, Need.Login) => true, // an anonymous token opens /v2/ (public pulls start there)
        (Who.Anonymous, _) => false,
        (_, Need.Login) => true,
        (Who.NoRole, _) => false,
        (Who.Reader, Need.Pull) => true,
        (Who.Reader, _) => false,
        (Who.Developer, Need.Delete) => false,
        _ => true,
    };

    private sealed record Row(string Endpoint, Need Need, int Expected, int Actual, string Detail);

    [Theory]
    [MemberData(nameof(Everyone))]
    public async Task EveryEndpoint_IsAllowedOrRefusedAsTheRoleSays_AndRefusedWritesLeaveNothing(Who who)
    {
        string ns = AccessServer.Unique("matrix");
        string repo = $"{ns}/app";
        string mountTarget = $"{ns}/mounted";
        string user = AccessServer.Unique("m-" + who.ToString().ToLowerInvariant() + "-");
        AccessCreds? creds = who switch
        {
            Who.Anonymous => null,
            Who.NoRole => await _access.CreateUserWithRoleAsync(user, "admin", AccessServer.Unique("elsewhere") + "/**"),
            Who.Reader => await _access.CreateUserWithRoleAsync(user, "reader", $"{ns}/**"),
            Who.Developer => await _access.CreateUserWithRoleAsync(user, "developer", $"{ns}/**"),
            Who.Maintainer => await _access.CreateUserWithRoleAsync(user, "maintainer", $"{ns}/**"),
            Who.NamespaceAdmin => await _access.CreateUserWithRoleAsync(user, "admin", $"{ns}/**"),
            Who.RegistryAdmin => await _access.CreateUserAsync(user, admin: true),
            _ => throw new ArgumentOutOfRangeException(nameof(who)),
        };
        var admin = _access.Registry(_access.Admin);
        var client = _access.Registry(creds);

        // The registry admin sets the stage: an image, a referrer of it, and an upload session of its own.
        var image = await AccessServer.PushImageAsync(admin, repo, "v1");
        await admin.PushImageAsync(repo, "sig", layers: 1, layerSize: 64, subject: image.Digest, artifactType: "application/vnd.test.sig");
        string adminUpload = await admin.StartUploadAsync(repo);
        var blobsBefore = Server.BlobFiles();
        var rows = new List<Row>();

        async Task Step(string endpoint, Need need, int allowed, Func<Task<HttpResponseMessage>> send, Func<HttpResponseMessage, Task<string?>>? onAllowed = null,
            Func<Task<string?>>? noSideEffect = null)
        {
            bool ok = Has(who, need);
            int expected = ok ? allowed : who == Who.Anonymous ? 401 : 403;
            using var response = await send();
            string detail = "";
            if ((int)response.StatusCode == expected && ok && onAllowed is not null) detail = await onAllowed(response) ?? "";
            if (!ok)
            {
                if (expected == 401 && AccessTokenDanceHandler.ParseBearer(response) is null) detail += " no Bearer challenge;";
                string? code = response.RequestMessage?.Method == HttpMethod.Head ? null : await response.ErrorCodeAsync();
                if (response.RequestMessage?.Method != HttpMethod.Head && code != (expected == 401 ? "UNAUTHORIZED" : "DENIED")) detail += $" error code {code};";
                if (noSideEffect is not null) detail += await noSideEffect() ?? "";
            }
            rows.Add(new Row(endpoint, need, expected, (int)response.StatusCode, detail.Trim()));
        }

        static HttpContent Bytes(byte[] data) => new ByteArrayContent(data) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } };

        async Task<string?> AdminSees(string path, HttpStatusCode status, string what)
        {
            using var r = await admin.GetAsync(path);
            return r.StatusCode == status ? null : $" side effect: {what} (admin GET {path} -> {(int)r.StatusCode});";
        }

        async Task<string?> AdminUploadUntouched()
        {
            using var r = await admin.GetAsync(adminUpload);
            return r.StatusCode == HttpStatusCode.NoContent && r.UploadRange() == "0-0" ? null : $" side effect: admin's upload is now {(int)r.StatusCode} range {r.UploadRange()};";
        }

        // ---- reads ----
        await Step("GET /v2/", Need.Login, 200, () => client.GetAsync("/v2/"));
        await Step("GET /v2/_catalog", Need.Login, 200, () => client.GetAsync("/v2/_catalog?n=1000"), async r =>
        {
            var names = JsonNode.Parse(await r.Content.ReadAsStringAsync())!["repositories"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
            bool listed = names.Contains(repo);
            return listed == Has(who, Need.Pull) ? null : $"catalog {(listed ? "lists" : "omits")} {repo}";
        });
        await Step("GET blob", Need.Pull, 200, () => client.GetAsync($"/v2/{repo}/blobs/{image.Layer}"));
        await Step("HEAD blob", Need.Pull, 200, () => client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repo}/blobs/{image.Layer}")));
        await Step("GET manifest", Need.Pull, 200, () => client.GetAsync($"/v2/{repo}/manifests/v1"), async r =>
            (await r.Content.ReadAsByteArrayAsync()).SequenceEqual(image.Manifest) ? null : "manifest bytes differ");
        await Step("HEAD manifest", Need.Pull, 200, () => client.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repo}/manifests/{image.Digest}")));
        await Step("GET tags/list", Need.Pull, 200, () => client.GetAsync($"/v2/{repo}/tags/list"));
        await Step("GET referrers", Need.Pull, 200, () => client.GetAsync($"/v2/{repo}/referrers/{image.Digest}"), async r =>
            JsonNode.Parse(await r.Content.ReadAsStringAsync())!["manifests"]!.AsArray().Count == 1 ? null : "referrer not listed");

        // ---- uploads: a principal that may push works on its own session, the others try the admin's ----
        string location = adminUpload;
        var uploadsBefore = Server.UploadFiles();
        await Step("POST upload", Need.Push, 202, () => client.PostAsync($"/v2/{repo}/blobs/uploads/", null), r =>
        {
            location = r.Headers.Location!.OriginalString;
            return Task.FromResult<string?>(null);
        }, async () => await AccessServerChecks.NoNewUploadsAsync(Server, uploadsBefore));
        var chunk = Encoding.UTF8.GetBytes("chunk of " + user);
        string chunkDigest = RegistryTestClient.Sha256(chunk);
        await Step("PATCH upload", Need.Push, 202, () => client.SendAsync(new HttpRequestMessage(HttpMethod.Patch, location) { Content = Bytes(chunk) }),
            noSideEffect: AdminUploadUntouched);
        await Step("GET upload", Need.Push, 204, () => client.GetAsync(location), noSideEffect: AdminUploadUntouched);
        await Step("PUT upload", Need.Push, 201,
            () => client.PutAsync($"{location}?digest={(Has(who, Need.Push) ? chunkDigest : RegistryTestClient.Sha256([1, 2, 3]))}",
                Bytes(Has(who, Need.Push) ? [] : [1, 2, 3])),
            noSideEffect: async () => await AdminSees($"/v2/{repo}/blobs/{RegistryTestClient.Sha256([1, 2, 3])}", HttpStatusCode.NotFound, "blob stored") + await AdminUploadUntouched());
        string toCancel = Has(who, Need.Push) ? await client.StartUploadAsync(repo) : adminUpload;
        await Step("DELETE upload", Need.Push, 204, () => client.DeleteAsync(toCancel), noSideEffect: AdminUploadUntouched);
        await Step("POST mount", Need.Push, 201, () => client.PostAsync($"/v2/{mountTarget}/blobs/uploads/?mount={image.Layer}&from={repo}", null),
            noSideEffect: () => AdminSees($"/v2/{mountTarget}/blobs/{image.Layer}", HttpStatusCode.NotFound, "blob mounted"));

        // ---- manifest writes and deletes ----
        await Step("PUT manifest", Need.Push, 201, () => client.PutManifestAsync(repo, "v2", image.Manifest, OciManifest),
            noSideEffect: () => AdminSees($"/v2/{repo}/manifests/v2", HttpStatusCode.NotFound, "tag v2 created"));
        // The manifest before its layer: a blob that a manifest references may not be deleted (issue 6 B13).
        await Step("DELETE manifest", Need.Delete, 202, () => client.DeleteAsync($"/v2/{repo}/manifests/{image.Digest}"),
            noSideEffect: () => AdminSees($"/v2/{repo}/manifests/{image.Digest}", HttpStatusCode.OK, "manifest deleted"));
        await Step("DELETE blob", Need.Delete, 202, () => client.DeleteAsync($"/v2/{repo}/blobs/{image.Layer}"),
            noSideEffect: () => AdminSees($"/v2/{repo}/blobs/{image.Layer}", HttpStatusCode.OK, "blob unlinked"));

        var wrong = rows.Where(r => r.Expected != r.Actual || r.Detail.Length > 0).ToList();
        Assert.True(wrong.Count == 0, $"{who}:\n" + string.Join('\n', rows.Select(r =>
            $"  {(r.Expected != r.Actual || r.Detail.Length > 0 ? "FAIL" : "ok  ")} {r.Endpoint,-18} needs {r.Need,-6} expected {r.Expected} got {r.Actual} {r.Detail}")));

        if (!Has(who, Need.Push)) Assert.Equal(blobsBefore, Server.BlobFiles());

        // The admin's upload survives everything the others tried and can still be finished by the admin.
        var data = Encoding.UTF8.GetBytes("admin data");
        using (var patch = await admin.PatchAsync(adminUpload, data)) Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        using (var put = await admin.CloseUploadAsync(adminUpload, RegistryTestClient.Sha256(data))) Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        // The audit log has the refusals and the writes, under the principal's name.
        if (who == Who.Anonymous)
        {
            var denied = await _access.AuditAsync(action: "access.denied", outcome: "denied", repository: repo);
            Assert.Contains(denied, e => e.Principal == "");
            Assert.DoesNotContain(await _access.AuditAsync(action: "push", repository: repo), e => e.Principal == "");
        }
        else if (!Has(who, Need.Push))
        {
            await _access.AssertAuditedAsync(user, "access.denied", "denied", repo);
            Assert.Empty(await _access.AuditAsync(principal: user, action: "push"));
        }
        else
        {
            await _access.AssertAuditedAsync(user, "push", "success", repo, e => e.Reference == $"v2@{image.Digest}");
            if (Has(who, Need.Delete)) await _access.AssertAuditedAsync(user, "delete", "success", repo, e => e.Reference == image.Digest);
            else await _access.AssertAuditedAsync(user, "access.denied", "denied", repo, e => e.Detail == "delete");
        }
    }

    [Fact]
    public async Task Anonymous_WithoutAToken_GetsTheBearerChallengeEverywhere()
    {
        string repo = AccessServer.Unique("matrix") + "/app";
        var image = await AccessServer.PushImageAsync(_access.Registry(_access.Admin), repo, "v1");
        var raw = _access.Raw();
        foreach (var (method, path, scope) in new (HttpMethod, string, string?)[]
        {
            (HttpMethod.Get, "/v2/", null),
            (HttpMethod.Get, "/v2/_catalog", "registry:catalog:*"),
            (HttpMethod.Get, $"/v2/{repo}/manifests/v1", $"repository:{repo}:pull"),
            (HttpMethod.Get, $"/v2/{repo}/blobs/{image.Layer}", $"repository:{repo}:pull"),
            (HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", $"repository:{repo}:pull,push"),
            (HttpMethod.Delete, $"/v2/{repo}/manifests/{image.Digest}", $"repository:{repo}:delete"),
        })
        {
            using var response = await raw.SendAsync(new HttpRequestMessage(method, path));
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            var challenge = AccessTokenDanceHandler.ParseBearer(response);
            Assert.NotNull(challenge);
            Assert.Equal($"http://{Server.HostPort}/auth/token", challenge["realm"]);
            Assert.Equal("bollard", challenge["service"]);
            Assert.Equal(scope, challenge.GetValueOrDefault("scope"));
        }
    }
}

/// <summary>Small checks shared by the access-control tests.</summary>
internal static class AccessServerChecks
{
    public static async Task<string?> NoNewUploadsAsync(BollardServer server, HashSet<string> before)
    {
        bool clean = await AttackSupport.EventuallyAsync(() => server.UploadFiles().IsSubsetOf(before), 500);
        return clean ? null : " side effect: new upload files " + string.Join(", ", server.UploadFiles().Except(before));
    }
}
