using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Protocol;

/// <summary>
/// Issue 6 B13 (a delete that would break an image is refused) and B7 (a cap on references per manifest, and a
/// missing-references push answered without taking the writer from everyone else).
/// </summary>
public sealed class ReferenceRulesTests(SharedServerFixture fixture) : IClassFixture<SharedServerFixture>
{
    private const string OciIndex = "application/vnd.oci.image.index.v1+json";
    private const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    private HttpClient Client => fixture.Server.Client;

    [Fact]
    public async Task DeleteBlob_ReferencedByAManifest_IsDenied_NamingIt_ThenAllowedOnceTheManifestIsGone()
    {
        string repo = AttackSupport.UniqueRepo("b13/blob");
        var (manifest, digest) = await Client.PushImageAsync(repo, "v1", layers: 1);
        string layer = JsonNode.Parse(manifest)!["layers"]![0]!["digest"]!.GetValue<string>();

        using (var refused = await Client.DeleteAsync($"/v2/{repo}/blobs/{layer}"))
        {
            await refused.AssertErrorAsync(HttpStatusCode.Forbidden, "DENIED");
            Assert.Contains(digest, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var stillThere = await Client.GetAsync($"/v2/{repo}/blobs/{layer}"))
            Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);

        using (var del = await Client.DeleteAsync($"/v2/{repo}/manifests/{digest}"))
            Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
        using (var allowed = await Client.DeleteAsync($"/v2/{repo}/blobs/{layer}"))
            Assert.Equal(HttpStatusCode.Accepted, allowed.StatusCode);
    }

    [Fact]
    public async Task DeleteChildManifest_ReferencedByAnIndex_IsDenied_NamingIt_ThenAllowedOnceTheIndexIsGone()
    {
        string repo = AttackSupport.UniqueRepo("b13/index");
        var (child, childDigest) = await Client.PushImageAsync(repo, "amd64", layers: 1);
        var index = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciIndex,
            ["manifests"] = new JsonArray(new JsonObject { ["mediaType"] = OciManifest, ["digest"] = childDigest, ["size"] = child.Length }),
        }.ToJsonString());
        using (var put = await Client.PutManifestAsync(repo, "multi", index, OciIndex))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        string indexDigest = RegistryTestClient.Sha256(index);

        using (var refused = await Client.DeleteAsync($"/v2/{repo}/manifests/{childDigest}"))
        {
            await refused.AssertErrorAsync(HttpStatusCode.Forbidden, "DENIED");
            Assert.Contains(indexDigest, await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var stillThere = await Client.GetAsync($"/v2/{repo}/manifests/amd64"))
            Assert.Equal(HttpStatusCode.OK, stillThere.StatusCode);
        // Deleting only the child's tag is fine: the index still holds the child by digest.
        using (var untag = await Client.DeleteAsync($"/v2/{repo}/manifests/amd64"))
            Assert.Equal(HttpStatusCode.Accepted, untag.StatusCode);

        using (var del = await Client.DeleteAsync($"/v2/{repo}/manifests/{indexDigest}"))
            Assert.Equal(HttpStatusCode.Accepted, del.StatusCode);
        using (var allowed = await Client.DeleteAsync($"/v2/{repo}/manifests/{childDigest}"))
            Assert.Equal(HttpStatusCode.Accepted, allowed.StatusCode);
    }

    [Fact]
    public async Task PushManifest_OverTheReferenceCap_IsManifestInvalid_WithTheLimit()
    {
        await using var server = await BollardServer.StartAsync(new Dictionary<string, string?> { ["Registry:MaxManifestReferences"] = "3" });
        string repo = AttackSupport.UniqueRepo("b7/cap");
        // A config and three layers (missing ones): refused for the count before anything is looked up.
        var body = ImageReferencing(Enumerable.Range(0, 4).Select(i => RegistryTestClient.Sha256([(byte)i])).ToList());
        using (var refused = await server.Client.PutManifestAsync(repo, "v1", body, OciManifest))
        {
            await refused.AssertErrorAsync(HttpStatusCode.BadRequest, "MANIFEST_INVALID");
            Assert.Contains("at most 3", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        // At the cap (a config and two layers) it is an ordinary push.
        var (_, digest) = await server.Client.PushImageAsync(repo, "v2", layers: 2);
        using var ok = await server.Client.GetAsync($"/v2/{repo}/manifests/{digest}");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task PushManifest_WithThousandsOfMissingLayers_IsRefused_WhileSmallPushesGoOn()
    {
        string repo = AttackSupport.UniqueRepo("b7/missing");
        var layers = Enumerable.Range(0, 5000).Select(i => RegistryTestClient.Sha256(BitConverter.GetBytes(i))).ToList();
        var big = ImageReferencing(layers);
        using var stop = new CancellationTokenSource();
        var flood = Task.Run(async () =>
        {
            int refused = 0;
            while (!stop.IsCancellationRequested)
            {
                using var r = await Client.PutManifestAsync(repo, "big", big, OciManifest);
                await r.AssertErrorAsync(HttpStatusCode.BadRequest, "MANIFEST_BLOB_UNKNOWN");
                refused++;
            }
            return refused;
        });
        for (int i = 0; i < 5; i++) await Client.PushImageAsync(AttackSupport.UniqueRepo("b7/small"), "v1", layers: 1);
        await stop.CancelAsync();
        Assert.True(await flood > 0);
        using var none = await Client.GetAsync($"/v2/{repo}/manifests/big");
        Assert.Equal(HttpStatusCode.NotFound, none.StatusCode);
    }

    private static byte[] ImageReferencing(IReadOnlyList<string> blobs)
    {
        var layers = new JsonArray();
        foreach (string d in blobs.Skip(1))
            layers.Add(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip", ["digest"] = d, ["size"] = 1 });
        return Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = blobs[0], ["size"] = 1 },
            ["layers"] = layers,
        }.ToJsonString());
    }
}
