using System.Globalization;
using System.Text.Json;
using Bollard.Trust.Certificates;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Sigstore;

/// <summary>
/// Signs an image as cosign v3 does: a v0.3 Sigstore bundle holding a DSSE envelope over an in-toto v1 statement whose
/// subject is the image (name <c>registry/repository</c>, its sha256 digest) with predicate type
/// <c>https://sigstore.dev/cosign/sign/v1</c> and an empty predicate, attached as an OCI 1.1 referrer
/// (BUNDLE_SPEC.md: artifact type and layer media type <c>application/vnd.dev.sigstore.bundle.v0.3+json</c>). The
/// verification material is the signer's certificate when it has one, otherwise a public-key hint (base64 SHA-256 of the
/// key). Offline: no transparency log entry, no timestamp. Pure CPU, thread-safe.
/// </summary>
public sealed class SigstoreBundleProducer : ISignatureProducer
{
    public const string ContentAnnotation = "dev.sigstore.bundle.content";
    public const string PredicateTypeAnnotation = "dev.sigstore.bundle.predicateType";
    public const string CreatedAnnotation = "org.opencontainers.image.created";

    public SignatureFormat Format => SignatureFormat.SigstoreBundle;

    public SignatureArtifact Create(SigningInput input, ISigner signer)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(signer);
        byte[] statement = Statement(input);
        byte[] signature = signer.Sign(BundleDsseEnvelope.Pae(InTotoStatement.PayloadType, statement));

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("mediaType", SigstoreBundle.MediaTypeV03);
            writer.WriteStartObject("verificationMaterial");
            if (signer.CertificateChainPem.Count > 0)
            {
                var loaded = CertificateChains.LoadPem(signer.CertificateChainPem[0]);
                using var leaf = (loaded.Count > 0 ? loaded[0] : null) ?? throw new FormatException("the signer's certificate chain does not start with a PEM certificate");
                writer.WriteStartObject("certificate");
                writer.WriteBase64String("rawBytes", leaf.RawData);
                writer.WriteEndObject();
            }
            else
            {
                writer.WriteStartObject("publicKey");
                writer.WriteString("hint", KeyHint(signer.KeyFingerprint));
                writer.WriteEndObject();
            }
            writer.WriteStartArray("tlogEntries");
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteStartObject("dsseEnvelope");
            writer.WriteBase64String("payload", statement);
            writer.WriteString("payloadType", InTotoStatement.PayloadType);
            writer.WriteStartArray("signatures");
            writer.WriteStartObject();
            writer.WriteBase64String("sig", signature);
            writer.WriteString("keyid", "");
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        var annotations = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ContentAnnotation] = "dsse-envelope",
            [PredicateTypeAnnotation] = InTotoStatement.CosignSignPredicate,
            [CreatedAnnotation] = input.Now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        };
        return new ReferrerArtifact(SignatureFormat.SigstoreBundle, SigstoreBundle.MediaTypeV03, SigstoreBundle.MediaTypeV03, buffer.ToArray(), annotations);
    }

    /// <summary>The key hint cosign writes: base64 of the SHA-256 of the key's SubjectPublicKeyInfo.</summary>
    public static string KeyHint(string keyFingerprintHex) => Convert.ToBase64String(Convert.FromHexString(keyFingerprintHex));

    /// <summary>The in-toto v1 statement naming the image; the signer's extra annotations ride on the subject.</summary>
    private static byte[] Statement(SigningInput input)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("_type", InTotoStatement.StatementV1);
            writer.WriteStartArray("subject");
            writer.WriteStartObject();
            writer.WriteString("name", string.IsNullOrEmpty(input.Registry) ? input.Repository : $"{input.Registry}/{input.Repository}");
            writer.WriteStartObject("digest");
            writer.WriteString(input.Manifest.Algorithm.Name, input.Manifest.Hex);
            writer.WriteEndObject();
            if (input.Annotations.Count > 0)
            {
                writer.WriteStartObject("annotations");
                foreach (var (key, value) in input.Annotations.OrderBy(a => a.Key, StringComparer.Ordinal)) writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteString("predicateType", InTotoStatement.CosignSignPredicate);
            writer.WriteStartObject("predicate");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
