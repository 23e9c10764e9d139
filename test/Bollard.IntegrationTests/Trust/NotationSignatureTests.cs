using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Oci;
using Bollard.IntegrationTests.Support;
using Bollard.Trust.Keys;
using Bollard.Trust.Signatures;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Bollard.IntegrationTests.Trust;

/// <summary>
/// A Notation JWS made by Bollard's producer, pushed as an OCI 1.1 referrer over real HTTP, found by signature discovery
/// and verified through a Notation trust store; the same signature asked about for another image does not count.
/// </summary>
public sealed class NotationSignatureTests(ITestOutputHelper output)
{
    private const string Repo = "team/app";

    [Fact]
    public async Task A_pushed_Notation_signature_is_found_and_verified_for_its_image_only()
    {
        await using var server = await BollardServer.StartAsync(output: output);
        var client = server.Client;
        var (manifest, image) = await client.PushImageAsync(Repo, "v1");
        var (_, other) = await client.PushImageAsync(Repo, "v2");
        var now = DateTimeOffset.UtcNow;

        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("C=US, ST=WA, O=Bollard Test, CN=Root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var root = rootRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("C=US, ST=WA, O=Bollard Test, CN=ci", leafKey, HashAlgorithmName.SHA256);
        leafRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        leafRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
        using var leaf = leafRequest.Create(root.SubjectName, X509SignatureGenerator.CreateForECDsa(rootKey), now.AddDays(-1), now.AddDays(30), [7]);
        var signer = LocalSigner.FromPem(leafKey.ExportPkcs8PrivateKeyPem(), certificateChainPem: [leaf.ExportCertificatePem(), root.ExportCertificatePem()]);

        var producer = SignatureVerifiers.ProducerFor(SignatureFormat.NotationJws)!;
        var artifact = (ReferrerArtifact)producer.Create(
            new SigningInput(server.BaseAddress.Authority, Repo, Digest.Parse(image), MediaTypes.OciManifest, manifest.Length, now), signer);
        string referrer = await PushReferrerAsync(client, image, manifest.Length, artifact);

        var found = await new SignatureDiscovery(server.Services.GetRequiredService<IArtifactSource>()).FindAsync(Repo, Digest.Parse(image), CancellationToken.None);
        var signature = Assert.Single(found.Signatures);
        Assert.Equal(SignatureFormat.NotationJws, signature.Format);
        Assert.Equal(referrer, signature.SignatureManifest.ToString());

        var store = new NotationAnchor("ci-store") { CertificatesPem = [root.ExportCertificatePem()], TrustedIdentities = ["x509.subject: C=US, ST=WA, O=Bollard Test, CN=ci"] };
        var verifier = SignatureVerifiers.For(signature.Format)!;
        var verdict = verifier.Verify(signature, new VerificationRequest(Digest.Parse(image), Repo, [store], now));
        output.WriteLine(verdict.Anchors[0].Reason);
        Assert.Equal(["ci-store"], verdict.TrustedBy);

        // The same signature presented for another image (copied next to it) names the wrong digest.
        var copied = verifier.Verify(signature with { Subject = Digest.Parse(other) }, new VerificationRequest(Digest.Parse(other), Repo, [store], now));
        Assert.Empty(copied.TrustedBy);
        Assert.Contains($"names {image}, not the image asked about ({other})", copied.Problems[0], StringComparison.Ordinal);
    }

    private static async Task<string> PushReferrerAsync(HttpClient client, string subject, long subjectSize, ReferrerArtifact artifact)
    {
        byte[] config = "{}"u8.ToArray();
        string configDigest = await client.PushBlobAsync(Repo, config);
        string layerDigest = await client.PushBlobAsync(Repo, artifact.Envelope);
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = MediaTypes.OciManifest,
            ["artifactType"] = artifact.ArtifactType,
            ["config"] = new JsonObject { ["mediaType"] = MediaTypes.OciEmpty, ["digest"] = configDigest, ["size"] = config.Length },
            ["layers"] = new JsonArray(new JsonObject { ["mediaType"] = artifact.LayerMediaType, ["digest"] = layerDigest, ["size"] = artifact.Envelope.Length }),
            ["subject"] = new JsonObject { ["mediaType"] = MediaTypes.OciManifest, ["digest"] = subject, ["size"] = subjectSize },
            ["annotations"] = new JsonObject(artifact.ManifestAnnotations.Select(a => KeyValuePair.Create(a.Key, (JsonNode?)a.Value))),
        };
        byte[] body = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        string digest = RegistryTestClient.Sha256(body);
        using var response = await client.PutManifestAsync(Repo, digest, body, MediaTypes.OciManifest);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return digest;
    }
}
