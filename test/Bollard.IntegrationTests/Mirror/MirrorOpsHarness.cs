using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.IntegrationTests.Mirror.Support;

namespace Bollard.IntegrationTests.Mirror;

/// <summary>The mirror-operations tests share one xunit collection: each starts an upstream, a proxy and a server, and they need the CPU less at once.</summary>
[CollectionDefinition(Name)]
public sealed class MirrorOperationsGroup
{
    public const string Name = "Mirror operations";
}

/// <summary>
/// One mirror set up for the operations tests: a real upstream (<see cref="UpstreamRegistry"/>) behind a
/// <see cref="CountingProxy"/> that the mirror's upstream <c>local</c> points at (so every upstream request is counted
/// and the upstream can be made to fail), and a real Bollard on a <see cref="ManualClock"/>, optionally with access control.
/// </summary>
internal sealed class MirrorOpsHarness : IAsyncDisposable
{
    private MirrorOpsHarness(ManualClock clock, UpstreamRegistry upstream, CountingProxy proxy, BollardServer server, AccessServer? access)
    {
        Clock = clock;
        Upstream = upstream;
        Proxy = proxy;
        Server = server;
        Access = access;
    }

    public ManualClock Clock { get; }
    public UpstreamRegistry Upstream { get; }
    public CountingProxy Proxy { get; }
    public BollardServer Server { get; }

    /// <summary>Set when started with access control on.</summary>
    public AccessServer? Access { get; }

    /// <summary>The management API as the admin (or with access control off, anyone).</summary>
    public HttpClient Api => Access?.AdminApi ?? Server.Client;

    /// <summary>The registry as the admin (or with access control off, anyone).</summary>
    public HttpClient Registry => Access?.Registry(Access.Admin) ?? Server.Client;

    public static async Task<MirrorOpsHarness> StartAsync(IDictionary<string, string?>? extra = null, bool accessControl = false)
    {
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var upstream = await UpstreamRegistry.StartNewAsync();
        var proxy = await CountingProxy.StartNewAsync(upstream.Url);
        var settings = new Dictionary<string, string?>
        {
            ["Mirror:Upstreams:0:Name"] = "local",
            ["Mirror:Upstreams:0:Url"] = proxy.Url,
            ["Mirror:Upstreams:0:TagTtl"] = "00:05:00",
            ["Mirror:Upstreams:0:Timeout"] = "00:00:02",
            ["Mirror:Upstreams:0:MirrorSignatures"] = "false", // no background requests: the proxy counts only what a test causes
            ["Mirror:Upstreams:0:SyncInterval"] = "00:00:00",
            ["Jobs:PollInterval"] = "50ms",
            ["Jobs:LeaseDuration"] = "3s",
            ["Jobs:RetryBase"] = "50ms",
            ["Gc:GracePeriod"] = "0",
            ["Gc:Interval"] = "0",
            ["Metrics:StoreReadInterval"] = "00:00:00",
        };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>()) settings[k] = v;
        AccessServer? access = accessControl ? await AccessServer.StartAsync(settings, clock) : null;
        var server = access?.Server ?? await BollardServer.StartAsync(settings, time: clock);
        return new MirrorOpsHarness(clock, upstream, proxy, server, access);
    }

    public static string Unique(string prefix) => $"{prefix}{Guid.NewGuid().ToString("N")[..8]}";

    public static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : "";

    public async Task<HttpResponseMessage> GetManifestAsync(string repository, string reference, HttpClient? client = null, HttpMethod? method = null)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Get, $"/v2/mirror/local/{repository}/manifests/{reference}");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciManifest));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(MediaTypes.OciIndex));
        return await (client ?? Registry).SendAsync(request);
    }

    /// <summary>Pulls the image as a client does: the manifest, then its config and layers, each checked against its digest.</summary>
    /// <returns>The manifest digest, the blob digests and the blob bytes read.</returns>
    public async Task<(string Digest, List<string> Blobs, long BlobBytes)> PullAsync(string repository, string reference, HttpClient? client = null)
    {
        client ??= Registry;
        using var manifest = await GetManifestAsync(repository, reference, client);
        string body = await manifest.Content.ReadAsStringAsync();
        Assert.True(manifest.StatusCode == HttpStatusCode.OK, $"{repository}:{reference}: {(int)manifest.StatusCode} {body}");
        using var doc = JsonDocument.Parse(body);
        var blobs = new List<string> { doc.RootElement.GetProperty("config").GetProperty("digest").GetString()! };
        blobs.AddRange(doc.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!));
        long total = 0;
        foreach (string blob in blobs)
        {
            using var got = await client.GetAsync($"/v2/mirror/local/{repository}/blobs/{blob}");
            var bytes = await got.Content.ReadAsByteArrayAsync();
            Assert.True(got.StatusCode == HttpStatusCode.OK, $"{blob}: {(int)got.StatusCode}");
            Assert.Equal(blob, "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes)));
            total += bytes.Length;
        }
        return (Header(manifest, "Docker-Content-Digest"), blobs, total);
    }

    public async Task<string> MetricsAsync() => await Server.Client.GetStringAsync("/metrics");

    /// <summary><c>GET /api/v1/mirror/tags?repository=local/REPO</c>: the cached tags of one repository.</summary>
    public async Task<List<JsonElement>> TagsAsync(string repository)
    {
        using var response = await Api.GetAsync("/api/v1/mirror/tags?repository=" + Uri.EscapeDataString($"local/{repository}"));
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("tags").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    /// <summary>Runs the <c>mirror-evict</c> job through the API and waits (bounded) for it to end; returns the run.</summary>
    public async Task<JsonElement> EvictAsync()
    {
        using var start = await Api.PostAsync("/api/v1/mirror/evict", null);
        string text = await start.Content.ReadAsStringAsync();
        Assert.True(start.StatusCode is HttpStatusCode.Accepted or HttpStatusCode.OK, $"{(int)start.StatusCode} {text}");
        long id = JsonDocument.Parse(text).RootElement.GetProperty("id").GetInt64();
        for (int i = 0; i < 1200; i++)
        {
            using var get = await Api.GetAsync($"/api/v1/mirror/evict/{id}");
            var run = JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement.Clone();
            if (run.GetProperty("state").GetString() is "Succeeded" or "Failed" or "Cancelled") return run;
            await Task.Delay(50);
        }
        Assert.Fail($"eviction run {id} did not end");
        return default;
    }

    public async ValueTask DisposeAsync()
    {
        if (Access is not null) await Access.DisposeAsync();
        else await Server.DisposeAsync();
        await Proxy.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}
