using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Signing;

/// <summary>
/// A signature as an OCI 1.1 referrer (image-spec manifest.md "Guidelines for Artifact Usage", as Notation and
/// <c>@sigstore/oci</c> write it): the empty config, the envelope as the only layer, <c>subject</c> the image, the
/// artifact type and the producer's annotations. And the referrers tag-schema fallback index
/// (<c>&lt;alg&gt;-&lt;hex&gt;</c>) for registries without the referrers API.
/// </summary>
internal static class ReferrerManifest
{
    /// <summary>The OCI empty descriptor's content.</summary>
    public static readonly byte[] EmptyConfig = "{}"u8.ToArray();

    public static byte[] Build(ReferrerArtifact artifact, SigningInput subject)
    {
        var emptyDigest = Digest.Sha256Of(EmptyConfig);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, ManifestJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", MediaTypes.OciManifest);
            json.WriteString("artifactType", artifact.ArtifactType);
            json.WriteStartObject("config");
            json.WriteString("mediaType", MediaTypes.OciEmpty);
            json.WriteString("digest", emptyDigest.ToString());
            json.WriteNumber("size", EmptyConfig.Length);
            json.WriteEndObject();
            json.WriteStartArray("layers");
            json.WriteStartObject();
            json.WriteString("mediaType", artifact.LayerMediaType);
            json.WriteString("digest", Digest.Sha256Of(artifact.Envelope).ToString());
            json.WriteNumber("size", artifact.Envelope.Length);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteStartObject("subject");
            json.WriteString("mediaType", subject.ManifestMediaType);
            json.WriteString("digest", subject.Manifest.ToString());
            json.WriteNumber("size", subject.ManifestSize);
            json.WriteEndObject();
            if (artifact.ManifestAnnotations.Count > 0)
            {
                json.WriteStartObject("annotations");
                foreach (var (key, value) in artifact.ManifestAnnotations.OrderBy(a => a.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>The fallback tag of an image's referrers: <c>&lt;alg&gt;-&lt;hex&gt;</c>.</summary>
    public static string FallbackTagFor(Digest image) => $"{image.Algorithm.Name}-{image.Hex}";

    /// <summary>The fallback index with the referrer's descriptor added (other entries byte-exact).</summary>
    /// <returns>null when the index lists it already.</returns>
    /// <exception cref="SignatureAttachException">The tag holds no index, or the cap is reached.</exception>
    public static byte[]? AppendToIndex(byte[]? existing, ReferrerArtifact artifact, Digest referrer, long size, SignatureAttacherOptions options, string tag)
    {
        var raw = new List<string>();
        var others = new List<(string Name, string Raw)>();
        if (existing is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(existing);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("manifests", out var manifests) || manifests.ValueKind != JsonValueKind.Array)
                    throw new SignatureAttachException($"{tag} holds no image index, so it is not a referrers fallback index; delete it before signing");
                foreach (var m in manifests.EnumerateArray())
                {
                    if (m.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String && d.GetString() == referrer.ToString()) return null;
                    raw.Add(m.GetRawText());
                }
                foreach (var p in root.EnumerateObject())
                    if (p.Name is not ("schemaVersion" or "mediaType" or "manifests")) others.Add((p.Name, p.Value.GetRawText()));
            }
            catch (JsonException e)
            {
                throw new SignatureAttachException($"{tag} is not JSON ({e.Message}); delete it before signing", e);
            }
        }
        if (raw.Count >= options.MaxSignatureLayers)
            throw new SignatureAttachException($"{tag} already lists {raw.Count} referrers, the most allowed (Trust:Signing:MaxSignatureLayers)");
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, ManifestJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", MediaTypes.OciIndex);
            json.WriteStartArray("manifests");
            foreach (var r in raw) json.WriteRawValue(r, skipInputValidation: true);
            json.WriteStartObject();
            json.WriteString("mediaType", MediaTypes.OciManifest);
            json.WriteString("digest", referrer.ToString());
            json.WriteNumber("size", size);
            json.WriteString("artifactType", artifact.ArtifactType);
            if (artifact.ManifestAnnotations.Count > 0)
            {
                json.WriteStartObject("annotations");
                foreach (var (key, value) in artifact.ManifestAnnotations.OrderBy(a => a.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndArray();
            foreach (var (name, value) in others)
            {
                json.WritePropertyName(name);
                json.WriteRawValue(value, skipInputValidation: true);
            }
            json.WriteEndObject();
        }
        byte[] body = buffer.ToArray();
        if (body.Length > options.MaxManifestBytes)
            throw new SignatureAttachException($"{tag} would be {body.Length} bytes, over the limit of {options.MaxManifestBytes} bytes");
        return body;
    }
}
