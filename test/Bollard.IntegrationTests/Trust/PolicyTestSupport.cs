using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Events;
using Bollard.Trust.Keys;
using Microsoft.Extensions.DependencyInjection;

namespace Bollard.IntegrationTests.Trust;

/// <summary>Policies, cosign signatures and decisions for the trust-policy tests (the real server's API and /v2/).</summary>
public static class PolicyTestSupport
{
    /// <summary>A policy document: <paramref name="signers"/> each a cosign key, <paramref name="require"/> a requirement (JSON), optional extra fields.</summary>
    public static JsonObject Policy(string name, string ns, string mode, IReadOnlyDictionary<string, LocalSigner>? signers = null, JsonNode? require = null,
        JsonObject? extra = null)
    {
        var doc = new JsonObject { ["name"] = name, ["namespace"] = ns, ["mode"] = mode };
        if (signers is not null)
        {
            var s = new JsonObject();
            foreach (var (signer, key) in signers) s[signer] = new JsonObject { ["key"] = key.PublicKeyPem };
            doc["signers"] = s;
        }
        if (require is not null) doc["require"] = require;
        if (extra is not null)
            foreach (var (k, v) in extra) doc[k] = v?.DeepClone();
        return doc;
    }

    public static async Task<HttpResponseMessage> PutPolicyAsync(HttpClient api, JsonObject document, string? comment = null, bool? locked = null)
    {
        var body = new JsonObject { ["document"] = document.DeepClone(), ["comment"] = comment };
        if (locked is not null) body["locked"] = locked;
        return await api.PutAsync($"/api/v1/policies/{document["name"]!.GetValue<string>()}", JsonContent.Create(body));
    }

    public static async Task<JsonNode> PutPolicyOkAsync(HttpClient api, JsonObject document, string? comment = null, bool? locked = null)
    {
        using var response = await PutPolicyAsync(api, document, comment, locked);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT policy: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    public static async Task<JsonNode> TestAsync(HttpClient api, string repository, string reference)
    {
        using var response = await api.PostAsJsonAsync("/api/v1/policies/test", new { repository, reference });
        return await AccessServer.ExpectAsync(response, HttpStatusCode.OK, $"policy test {repository}:{reference}");
    }

    /// <summary>
    /// Signs <paramref name="digest"/> the way cosign's tag scheme stores it: a simple-signing payload naming
    /// <c>HOST/REPO</c> and the digest, one layer of the <c>sha256-&lt;hex&gt;.sig</c> manifest, the signature (ASN.1 DER,
    /// base64) in the layer's <c>dev.cosignproject.cosign/signature</c> annotation. A second signer appends a layer.
    /// </summary>
    public static async Task SignCosignAsync(HttpClient registry, string hostPort, string repository, string digest, params LocalSigner[] signers)
    {
        var layers = new JsonArray();
        foreach (var signer in signers)
        {
            byte[] payload = Encoding.UTF8.GetBytes(
                $$"""{"critical":{"identity":{"docker-reference":"{{hostPort}}/{{repository}}"},"image":{"docker-manifest-digest":"{{digest}}"},"type":"cosign container image signature"},"optional":null}""");
            string payloadDigest = await registry.PushBlobAsync(repository, payload);
            layers.Add(new JsonObject
            {
                ["mediaType"] = "application/vnd.dev.cosign.simplesigning.v1+json", ["digest"] = payloadDigest, ["size"] = payload.Length,
                ["annotations"] = new JsonObject { ["dev.cosignproject.cosign/signature"] = Convert.ToBase64String(signer.Sign(payload)) },
            });
        }
        byte[] config = Encoding.UTF8.GetBytes("""{"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}}""");
        string configDigest = await registry.PushBlobAsync(repository, config);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = layers,
        };
        using var response = await registry.PutManifestAsync(repository, digest.Replace(':', '-') + ".sig", Encoding.UTF8.GetBytes(manifest.ToJsonString()),
            "application/vnd.oci.image.manifest.v1+json");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    /// <summary>GETs the manifest until it answers <paramref name="status"/> (cache invalidation runs from the event outbox, a few milliseconds behind).</summary>
    public static async Task<HttpResponseMessage> PullUntilAsync(HttpClient registry, string repository, string reference, HttpStatusCode status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var response = await registry.GetAsync($"/v2/{repository}/manifests/{reference}");
            if (response.StatusCode == status || DateTime.UtcNow > deadline) return response;
            response.Dispose();
            await Task.Delay(50);
        }
    }

    public static async Task<List<RegistryEvent>> EventsAsync(BollardServer server, RegistryEventKind kind)
    {
        var events = await server.Services.GetRequiredService<IEventStore>().ReadAsync(0, 10_000, default);
        return events.Where(e => e.Kind == kind).ToList();
    }

    /// <summary>Waits until the decision recorder stored something for <paramref name="repository"/>; returns the decisions.</summary>
    public static async Task<JsonArray> DecisionsAsync(HttpClient api, string repository, int atLeast = 1)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var response = await api.GetAsync($"/api/v1/decisions?repository={Uri.EscapeDataString(repository)}");
            var list = (await AccessServer.ExpectAsync(response, HttpStatusCode.OK, "decisions")).AsArray();
            if (list.Count >= atLeast || DateTime.UtcNow > deadline) return list;
            await Task.Delay(50);
        }
    }
}
