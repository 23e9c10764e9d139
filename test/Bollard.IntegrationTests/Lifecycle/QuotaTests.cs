using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Bollard.Core.Events;
using Bollard.IntegrationTests.Interop;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.IntegrationTests.Lifecycle;

/// <summary>
/// Quotas (issue 7) over the real server with access control off (every caller may manage): a push over the quota
/// leaves no partial state and only a QuotaExceeded event; a real client (skopeo) sees the message.
/// </summary>
public sealed class QuotaTests : IAsyncLifetime
{
    private BollardServer _server = null!;
    private readonly string _work = TempDir.Create("bollard-quota-");

    public async Task InitializeAsync() => _server = await BollardServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        TempDir.Delete(_work);
    }

    private IEventStore Events => _server.Services.GetRequiredService<IEventStore>();

    private async Task SetQuotaAsync(string pattern, long bytes)
    {
        using var response = await _server.Client.PutAsJsonAsync($"/api/v1/quotas/{pattern}", new { limit = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private async Task<RegistryEvent> WaitForQuotaExceededAsync(long after, string repo)
    {
        for (int i = 0; i < 200; i++)
        {
            var e = (await Events.ReadAsync(after, 1000, default)).FirstOrDefault(e => e.Kind == RegistryEventKind.QuotaExceeded && e.Repository?.Value == repo);
            if (e is not null) return e;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"no QuotaExceeded event for {repo}");
    }

    [Fact]
    public async Task ManifestPush_OverQuota_Denied_NoManifestNoTagNoEventButQuotaExceeded_ThenUploadsRefusedEarly()
    {
        string ns = AccessServer.Unique("quota");
        string repo = $"{ns}/app";
        var c = _server.Client;
        // Room for the blobs but not for the manifest that follows them.
        var config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}"u8.ToArray();
        var layer = RegistryTestClient.RandomBytes(4000);
        long limit = config.Length + layer.Length + 10;
        await SetQuotaAsync($"{ns}/**", limit);
        string configDigest = await c.PushBlobAsync(repo, config);
        string layerDigest = await c.PushBlobAsync(repo, layer);
        var manifest = System.Text.Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = OciLayout.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar", ["digest"] = layerDigest, ["size"] = layer.Length }),
        }.ToJsonString());
        long before = await Events.HeadAsync(default);

        using var push = await c.PutManifestAsync(repo, "v1", manifest, OciLayout.OciManifest);
        string text = await push.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Forbidden, push.StatusCode);
        Assert.Equal("DENIED", JsonNode.Parse(text)!["errors"]![0]!["code"]!.GetValue<string>());
        long after = config.Length + layer.Length + manifest.Length;
        string expected = $"quota {Core.Usage.ByteSize.Format(limit)} for {ns}/** exceeded: {Core.Usage.ByteSize.Format(after, roundUp: true)} after this push";
        Assert.Contains(expected, text, StringComparison.Ordinal);

        using (var get = await c.GetAsync($"/v2/{repo}/manifests/v1")) Assert.Equal("MANIFEST_UNKNOWN", await get.ErrorCodeAsync());
        using (var get = await c.GetAsync($"/v2/{repo}/manifests/{RegistryTestClient.Sha256(manifest)}")) Assert.Equal("MANIFEST_UNKNOWN", await get.ErrorCodeAsync());
        Assert.Empty(JsonNode.Parse(await c.GetStringAsync($"/v2/{repo}/tags/list"))!["tags"]?.AsArray() ?? []);
        var quotaEvent = await WaitForQuotaExceededAsync(before, repo);
        Assert.Equal(expected, quotaEvent.Detail);
        Assert.Equal(after, quotaEvent.Size);
        Assert.Equal([RegistryEventKind.QuotaExceeded], (await Events.ReadAsync(before, 1000, default)).Where(e => e.Repository?.Value == repo).Select(e => e.Kind));

        // Usage is visible and over the limit now (the blobs are linked): uploads are refused from the start.
        var quotas = JsonNode.Parse(await c.GetStringAsync("/api/v1/quotas"))!.AsArray();
        var q = quotas.Single(x => x!["namespace"]!.GetValue<string>() == $"{ns}/**")!;
        Assert.Equal(config.Length + layer.Length, q["usedBytes"]!.GetValue<long>());
        await SetQuotaAsync($"{ns}/**", config.Length + layer.Length);
        using (var start = await c.PostAsync($"/v2/{repo}/blobs/uploads/", null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, start.StatusCode);
            Assert.Contains($"quota {Core.Usage.ByteSize.Format(config.Length + layer.Length)} for {ns}/** exceeded", await start.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        // A quota of another pattern does not apply; removing this one lets the push through.
        using (var remove = await c.DeleteAsync($"/api/v1/quotas/{ns}/**")) Assert.Equal(HttpStatusCode.NoContent, remove.StatusCode);
        using var retry = await c.PutManifestAsync(repo, "v1", manifest, OciLayout.OciManifest);
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
    }

    [Fact]
    public async Task SkopeoCopy_IntoARepositoryOverQuota_ShowsTheQuotaMessage()
    {
        ExternalTool.Require("skopeo");
        ExternalTool.Require("umoci");
        var layout = await OciLayout.InitAsync(Path.Combine(_work, "src"));
        await layout.NewImageAsync("v1", "amd64", ("/data/random.bin", 64 * 1024));
        var (manifestDigest, _, _) = layout.Resolve("v1");
        var (config, layers) = OciLayout.ImageParts(layout.ReadBlob(manifestDigest));
        long blobs = layout.ReadBlob(config).LongLength + layers.Sum(l => layout.ReadBlob(l).LongLength);
        string ns = AccessServer.Unique("skopeoq");
        await SetQuotaAsync($"{ns}/**", blobs + 1); // every blob fits; the manifest does not

        var result = await ExternalTool.RunAsync("skopeo", ["--insecure-policy", "copy", "--dest-tls-verify=false", $"oci:{layout.Root}:v1", $"docker://{_server.HostPort}/{ns}/app:v1"],
            environment: new Dictionary<string, string> { ["XDG_DATA_HOME"] = Path.Combine(_work, "xdg-data") });
        Assert.NotEqual(0, result.ExitCode);
        Assert.True(result.Stderr.Contains($"quota {Core.Usage.ByteSize.Format(blobs + 1)} for {ns}/** exceeded", StringComparison.Ordinal), result.Describe());
        Assert.True(result.Stderr.Contains("after this push", StringComparison.Ordinal), result.Describe());
        using var tags = await _server.Client.GetAsync($"/v2/{ns}/app/manifests/v1");
        Assert.Equal(HttpStatusCode.NotFound, tags.StatusCode);
    }
}
