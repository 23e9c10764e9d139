using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Bollard.Core.Oci;
using Bollard.IntegrationTests.Support;
using Bollard.Trust.Signatures;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// The real signatures of the reference tools (test/testdata/signing, README there), pushed into a real Bollard over HTTP
/// the way those tools store them (cosign's <c>.sig</c> tag with its layer annotations as skopeo copies them; Notation
/// JWS and COSE, and cosign v3's Sigstore bundle, as OCI 1.1 referrers of the image they sign), then found by the
/// server's signature discovery from its own stores and verified there: they count through their own anchors, and not
/// through another key or for another image. The images themselves are not in the vectors (only their manifests'
/// digests), so the signatures are stored without them, as a registry accepts a referrer before its subject.
/// </summary>
public sealed class VectorInteropTests(ITestOutputHelper output)
{
    /// <summary>When the vectors are judged (their certificates are valid then; see the unit tests of each verifier).</summary>
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 5, 0, 0, TimeSpan.Zero);

    private static string Vector(params string[] path) => Path.Combine([AppContext.BaseDirectory, "TestData", "signing", .. path]);

    [Theory]
    [InlineData("key-rekor-valid", "cosign-signed/key-1")]
    [InlineData("pki-valid", "test")]
    public async Task Cosign_vectors_pushed_as_sig_tags_are_found_and_count_through_their_anchor_only(string name, string repository)
    {
        await using var server = await BollardServer.StartAsync(output: output);
        var image = Digest.Sha256Of(await File.ReadAllBytesAsync(Vector("cimage", $"dir-img-cosign-{name}_manifest.json")));
        using var layer = JsonDocument.Parse(await File.ReadAllTextAsync(Vector("cimage", $"dir-img-cosign-{name}.json")));
        byte[] payload = layer.RootElement.GetProperty("payload").GetBytesFromBase64();
        var annotations = layer.RootElement.GetProperty("annotations").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        await PushAsync(server.Client, repository, SignatureMediaTypes.CosignSignatureTag(image), null, null,
            (layer.RootElement.GetProperty("mimeType").GetString()!, payload, annotations));

        var signature = await FindOneAsync(server, repository, image, SignatureFormat.Cosign);
        Assert.Equal(payload, signature.Content.ToArray());
        Assert.Equal(annotations.OrderBy(a => a.Key, StringComparer.Ordinal), signature.Annotations.OrderBy(a => a.Key, StringComparer.Ordinal));

        TrustAnchor own = name == "pki-valid"
            ? new IdentityAnchor("team-a")
            {
                Subject = "qiwan@redhat.com",
                RootsPem = [await File.ReadAllTextAsync(Vector("cimage", "pki_root_crts.pem"))],
                IntermediatesPem = [await File.ReadAllTextAsync(Vector("cimage", "pki_intermediates_crt.pem"))],
            }
            : new KeyAnchor("dev", await File.ReadAllTextAsync(Vector("cimage", "cosign2.pub")));
        var otherKey = new KeyAnchor("other", await File.ReadAllTextAsync(Vector("cimage", "cosign.pub")));
        var verdict = Verify(signature, image, repository, own, otherKey);
        output.WriteLine(string.Join(Environment.NewLine, verdict.Anchors.Select(a => $"{a.Anchor}: {a.Reason}")));
        Assert.Equal([own.Name], verdict.TrustedBy);

        // The same stored signature asked about for another image, or in another repository, counts nowhere.
        Assert.Empty(Verify(signature, Digest.Sha256Of("another image"u8), repository, own).TrustedBy);
        Assert.Empty(Verify(signature, image, "someone/else", own).TrustedBy);
    }

    [Theory]
    [InlineData("internal_testdata_jws_signature.sig", SignatureMediaTypes.Jws, SignatureFormat.NotationJws)]
    [InlineData("internal_testdata_cose_signature.sig", SignatureMediaTypes.Cose, SignatureFormat.NotationCose)]
    public async Task Notation_vectors_pushed_as_referrers_are_found_and_count_through_their_trust_store_only(string file, string mediaType, SignatureFormat format)
    {
        await using var server = await BollardServer.StartAsync(output: output);
        // The manifest both envelopes sign: notation-go's internal/testdata/oci-layout image.
        var image = Digest.Sha256Of(await File.ReadAllBytesAsync(Vector("notation",
            "internal_testdata_oci-layout_blobs_sha256_19dbd2e48e921426ee8ace4dc892edfb2ecdc1d1a72d5416c83670c30acecef0")));
        byte[] envelope = await File.ReadAllBytesAsync(Vector("notation", file));
        await PushAsync(server.Client, "notation/app", null, image, SignatureMediaTypes.NotationSignature, (mediaType, envelope, []));

        var signature = await FindOneAsync(server, "notation/app", image, format);
        Assert.Equal(envelope, signature.Content.ToArray());

        // The vectors' leaf is self-signed: its trust store holds the leaf itself (as notation-go's tests configure it).
        var alpine = new NotationAnchor("alpine")
        {
            CertificatesPem = [X509CertificateLoader.LoadCertificate(await File.ReadAllBytesAsync(Vector("notation", "jws-leaf.der"))).ExportCertificatePem()],
            TrustedIdentities = ["x509.subject: C=US, ST=WA, L=Seattle, O=Notary, CN=alpine"],
        };
        var wabbit = new NotationAnchor("wabbit-networks")
        {
            CertificatesPem = [await File.ReadAllTextAsync(Vector("notation", "verifier_testdata_truststore_x509_ca_valid-trust-store_NotationTestRoot.pem"))],
        };
        var verdict = Verify(signature, image, "notation/app", alpine, wabbit);
        output.WriteLine(string.Join(Environment.NewLine, verdict.Anchors.Select(a => $"{a.Anchor}: {a.Reason}")));
        Assert.Equal(["alpine"], verdict.TrustedBy);
        Assert.Empty(Verify(signature, Digest.Sha256Of("another image"u8), "notation/app", alpine).TrustedBy);
    }

    [Fact]
    public async Task The_cosign_v3_bundle_vector_pushed_as_a_referrer_is_found_and_counts_through_the_public_good_root()
    {
        await using var server = await BollardServer.StartAsync(output: output);
        byte[] bundle = await File.ReadAllBytesAsync(Vector("cosign", "oci-attestation.sigstore.json"));
        var image = Digest.Parse("sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4");
        await PushAsync(server.Client, "repo", null, image, SignatureMediaTypes.SigstoreBundleV03, (SignatureMediaTypes.SigstoreBundleV03, bundle, []));

        var signature = await FindOneAsync(server, "repo", image, SignatureFormat.SigstoreBundle);
        Assert.Equal(bundle, signature.Content.ToArray());

        string root = await File.ReadAllTextAsync(Vector("cosign", "trusted_root_pgi.json"));
        var cody = new IdentityAnchor("cody") { Issuer = "https://github.com/login/oauth", Subject = "cody@soyland.com", TrustedRootJson = root };
        var mallory = new IdentityAnchor("mallory") { Subject = "mallory@example.com", TrustedRootJson = root };
        var verdict = Verify(signature, image, "repo", cody, mallory);
        output.WriteLine(string.Join(Environment.NewLine, verdict.Anchors.Select(a => $"{a.Anchor}: {a.Reason}")));
        Assert.Equal(["cody"], verdict.TrustedBy);
        Assert.True(verdict.TimestampVerified);
        Assert.Empty(Verify(signature, Digest.Sha256Of("another image"u8), "repo", cody).TrustedBy);
    }

    private static async Task<FoundSignature> FindOneAsync(BollardServer server, string repository, Digest image, SignatureFormat format)
    {
        var found = await new SignatureDiscovery(server.Services.GetRequiredService<IArtifactSource>()).FindAsync(repository, image, CancellationToken.None);
        var signature = Assert.Single(found.Signatures);
        Assert.Equal(format, signature.Format);
        Assert.Empty(found.Warnings);
        return signature;
    }

    private static SignatureVerdict Verify(FoundSignature signature, Digest expected, string repository, params TrustAnchor[] anchors) =>
        SignatureVerifiers.For(signature.Format)!.Verify(signature, new VerificationRequest(expected, repository, anchors, Now));

    /// <summary>Pushes a signature manifest (one layer, empty config) by tag, or by digest as a referrer of <paramref name="subject"/>.</summary>
    private static async Task PushAsync(HttpClient client, string repository, string? tag, Digest? subject, string? artifactType,
        (string MediaType, byte[] Data, Dictionary<string, string> Annotations) layer)
    {
        byte[] config = "{}"u8.ToArray();
        string configDigest = await client.PushBlobAsync(repository, config);
        string layerDigest = await client.PushBlobAsync(repository, layer.Data);
        var descriptor = new JsonObject { ["mediaType"] = layer.MediaType, ["digest"] = layerDigest, ["size"] = layer.Data.Length };
        if (layer.Annotations.Count > 0) descriptor["annotations"] = new JsonObject(layer.Annotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value)));
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["config"] = new JsonObject { ["mediaType"] = tag is null ? MediaTypes.OciEmpty : "application/vnd.oci.image.config.v1+json", ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = new JsonArray(descriptor),
        };
        if (artifactType is not null) manifest["artifactType"] = artifactType;
        if (subject is not null) manifest["subject"] = new JsonObject { ["mediaType"] = MediaTypes.OciManifest, ["digest"] = subject.ToString(), ["size"] = 100 };
        byte[] body = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        using var response = await client.PutManifestAsync(repository, tag ?? RegistryTestClient.Sha256(body), body, MediaTypes.OciManifest);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }
}
