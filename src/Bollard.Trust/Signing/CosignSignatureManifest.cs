using System.Text.Json;
using Bollard.Core.Oci;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Signing;

/// <summary>
/// The cosign tag scheme's signature manifest (<c>sha256-&lt;hex&gt;.sig</c>, cosign SIGNATURE_SPEC.md): an OCI image
/// manifest with one layer per signature (the simple-signing payload; the signature and certificates in the layer's
/// annotations) and the config cosign writes through go-containerregistry's <c>empty.Image</c> plus appended layers:
/// <code>
/// {"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"},…],"os":"",
///  "rootfs":{"type":"layers","diff_ids":["sha256:…",…]},"config":{}}
/// </code>
/// Appending keeps every existing layer descriptor byte-exact (its raw JSON is copied, never re-serialized) and every
/// other top-level member; only <c>config</c> (its diff_ids follow the layers) and <c>layers</c> change.
/// </summary>
internal static class CosignSignatureManifest
{
    public const string PayloadMediaType = "application/vnd.dev.cosign.simplesigning.v1+json";
    public const string SignatureAnnotation = "dev.cosignproject.cosign/signature";
    private const string ConfigMediaType = "application/vnd.oci.image.config.v1+json";

    /// <summary>The <c>.sig</c> tag of an image: <c>&lt;alg&gt;-&lt;hex&gt;.sig</c>.</summary>
    public static string TagFor(Digest image) => $"{image.Algorithm.Name}-{image.Hex}.sig";

    /// <summary>The manifest with <paramref name="layer"/> appended, and the config blob it names.</summary>
    /// <param name="existing">The current <c>.sig</c> manifest, or null to start one.</param>
    /// <returns>null when an identical signature (same payload digest, same signature annotation) is already there.</returns>
    /// <exception cref="SignatureAttachException">The tag holds no image manifest, or the cap of layers or bytes is reached.</exception>
    public static (byte[] Manifest, byte[] Config)? Append(byte[]? existing, CosignLayer layer, SignatureAttacherOptions options, string tag)
    {
        var payloadDigest = Digest.Sha256Of(layer.Payload);
        layer.Annotations.TryGetValue(SignatureAnnotation, out var signature);
        var rawLayers = new List<string>();
        var diffIds = new List<string>();
        var others = new List<(string Name, string Raw)>();
        string configMediaType = ConfigMediaType;
        string mediaType = MediaTypes.OciManifest;
        if (existing is not null)
        {
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(existing);
            }
            catch (JsonException e)
            {
                throw new SignatureAttachException($"{tag} is not JSON ({e.Message}); delete it or fix it before signing", e);
            }
            using (doc)
            {
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
                    throw new SignatureAttachException($"{tag} holds no image manifest with layers (an index?), so it is not a cosign signature manifest; delete it before signing");
                if (root.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String)
                    mediaType = mt.GetString()!;
                if (mediaType is not (MediaTypes.OciManifest or MediaTypes.DockerManifest))
                    throw new SignatureAttachException($"{tag} holds a {mediaType}, not a cosign signature manifest");
                if (root.TryGetProperty("config", out var config) && config.TryGetProperty("mediaType", out var cmt) && cmt.ValueKind == JsonValueKind.String)
                    configMediaType = cmt.GetString()!;
                foreach (var l in layers.EnumerateArray())
                {
                    string? digest = l.TryGetProperty("digest", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
                    if (digest is null) throw new SignatureAttachException($"{tag} has a layer without a digest; delete it before signing");
                    if (digest == payloadDigest.ToString() && signature is not null && l.TryGetProperty("annotations", out var a)
                        && a.ValueKind == JsonValueKind.Object && a.TryGetProperty(SignatureAnnotation, out var s) && s.ValueKind == JsonValueKind.String && s.GetString() == signature)
                        return null;
                    rawLayers.Add(l.GetRawText());
                    diffIds.Add(digest);
                }
                foreach (var p in root.EnumerateObject())
                    if (p.Name is not ("schemaVersion" or "mediaType" or "config" or "layers")) others.Add((p.Name, p.Value.GetRawText()));
            }
        }
        if (rawLayers.Count >= options.MaxSignatureLayers)
            throw new SignatureAttachException($"{tag} already holds {rawLayers.Count} signatures, the most allowed (Trust:Signing:MaxSignatureLayers); remove old signatures first");

        rawLayers.Add(LayerDescriptor(layer, payloadDigest));
        diffIds.Add(payloadDigest.ToString());
        byte[] configBytes = Config(diffIds);
        byte[] manifest = Write(mediaType, configMediaType, configBytes, rawLayers, others);
        if (manifest.Length > options.MaxManifestBytes)
            throw new SignatureAttachException($"{tag} would be {manifest.Length} bytes with this signature, over the limit of {options.MaxManifestBytes} bytes; remove old signatures first");
        return (manifest, configBytes);
    }

    /// <summary>The simple-signing layer's descriptor as cosign writes it (mediaType, size, digest, annotations in key order).</summary>
    private static string LayerDescriptor(CosignLayer layer, Digest digest)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, ManifestJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("mediaType", PayloadMediaType);
            json.WriteNumber("size", layer.Payload.Length);
            json.WriteString("digest", digest.ToString());
            if (layer.Annotations.Count > 0)
            {
                json.WriteStartObject("annotations");
                foreach (var (key, value) in layer.Annotations.OrderBy(a => a.Key, StringComparer.Ordinal)) json.WriteString(key, value);
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static byte[] Config(List<string> diffIds)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, ManifestJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("architecture", "");
            json.WriteString("created", "0001-01-01T00:00:00Z");
            json.WriteStartArray("history");
            foreach (var _ in diffIds)
            {
                json.WriteStartObject();
                json.WriteString("created", "0001-01-01T00:00:00Z");
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteString("os", "");
            json.WriteStartObject("rootfs");
            json.WriteString("type", "layers");
            json.WriteStartArray("diff_ids");
            foreach (var d in diffIds) json.WriteStringValue(d);
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteStartObject("config");
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static byte[] Write(string mediaType, string configMediaType, byte[] config, List<string> rawLayers, List<(string Name, string Raw)> others)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, ManifestJson.WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("schemaVersion", 2);
            json.WriteString("mediaType", mediaType);
            json.WriteStartObject("config");
            json.WriteString("mediaType", configMediaType);
            json.WriteNumber("size", config.Length);
            json.WriteString("digest", Digest.Sha256Of(config).ToString());
            json.WriteEndObject();
            json.WritePropertyName("layers");
            json.WriteStartArray();
            foreach (var raw in rawLayers) json.WriteRawValue(raw, skipInputValidation: true);
            json.WriteEndArray();
            foreach (var (name, raw) in others)
            {
                json.WritePropertyName(name);
                json.WriteRawValue(raw, skipInputValidation: true);
            }
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
