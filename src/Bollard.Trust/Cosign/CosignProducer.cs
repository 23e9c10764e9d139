using System.Text.Json;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Cosign;

/// <summary>
/// Makes one more layer of an image's <c>sha256-&lt;hex&gt;.sig</c> manifest, as <c>cosign sign</c> does: the
/// simple-signing payload (compact JSON, members in cosign's order, <c>optional</c> null unless annotations were asked
/// for), its signature in <c>dev.cosignproject.cosign/signature</c> (base64), and the signer's certificate and chain
/// when it signs with one. No Rekor bundle: Bollard signs offline. Pure CPU, thread-safe.
/// </summary>
public sealed class CosignProducer : ISignatureProducer
{
    public SignatureFormat Format => SignatureFormat.Cosign;

    public SignatureArtifact Create(SigningInput input, ISigner signer)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(signer);
        byte[] payload = Payload(input);
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [CosignAnnotations.Signature] = Convert.ToBase64String(signer.Sign(payload)),
        };
        if (signer.CertificateChainPem.Count > 0)
        {
            annotations[CosignAnnotations.Certificate] = WithNewline(signer.CertificateChainPem[0]);
            if (signer.CertificateChainPem.Count > 1)
                annotations[CosignAnnotations.Chain] = string.Concat(signer.CertificateChainPem.Skip(1).Select(WithNewline));
        }
        return new CosignLayer(payload, annotations);
    }

    /// <summary>
    /// <c>{"critical":{"identity":{"docker-reference":"REGISTRY/REPO"},"image":{"docker-manifest-digest":"sha256:…"},"type":"cosign container image signature"},"optional":…}</c>.
    /// The reference is the repository without tag or digest (cosign's default), under the registry host when one is given.
    /// </summary>
    internal static byte[] Payload(SigningInput input)
    {
        string reference = string.IsNullOrEmpty(input.Registry) ? input.Repository : $"{input.Registry.TrimEnd('/')}/{input.Repository}";
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("critical");
            json.WriteStartObject("identity");
            json.WriteString("docker-reference", reference);
            json.WriteEndObject();
            json.WriteStartObject("image");
            json.WriteString("docker-manifest-digest", input.Manifest.ToString());
            json.WriteEndObject();
            json.WriteString("type", CosignAnnotations.CosignType);
            json.WriteEndObject();
            if (input.Annotations.Count == 0)
            {
                json.WriteNull("optional");
            }
            else
            {
                json.WriteStartObject("optional");
                foreach (var (key, value) in input.Annotations.OrderBy(a => a.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static string WithNewline(string pem) => pem.EndsWith('\n') ? pem : pem + "\n";
}
