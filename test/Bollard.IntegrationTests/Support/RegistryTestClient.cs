using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Support;

/// <summary>Small helpers over raw HTTP for pushing test content; the tests still assert on raw responses.</summary>
public static class RegistryTestClient
{
    public static string Sha256(byte[] data) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(data));

    public static byte[] RandomBytes(int length)
    {
        var b = new byte[length];
        Random.Shared.NextBytes(b);
        return b;
    }

    /// <summary>Monolithic POST ?digest= push; asserts 201 and returns the digest.</summary>
    public static async Task<string> PushBlobAsync(this HttpClient client, string repo, byte[] data)
    {
        string digest = Sha256(data);
        using var content = new ByteArrayContent(data);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await client.PostAsync($"/v2/{repo}/blobs/uploads/?digest={digest}", content);
        if (response.StatusCode == HttpStatusCode.Accepted && response.Headers.Location is { } location && !IsBollard(response))
        {
            // CNCF Distribution (the mirror tests' upstream) has no single-request upload: it opened a session instead.
            string sep = location.OriginalString.Contains('?', StringComparison.Ordinal) ? "&" : "?";
            using var body = new ByteArrayContent(data);
            body.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var put = await client.PutAsync(new Uri(location.OriginalString + sep + "digest=" + digest, UriKind.RelativeOrAbsolute), body);
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            return digest;
        }
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return digest;
    }

    /// <summary>Bollard's upload ids are 32 hex digits; Distribution's are UUIDs (with dashes). A Bollard 202 here is a failure to report.</summary>
    private static bool IsBollard(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Docker-Upload-UUID", out var ids) && ids.Any(id => !id.Contains('-', StringComparison.Ordinal));

    public static async Task<HttpResponseMessage> PutManifestAsync(this HttpClient client, string repo, string reference, byte[] body, string mediaType)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        return await client.PutAsync($"/v2/{repo}/manifests/{reference}", content);
    }

    /// <summary>Pushes a config and layers and an OCI image manifest referencing them; returns the manifest bytes and digest.</summary>
    public static async Task<(byte[] Manifest, string Digest)> PushImageAsync(
        this HttpClient client, string repo, string reference, int layers = 2, int layerSize = 1024,
        string? subject = null, string? artifactType = null, Dictionary<string, string>? annotations = null, string? configMediaType = null)
    {
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"n":"{{Guid.NewGuid()}}"}""");
        string configDigest = await client.PushBlobAsync(repo, config);
        var layerArray = new JsonArray();
        for (int i = 0; i < layers; i++)
        {
            var data = RandomBytes(layerSize);
            string d = await client.PushBlobAsync(repo, data);
            layerArray.Add(new JsonObject { ["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip", ["digest"] = d, ["size"] = data.Length });
        }
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = new JsonObject { ["mediaType"] = configMediaType ?? "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = layerArray,
        };
        if (artifactType is not null) manifest["artifactType"] = artifactType;
        if (subject is not null)
            manifest["subject"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = subject, ["size"] = 123 };
        if (annotations is not null)
        {
            var a = new JsonObject();
            foreach (var (k, v) in annotations) a[k] = v;
            manifest["annotations"] = a;
        }
        var body = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        using var response = await client.PutManifestAsync(repo, reference, body, "application/vnd.oci.image.manifest.v1+json");
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (body, Sha256(body));
    }

    /// <summary>The first error code of a distribution-spec error body.</summary>
    public static async Task<string?> ErrorCodeAsync(this HttpResponseMessage response)
    {
        string text = await response.Content.ReadAsStringAsync();
        if (string.IsNullOrEmpty(text)) return null;
        using var doc = JsonDocument.Parse(text);
        return doc.RootElement.GetProperty("errors")[0].GetProperty("code").GetString();
    }
}
