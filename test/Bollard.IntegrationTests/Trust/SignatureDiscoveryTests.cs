using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Oci;
using Bollard.IntegrationTests.Support;
using Bollard.Trust.Signatures;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// Signature discovery over the server's stored artifacts: every form real tools write (cosign's .sig tag, Sigstore bundle
/// and Notation referrers, the referrers tag-schema fallback index), pushed over real HTTP; and its bounds.
/// </summary>
public sealed class SignatureDiscoveryTests(ITestOutputHelper output)
{
    private const string Repo = "team/app";

    [Fact]
    public async Task Finds_cosign_layers_bundle_and_notation_referrers_and_ignores_other_artifacts()
    {
        await using var server = await BollardServer.StartAsync(output: output);
        var client = server.Client;
        var (_, image) = await client.PushImageAsync(Repo, "v1");
        var subject = Digest.Parse(image);

        byte[] payload1 = Encoding.UTF8.GetBytes("""{"critical":{"type":"cosign container image signature"},"n":1}""");
        byte[] payload2 = Encoding.UTF8.GetBytes("""{"critical":{"type":"cosign container image signature"},"n":2}""");
        var sig = await PushArtifactAsync(client, SignatureMediaTypes.CosignSignatureTag(subject), null, null,
            [(SignatureMediaTypes.CosignSimpleSigning, payload1, new() { ["dev.cosignproject.cosign/signature"] = "AAAA" }),
             (SignatureMediaTypes.CosignSimpleSigning, payload2, new() { ["dev.cosignproject.cosign/signature"] = "BBBB" })]);
        byte[] bundle = Encoding.UTF8.GetBytes("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}""");
        var bundleManifest = await PushArtifactAsync(client, null, image, SignatureMediaTypes.SigstoreBundleV03,
            [(SignatureMediaTypes.SigstoreBundleV03, bundle, [])], new() { ["dev.sigstore.bundle.content"] = "dsse-envelope" });
        byte[] jws = Encoding.UTF8.GetBytes("""{"payload":"e30","protected":"e30","signature":"AA"}""");
        var notation = await PushArtifactAsync(client, null, image, SignatureMediaTypes.NotationSignature, [(SignatureMediaTypes.Jws, jws, [])]);
        await PushArtifactAsync(client, null, image, "application/spdx+json", [("application/spdx+json", "{}"u8.ToArray(), [])]);

        var discovery = new SignatureDiscovery(server.Services.GetRequiredService<IArtifactSource>());
        var result = await discovery.FindAsync(Repo, subject, CancellationToken.None);

        Assert.Empty(result.Warnings);
        Assert.Equal(4, result.Signatures.Count);
        var cosign = result.Signatures.Where(s => s.Format == SignatureFormat.Cosign).OrderBy(s => s.LayerIndex).ToList();
        Assert.Equal([0, 1], cosign.Select(s => s.LayerIndex));
        Assert.All(cosign, s => Assert.Equal(sig, s.SignatureManifest.ToString()));
        Assert.Equal(payload1, cosign[0].Content.ToArray());
        Assert.Equal("BBBB", cosign[1].Annotations["dev.cosignproject.cosign/signature"]);
        var found = Assert.Single(result.Signatures, s => s.Format == SignatureFormat.SigstoreBundle);
        Assert.Equal(bundle, found.Content.ToArray());
        Assert.Equal(bundleManifest, found.SignatureManifest.ToString());
        Assert.Equal("dsse-envelope", found.ManifestAnnotations["dev.sigstore.bundle.content"]);
        var jwsFound = Assert.Single(result.Signatures, s => s.Format == SignatureFormat.NotationJws);
        Assert.Equal(notation, jwsFound.SignatureManifest.ToString());
        Assert.Equal(jws, jwsFound.Content.ToArray());
        Assert.All(result.Signatures, s => Assert.Equal(subject, s.Subject));
    }

    [Fact]
    public async Task Fallback_index_entries_are_found_once_and_a_wrong_subject_is_refused()
    {
        await using var server = await BollardServer.StartAsync(output: output);
        var client = server.Client;
        var (_, image) = await client.PushImageAsync(Repo, "v1");
        var (otherBody, other) = await client.PushImageAsync(Repo, "v2");
        var subject = Digest.Parse(image);
        byte[] bundle = Encoding.UTF8.GetBytes("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","n":1}""");
        var onImage = await PushArtifactAsync(client, null, image, SignatureMediaTypes.SigstoreBundleV03, [(SignatureMediaTypes.SigstoreBundleV03, bundle, [])]);
        byte[] stray = Encoding.UTF8.GetBytes("""{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","n":2}""");
        var onOther = await PushArtifactAsync(client, null, other, SignatureMediaTypes.SigstoreBundleV03, [(SignatureMediaTypes.SigstoreBundleV03, stray, [])]);

        // A client-written fallback index for the image that lists its real referrer and one that belongs to another image.
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciIndex,
            ["manifests"] = new JsonArray(Entry(onImage), Entry(onOther)),
        };
        using (var put = await client.PutManifestAsync(Repo, SignatureMediaTypes.ReferrersFallbackTag(subject), Encoding.UTF8.GetBytes(index.ToJsonString()), MediaTypes.OciIndex))
            Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        var result = await new SignatureDiscovery(server.Services.GetRequiredService<IArtifactSource>()).FindAsync(Repo, subject, CancellationToken.None);
        var found = Assert.Single(result.Signatures);
        Assert.Equal(onImage, found.SignatureManifest.ToString());
        Assert.Contains(result.Warnings, w => w.Contains(onOther, StringComparison.Ordinal) && w.Contains("does not name", StringComparison.Ordinal));
        Assert.NotNull(otherBody);
    }

    [Fact]
    public async Task A_sig_manifest_with_more_layers_than_the_limit_reads_only_the_newest_and_says_so()
    {
        await using var server = await BollardServer.StartAsync(output: output);
        var client = server.Client;
        var (_, image) = await client.PushImageAsync(Repo, "v1");
        var subject = Digest.Parse(image);
        var layers = Enumerable.Range(0, 40).Select(i => (SignatureMediaTypes.CosignSimpleSigning, Encoding.UTF8.GetBytes($$"""{"n":{{i}}}"""), new Dictionary<string, string>())).ToList();
        await PushArtifactAsync(client, SignatureMediaTypes.CosignSignatureTag(subject), null, null, layers);

        var limits = new DiscoveryLimits { MaxSignatures = 10 };
        var result = await new SignatureDiscovery(server.Services.GetRequiredService<IArtifactSource>(), limits).FindAsync(Repo, subject, CancellationToken.None);
        Assert.Equal(10, result.Signatures.Count);
        Assert.Equal(Enumerable.Range(30, 10), result.Signatures.Select(s => s.LayerIndex));
        Assert.Contains(result.Warnings, w => w.Contains("holds 40 signatures", StringComparison.Ordinal));

        var tiny = new DiscoveryLimits { MaxLayerBytes = 4 };
        var bounded = await new SignatureDiscovery(server.Services.GetRequiredService<IArtifactSource>(), tiny).FindAsync(Repo, subject, CancellationToken.None);
        Assert.Empty(bounded.Signatures);
        Assert.Contains(bounded.Warnings, w => w.Contains("over the limit of 4", StringComparison.Ordinal));
    }

    private static JsonObject Entry(string digest) => new()
    {
        ["mediaType"] = MediaTypes.OciManifest, ["digest"] = digest, ["size"] = 1, ["artifactType"] = SignatureMediaTypes.SigstoreBundleV03,
    };

    /// <summary>Pushes an artifact manifest (empty config) with the given layers, by tag or, with a subject, by digest.</summary>
    private static async Task<string> PushArtifactAsync(HttpClient client, string? tag, string? subject, string? artifactType,
        IReadOnlyList<(string MediaType, byte[] Data, Dictionary<string, string> Annotations)> layers, Dictionary<string, string>? annotations = null)
    {
        byte[] config = "{}"u8.ToArray();
        string configDigest = await client.PushBlobAsync(Repo, config);
        var array = new JsonArray();
        foreach (var (mediaType, data, layerAnnotations) in layers)
        {
            string digest = await client.PushBlobAsync(Repo, data);
            var layer = new JsonObject { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = data.Length };
            if (layerAnnotations.Count > 0) layer["annotations"] = new JsonObject(layerAnnotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value)));
            array.Add(layer);
        }
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = tag is null ? MediaTypes.OciEmpty : "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = array,
        };
        if (artifactType is not null) manifest["artifactType"] = artifactType;
        if (subject is not null) manifest["subject"] = new JsonObject { ["mediaType"] = MediaTypes.OciManifest, ["digest"] = subject, ["size"] = 1 };
        if (annotations is not null) manifest["annotations"] = new JsonObject(annotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value)));
        byte[] body = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        string reference = tag ?? RegistryTestClient.Sha256(body);
        using var response = await client.PutManifestAsync(Repo, reference, body, MediaTypes.OciManifest);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return RegistryTestClient.Sha256(body);
    }
}
