using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.IntegrationTests.Interop;

namespace Bollard.IntegrationTests.Lifecycle;

/// <summary>Storage usage through the management API (issue 7): total and unique bytes per repository and namespace, and who may manage quotas.</summary>
public sealed class UsageApiTests(AccessServerFixture fixture) : IClassFixture<AccessServerFixture>
{
    private AccessServer Access => fixture.Access;

    private static async Task<(long ManifestSize, long Config)> PushAsync(HttpClient c, string repo, string tag, params (string Digest, int Size)[] layers)
    {
        var config = Encoding.UTF8.GetBytes($"{{\"architecture\":\"amd64\",\"os\":\"linux\",\"n\":\"{Guid.NewGuid()}\"}}");
        string configDigest = await c.PushBlobAsync(repo, config);
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = OciLayout.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = new JsonArray(layers.Select(l => (JsonNode)new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar", ["digest"] = l.Digest, ["size"] = l.Size }).ToArray()),
        }.ToJsonString());
        using var put = await c.PutManifestAsync(repo, tag, manifest, OciLayout.OciManifest);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        return (manifest.Length, config.Length);
    }

    private static async Task<(long Total, long Unique)> RepositoryUsageAsync(HttpClient api, string repo)
    {
        var body = await AccessServer.ExpectAsync(await api.GetAsync($"/api/v1/repositories/{repo}"), HttpStatusCode.OK, $"usage of {repo}");
        return (body["usage"]!["totalBytes"]!.GetValue<long>(), body["usage"]!["uniqueBytes"]!.GetValue<long>());
    }

    [Fact]
    public async Task Usage_SharedLayerCountsInTotalNotUnique_NamespaceCountsItOnce_DeleteMakesItUniqueToTheOther()
    {
        string ns = AccessServer.Unique("usage");
        string a = $"{ns}/a", b = $"{ns}/b";
        var registry = Access.Registry(Access.Admin);
        var shared = RegistryTestClient.RandomBytes(3000);
        var own = RegistryTestClient.RandomBytes(1000);
        string sharedDigest = await registry.PushBlobAsync(a, shared);
        string ownDigest = await registry.PushBlobAsync(a, own);
        var (ma, ca) = await PushAsync(registry, a, "v1", (sharedDigest, shared.Length), (ownDigest, own.Length));
        using (var mount = await registry.PostAsync($"/v2/{b}/blobs/uploads/?mount={sharedDigest}&from={a}", null))
            Assert.Equal(HttpStatusCode.Created, mount.StatusCode);
        var (mb, cb) = await PushAsync(registry, b, "v1", (sharedDigest, shared.Length));

        var api = Access.AdminApi;
        Assert.Equal((ca + shared.Length + own.Length + ma, ca + own.Length + ma), await RepositoryUsageAsync(api, a));
        Assert.Equal((cb + shared.Length + mb, cb + mb), await RepositoryUsageAsync(api, b));
        var overview = await AccessServer.ExpectAsync(await api.GetAsync("/api/v1/usage"), HttpStatusCode.OK, "usage");
        var nsUsage = overview["namespaces"]!.AsArray().Single(n => n!["namespace"]!.GetValue<string>() == ns)!;
        long nsTotal = ca + cb + shared.Length + own.Length + ma + mb;
        Assert.Equal(nsTotal, nsUsage["totalBytes"]!.GetValue<long>());
        Assert.Equal(nsTotal, nsUsage["uniqueBytes"]!.GetValue<long>());
        Assert.Equal(2, nsUsage["manifests"]!.GetValue<long>());
        Assert.Equal(4, nsUsage["blobs"]!.GetValue<long>());
        Assert.True(overview["registry"]!["totalBytes"]!.GetValue<long>() >= nsTotal);

        // A developer on the namespace sees its repositories' usage and the namespace, not the registry total.
        var dev = await Access.CreateUserWithRoleAsync(AccessServer.Unique("dev"), "developer", $"{ns}/**");
        var devApi = Access.Api(dev);
        Assert.Equal((cb + shared.Length + mb, cb + mb), await RepositoryUsageAsync(devApi, b));
        var devOverview = await AccessServer.ExpectAsync(await devApi.GetAsync("/api/v1/usage"), HttpStatusCode.OK, "usage as developer");
        Assert.Null(devOverview["registry"]);
        Assert.Equal([ns], devOverview["namespaces"]!.AsArray().Select(n => n!["namespace"]!.GetValue<string>()));
        var stranger = await Access.CreateUserWithRoleAsync(AccessServer.Unique("str"), null, "**");
        using (var hidden = await Access.Api(stranger).GetAsync($"/api/v1/repositories/{b}")) Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);

        // Once a is deleted, the shared layer is b's alone.
        await AccessServer.ExpectAsync(await api.DeleteAsync($"/api/v1/repositories/{a}"), HttpStatusCode.OK, "delete a");
        Assert.Equal((cb + shared.Length + mb, cb + shared.Length + mb), await RepositoryUsageAsync(api, b));
        using (var gone = await api.GetAsync($"/api/v1/repositories/{a}")) Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Quotas_DeveloperAndMaintainerRefused_AdminSetsChangesRemoves_Audited()
    {
        string ns = AccessServer.Unique("quota");
        var dev = await Access.CreateUserWithRoleAsync(AccessServer.Unique("dev"), "developer", $"{ns}/**");
        var maintainer = await Access.CreateUserWithRoleAsync(AccessServer.Unique("mnt"), "maintainer", $"{ns}/**");
        foreach (var who in new[] { dev, maintainer })
        {
            using var set = await Access.Api(who).PutAsJsonAsync($"/api/v1/quotas/{ns}/**", new { limit = "1GiB" });
            Assert.Equal(HttpStatusCode.Forbidden, set.StatusCode);
            using var list = await Access.Api(who).GetAsync("/api/v1/quotas");
            Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        }
        using (var anonymous = await Access.Api(null).PutAsJsonAsync($"/api/v1/quotas/{ns}/**", new { limit = "1GiB" }))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        var created = await AccessServer.ExpectAsync(await Access.AdminApi.PutAsJsonAsync($"/api/v1/quotas/{ns}/**", new { limit = "10GiB" }), HttpStatusCode.Created, "set");
        Assert.Equal(10L << 30, created["limitBytes"]!.GetValue<long>());
        var changed = await AccessServer.ExpectAsync(await Access.AdminApi.PutAsJsonAsync($"/api/v1/quotas/{ns}/**", new { limit = "500MB" }), HttpStatusCode.OK, "change");
        Assert.Equal(500_000_000, changed["limitBytes"]!.GetValue<long>());
        using (var bad = await Access.AdminApi.PutAsJsonAsync($"/api/v1/quotas/{ns}/**", new { limit = "lots" })) Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        using (var badPattern = await Access.AdminApi.PutAsJsonAsync("/api/v1/quotas/Team/**", new { limit = "1GiB" })) Assert.Equal(HttpStatusCode.BadRequest, badPattern.StatusCode);
        var listed = await AccessServer.ExpectAsync(await Access.AdminApi.GetAsync("/api/v1/quotas"), HttpStatusCode.OK, "list");
        Assert.Contains(listed.AsArray(), q => q!["namespace"]!.GetValue<string>() == $"{ns}/**");

        // The repository view shows the quota to anyone who may pull there.
        await AccessServer.PushImageAsync(Access.Registry(dev), $"{ns}/app", "v1");
        var view = await AccessServer.ExpectAsync(await Access.Api(dev).GetAsync($"/api/v1/repositories/{ns}/app"), HttpStatusCode.OK, "repository view");
        Assert.Equal($"{ns}/**", view["quotas"]![0]!["namespace"]!.GetValue<string>());

        using (var remove = await Access.Api(maintainer).DeleteAsync($"/api/v1/quotas/{ns}/**")) Assert.Equal(HttpStatusCode.Forbidden, remove.StatusCode);
        using (var remove = await Access.AdminApi.DeleteAsync($"/api/v1/quotas/{ns}/**")) Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        using (var again = await Access.AdminApi.DeleteAsync($"/api/v1/quotas/{ns}/**")) Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        await Access.AssertAuditedAsync("admin", "quota.set", "success", where: e => e.Reference == $"{ns}/**");
        await Access.AssertAuditedAsync("admin", "quota.remove", "success", where: e => e.Reference == $"{ns}/**");
    }
}
