using System.Text;
using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Trust.Cosign;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Tests.Cosign;

/// <summary>
/// The cosign vectors (test/testdata/signing/README.md) as discovery would hand them to the verifier: Content is the
/// payload blob's bytes, Annotations the signature layer descriptor's.
/// </summary>
internal static class CosignVectors
{
    /// <summary>containers/image's three cosign signatures (<c>cimage/dir-img-cosign-NAME.json</c>).</summary>
    public static FoundSignature Cimage(string name) =>
        FromLayerJson(TestData.Text("signing", "cimage", $"dir-img-cosign-{name}.json"), TestData.Bytes("signing", "cimage", $"dir-img-cosign-{name}_manifest.json"));

    /// <summary>The single sample (<c>payload.json</c>, <c>sig1.json</c>; its image manifest is not in the vectors).</summary>
    public static FoundSignature SingleSample()
    {
        var found = FromLayerJson(TestData.Text("signing", "sig1.json"), null);
        return found with { Content = TestData.Bytes("signing", "payload.json") };
    }

    /// <summary>A layer as skopeo writes it in a <c>dir:</c> copy (<c>{"mimeType","payload","annotations"}</c>).</summary>
    public static FoundSignature FromLayerJson(string json, byte[]? imageManifest)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        byte[] payload = root.GetProperty("payload").GetBytesFromBase64();
        var annotations = root.GetProperty("annotations").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!, StringComparer.Ordinal);
        var subject = imageManifest is null ? SignedDigest(payload) : Digest.Sha256Of(imageManifest);
        return Found(payload, annotations, subject, root.GetProperty("mimeType").GetString()!);
    }

    public static FoundSignature Found(byte[] payload, IReadOnlyDictionary<string, string> annotations, Digest subject, string mediaType = CosignAnnotations.PayloadMediaType) => new()
    {
        Format = SignatureFormat.Cosign,
        Repository = "test",
        Subject = subject,
        SignatureManifest = Digest.Sha256Of(Encoding.UTF8.GetBytes("signature manifest of " + subject)),
        LayerIndex = 0,
        LayerDigest = Digest.Sha256Of(payload),
        MediaType = mediaType,
        Content = payload,
        Annotations = annotations,
    };

    public static Digest SignedDigest(ReadOnlyMemory<byte> payload)
    {
        using var document = JsonDocument.Parse(payload);
        return Digest.Parse(document.RootElement.GetProperty("critical").GetProperty("image").GetProperty("docker-manifest-digest").GetString());
    }

    public static FoundSignature WithAnnotation(this FoundSignature found, string name, string? value)
    {
        var annotations = new Dictionary<string, string>(found.Annotations, StringComparer.Ordinal);
        if (value is null) annotations.Remove(name);
        else annotations[name] = value;
        return found with { Annotations = annotations };
    }

    /// <summary>Rekor's public key. The vectors' <c>rekor.pub</c> is a dangling link (<c>../internal/testdata/rekor.pub</c>), so it is taken from the public-good trusted root, which lists the same log (id c0d23d6a…).</summary>
    public static string RekorPublicKeyPem()
    {
        using var document = JsonDocument.Parse(TestData.Text("signing", "cosign", "trusted_root_pgi.json"));
        var log = document.RootElement.GetProperty("tlogs").EnumerateArray().Single(l => l.GetProperty("baseUrl").GetString() == "https://rekor.sigstore.dev");
        return System.Security.Cryptography.PemEncoding.WriteString("PUBLIC KEY", log.GetProperty("publicKey").GetProperty("rawBytes").GetBytesFromBase64());
    }
}
