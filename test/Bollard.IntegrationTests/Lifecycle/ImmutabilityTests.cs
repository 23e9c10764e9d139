using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bollard.IntegrationTests.Interop;

namespace Bollard.IntegrationTests.Lifecycle;

/// <summary>
/// Tag immutability over the real server with access control on: every path that moves or deletes a protected tag
/// is refused with the rule named, for a developer, a maintainer and an admin, until the rule is removed; real
/// skopeo sees the rule's message.
/// </summary>
public sealed class ImmutabilityTests
{
    private const string OciManifest = "application/vnd.oci.image.manifest.v1+json";

    private static async Task<AccessCreds> PrincipalAsync(AccessServer access, string role) => role == "admin"
        ? await access.CreateUserAsync(AccessServer.Unique("boss"), admin: true)
        : await access.CreateUserWithRoleAsync(AccessServer.Unique(role), role, "prod/**");

    private static async Task<long> AddRuleAsync(HttpClient api, string ns, string tag)
    {
        using var response = await api.PostAsJsonAsync("/api/v1/immutability", new { @namespace = ns, tag });
        var body = await AccessServer.ExpectAsync(response, HttpStatusCode.Created, $"rule {ns} {tag}");
        Assert.Equal(ns, body["namespace"]!.GetValue<string>());
        return body["id"]!.GetValue<long>();
    }

    private static async Task<(HttpStatusCode Status, string? Code, string Message)> RegistryErrorAsync(HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0) return (response.StatusCode, null, "");
        var error = JsonNode.Parse(text)!["errors"]![0]!;
        return (response.StatusCode, error["code"]!.GetValue<string>(), error["message"]!.GetValue<string>());
    }

    private static async Task<string?> TagTargetAsync(HttpClient registry, string repo, string tag)
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, $"/v2/{repo}/manifests/{tag}");
        request.Headers.Accept.ParseAdd(OciManifest);
        using var response = await registry.SendAsync(request);
        return response.StatusCode == HttpStatusCode.OK ? response.Headers.GetValues("Docker-Content-Digest").Single() : null;
    }

    [Theory]
    [InlineData("developer")]
    [InlineData("maintainer")]
    [InlineData("admin")]
    public async Task ProtectedTag_EveryPathRefusedWithTheRule_ForEveryRole_UntilTheRuleIsRemoved(string role)
    {
        await using var access = await AccessServer.StartAsync();
        var principal = await PrincipalAsync(access, role);
        var registry = access.Registry(principal);
        const string repo = "prod/api";
        long id = await AddRuleAsync(access.AdminApi, "prod/**", "v*");
        string refusal = $"tag v1.2 in prod/api is immutable (rule {id}: prod/** v*)";

        // Creating a protected tag works, and so does putting the same manifest to it again (nothing moves).
        var first = await AccessServer.PushImageAsync(registry, repo, "v1.2");
        using (var again = await registry.PutManifestAsync(repo, "v1.2", first.Manifest, OciManifest))
            Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        // Another image under an unprotected tag; moving an unprotected tag works.
        var second = await AccessServer.PushImageAsync(registry, repo, "latest");
        await AccessServer.PushImageAsync(registry, repo, "latest");
        // The rule's namespace is prod/**: the same tag elsewhere is not protected.
        var elsewhere = await access.CreateUserWithRoleAsync(AccessServer.Unique("dev"), "developer", "dev/**");
        await AccessServer.PushImageAsync(access.Registry(elsewhere), "dev/api", "v1.2");
        await AccessServer.PushImageAsync(access.Registry(elsewhere), "dev/api", "v1.2");

        // 1. PUT by tag moving the protected tag.
        using (var move = await registry.PutManifestAsync(repo, "v1.2", second.Manifest, OciManifest))
        {
            var (status, code, message) = await RegistryErrorAsync(move);
            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.Equal("DENIED", code);
            Assert.StartsWith(refusal, message, StringComparison.Ordinal);
        }
        Assert.Equal(first.Digest, await TagTargetAsync(registry, repo, "v1.2"));

        // 2. DELETE by tag, 3. DELETE by digest of the manifest the tag points at. A developer may not delete at all
        // (access control refuses first); a maintainer and an admin may, and the rule refuses them.
        foreach (string reference in new[] { "v1.2", first.Digest })
        {
            using var delete = await registry.DeleteAsync($"/v2/{repo}/manifests/{reference}");
            var (status, code, message) = await RegistryErrorAsync(delete);
            if (role == "developer")
                Assert.True(status is HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized, $"developer delete {reference}: {(int)status} {message}");
            else
            {
                Assert.Equal(HttpStatusCode.Forbidden, status);
                Assert.Equal("DENIED", code);
                Assert.StartsWith(refusal, message, StringComparison.Ordinal);
            }
        }
        Assert.Equal(first.Digest, await TagTargetAsync(registry, repo, "v1.2"));
        // The manifest under the unprotected tag can still be deleted by digest (a maintainer, an admin).
        if (role != "developer")
        {
            using var other = await registry.DeleteAsync($"/v2/{repo}/manifests/{second.Digest}");
            Assert.Equal(HttpStatusCode.Accepted, other.StatusCode);
        }

        // 4. Repository delete (management API): a developer may not delete repositories; for a maintainer and an
        // admin the rule refuses it (409 with the rule's message) and nothing goes.
        using (var repoDelete = await access.Api(principal).DeleteAsync($"/api/v1/repositories/{repo}"))
        {
            string text = await repoDelete.Content.ReadAsStringAsync();
            if (role == "developer") Assert.Equal(HttpStatusCode.Forbidden, repoDelete.StatusCode);
            else
            {
                Assert.True(repoDelete.StatusCode == HttpStatusCode.Conflict, $"repository delete: {(int)repoDelete.StatusCode} {text}");
                Assert.Contains(refusal, JsonNode.Parse(text)!["error"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
            }
        }
        Assert.Equal(first.Digest, await TagTargetAsync(registry, repo, "v1.2"));

        // Only an admin lifts a rule.
        if (role != "admin")
        {
            using var refused = await access.Api(principal).DeleteAsync($"/api/v1/immutability/{id}");
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }
        using (var removed = await access.AdminApi.DeleteAsync($"/api/v1/immutability/{id}"))
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);

        // Without the rule the tag moves, and a maintainer or admin deletes it.
        var third = await AccessServer.PushImageAsync(registry, repo, "v1.2");
        Assert.Equal(third.Digest, await TagTargetAsync(registry, repo, "v1.2"));
        if (role != "developer")
        {
            using var delete = await registry.DeleteAsync($"/v2/{repo}/manifests/v1.2");
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
            Assert.Null(await TagTargetAsync(registry, repo, "v1.2"));
            await AccessServer.PushImageAsync(registry, repo, "v2");
            using var repoDelete = await access.Api(principal).DeleteAsync($"/api/v1/repositories/{repo}");
            Assert.Equal(HttpStatusCode.OK, repoDelete.StatusCode);
        }

        await access.AssertAuditedAsync("admin", "immutability.add", "success", where: e => e.Reference == $"rule {id}" && e.Detail == "prod/** v*");
        await access.AssertAuditedAsync("admin", "immutability.remove", "success", where: e => e.Reference == $"rule {id}");
    }

    [Fact]
    public async Task Rules_AdminsOnly_BadPatternsRefused_DuplicatesConflict_ListShowsThem()
    {
        await using var access = await AccessServer.StartAsync();
        var maintainer = await access.CreateUserWithRoleAsync(AccessServer.Unique("m"), "maintainer", "**");
        using (var refused = await access.Api(maintainer).PostAsJsonAsync("/api/v1/immutability", new { @namespace = "**", tag = "release-*" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            Assert.Equal("FORBIDDEN", await AccessServer.ApiErrorCodeAsync(refused));
        }
        using (var list = await access.Api(maintainer).GetAsync("/api/v1/immutability"))
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);

        foreach (var (ns, tag) in new[] { ("Prod/**", "v*"), ("prod/**", "v/1"), ("prod/**", ""), ("", "v*") })
        {
            using var bad = await access.AdminApi.PostAsJsonAsync("/api/v1/immutability", new { @namespace = ns, tag });
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        long id = await AddRuleAsync(access.AdminApi, "**", "release-*");
        using (var duplicate = await access.AdminApi.PostAsJsonAsync("/api/v1/immutability", new { @namespace = "**", tag = "release-*" }))
            Assert.Equal(HttpStatusCode.Conflict, duplicate.StatusCode);
        using (var missing = await access.AdminApi.DeleteAsync("/api/v1/immutability/999999"))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var rules = await access.AdminApi.GetFromJsonAsync<JsonArray>("/api/v1/immutability");
        var rule = Assert.Single(rules!);
        Assert.Equal(id, rule!["id"]!.GetValue<long>());
        Assert.Equal("release-*", rule["tag"]!.GetValue<string>());
        Assert.Equal("admin", rule["createdBy"]!.GetValue<string>());

        // "**" covers every repository, top level included.
        var admin = access.Registry(access.Admin);
        await AccessServer.PushImageAsync(admin, "tool", "release-1");
        using var move = await admin.PutManifestAsync("tool", "release-1", (await AccessServer.PushImageAsync(admin, "tool", "next")).Manifest, OciManifest);
        Assert.Equal(HttpStatusCode.Forbidden, move.StatusCode);
        Assert.Contains($"tag release-1 in tool is immutable (rule {id}: ** release-*)", (await RegistryErrorAsync(move)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Skopeo_CopyOverAndDeleteOfAProtectedTag_RefusedWithTheRulesMessage_AllowedOnceRemoved()
    {
        ExternalTool.Require("skopeo");
        ExternalTool.Require("umoci");
        string work = TempDir.Create("bollard-immutable-");
        try
        {
            await using var access = await AccessServer.StartAsync();
            var layout = await OciLayout.InitAsync(Path.Combine(work, "images"));
            await layout.NewImageAsync("one", "amd64", ("/etc/one.txt", 0));
            await layout.NewImageAsync("two", "amd64", ("/etc/two.txt", 0));
            long id = await AddRuleAsync(access.AdminApi, "prod/**", "v*");
            string remote = $"docker://{access.Server.HostPort}/prod/web:v1";
            string creds = $"admin:{AccessServer.AdminPassword}";
            var env = new Dictionary<string, string> { ["XDG_DATA_HOME"] = Path.Combine(work, "xdg-data") };
            Task<ToolResult> Skopeo(params string[] args) => ExternalTool.RunAsync("skopeo", ["--insecure-policy", .. args], environment: env);
            string[] copyTwo = ["copy", "--dest-tls-verify=false", "--dest-creds", creds, $"oci:{layout.Root}:two", remote];
            string[] delete = ["delete", "--tls-verify=false", "--creds", creds, remote];
            string expected = $"tag v1 in prod/web is immutable (rule {id}: prod/** v*)";

            var created = await Skopeo("copy", "--dest-tls-verify=false", "--dest-creds", creds, $"oci:{layout.Root}:one", remote);
            Assert.True(created.ExitCode == 0, created.Describe());

            var over = await Skopeo(copyTwo);
            Assert.True(over.ExitCode != 0, over.Describe());
            Assert.Contains(expected, over.Stderr, StringComparison.Ordinal);

            var deleted = await Skopeo(delete);
            Assert.True(deleted.ExitCode != 0, deleted.Describe());
            Assert.Contains(expected, deleted.Stderr, StringComparison.Ordinal);

            using (var removed = await access.AdminApi.DeleteAsync($"/api/v1/immutability/{id}"))
                Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
            var overAgain = await Skopeo(copyTwo);
            Assert.True(overAgain.ExitCode == 0, overAgain.Describe());
            Assert.Equal(layout.Resolve("two").Digest, await TagTargetAsync(access.Registry(access.Admin), "prod/web", "v1"));
            var deletedAgain = await Skopeo(delete);
            Assert.True(deletedAgain.ExitCode == 0, deletedAgain.Describe());
            Assert.Null(await TagTargetAsync(access.Registry(access.Admin), "prod/web", "v1"));
        }
        finally
        {
            TempDir.Delete(work);
        }
    }
}
