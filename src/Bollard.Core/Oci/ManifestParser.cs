using System.Text.Json;

namespace Bollard.Core.Oci;

/// <summary>
/// Validates a manifest body the way a registry must before storing it: well-formed JSON object,
/// <c>schemaVersion</c> 2, a known manifest media type that agrees with <c>Content-Type</c>, and well-formed
/// descriptors. Every failure is <c>MANIFEST_INVALID</c> with a detail that says what is wrong.
/// </summary>
public static class ManifestParser
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 64, AllowTrailingCommas = false };

    public static ParsedManifest Parse(ReadOnlyMemory<byte> body, string? contentType)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(body, Options); }
        catch (JsonException e) { throw Invalid($"body is not valid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Invalid("manifest must be a JSON object");

            string? declared = OptionalString(root, "mediaType");
            string? header = MediaTypes.WithoutParameters(contentType);
            if (header is "" or "application/octet-stream" or "application/json") header = null;
            if (declared is not null && header is not null && declared != header)
                throw Invalid($"Content-Type '{header}' does not match the manifest's mediaType '{declared}'");
            string mediaType = declared ?? header ?? Infer(root)
                ?? throw Invalid("manifest has no mediaType and the request has no manifest Content-Type");

            if (mediaType is MediaTypes.DockerSchema1 or MediaTypes.DockerSchema1Signed)
                throw Invalid("Docker schema 1 manifests are deprecated and not accepted; push schema 2 or OCI");
            if (!MediaTypes.IsManifest(mediaType))
                throw Invalid($"unsupported manifest media type '{mediaType}'");

            if (!root.TryGetProperty("schemaVersion", out var sv) || sv.ValueKind != JsonValueKind.Number
                || !sv.TryGetInt32(out int version) || version != 2)
                throw Invalid("schemaVersion must be 2");

            var annotations = Annotations(root, "manifest");
            string? artifactType = OptionalString(root, "artifactType");
            if (artifactType is not null && !MediaTypes.IsWellFormed(artifactType))
                throw Invalid($"artifactType '{artifactType}' is not a valid media type");
            var subject = root.TryGetProperty("subject", out var s) && s.ValueKind != JsonValueKind.Null
                ? ParseDescriptor(s, "subject") : null;

            if (MediaTypes.IsIndex(mediaType))
            {
                if (root.TryGetProperty("layers", out _) || root.TryGetProperty("config", out _))
                    throw Invalid("an index must not have config or layers");
                return new ParsedManifest
                {
                    MediaType = mediaType,
                    Manifests = DescriptorArray(root, "manifests", required: true),
                    Subject = subject,
                    ArtifactType = artifactType,
                    Annotations = annotations,
                };
            }

            if (!root.TryGetProperty("config", out var config)) throw Invalid("image manifest has no config");
            if (root.TryGetProperty("manifests", out _)) throw Invalid("an image manifest must not have manifests");
            var parsed = new ParsedManifest
            {
                MediaType = mediaType,
                Config = ParseDescriptor(config, "config"),
                Layers = DescriptorArray(root, "layers", required: mediaType == MediaTypes.DockerManifest),
                Subject = subject,
                ArtifactType = artifactType,
                Annotations = annotations,
            };
            // image-spec manifest.md: artifactType is set when config is the empty descriptor.
            return parsed;
        }
    }

    /// <summary>A body without mediaType and without a telling Content-Type: guess from its shape (old OCI clients).</summary>
    private static string? Infer(JsonElement root)
    {
        if (root.TryGetProperty("manifests", out _)) return MediaTypes.OciIndex;
        if (root.TryGetProperty("config", out _)) return MediaTypes.OciManifest;
        return null;
    }

    private static List<Descriptor> DescriptorArray(JsonElement root, string name, bool required)
    {
        if (!root.TryGetProperty(name, out var array) || array.ValueKind == JsonValueKind.Null)
        {
            if (required) throw Invalid($"'{name}' is missing");
            return [];
        }
        if (array.ValueKind != JsonValueKind.Array) throw Invalid($"'{name}' must be an array");
        var list = new List<Descriptor>(array.GetArrayLength());
        int i = 0;
        foreach (var item in array.EnumerateArray())
            list.Add(ParseDescriptor(item, $"{name}[{i++}]"));
        return list;
    }

    private static Descriptor ParseDescriptor(JsonElement e, string where)
    {
        if (e.ValueKind != JsonValueKind.Object) throw Invalid($"{where} must be a descriptor object");
        string mediaType = OptionalString(e, "mediaType") ?? throw Invalid($"{where}.mediaType is missing");
        if (!MediaTypes.IsWellFormed(mediaType)) throw Invalid($"{where}.mediaType '{mediaType}' is not a valid media type");
        string digestText = OptionalString(e, "digest") ?? throw Invalid($"{where}.digest is missing");
        if (!Digest.TryParse(digestText, out var digest, out var problem)) throw Invalid($"{where}.digest: {problem}");
        if (!e.TryGetProperty("size", out var sizeEl) || sizeEl.ValueKind != JsonValueKind.Number
            || !sizeEl.TryGetInt64(out long size) || size < 0)
            throw Invalid($"{where}.size must be a non-negative integer");
        string? artifactType = OptionalString(e, "artifactType");
        List<string>? urls = null;
        if (e.TryGetProperty("urls", out var u) && u.ValueKind == JsonValueKind.Array)
            urls = u.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : throw Invalid($"{where}.urls must be strings")).ToList();
        return new Descriptor(mediaType, digest, size)
        {
            ArtifactType = artifactType,
            Annotations = Annotations(e, where),
            Urls = urls,
        };
    }

    private static Dictionary<string, string>? Annotations(JsonElement e, string where)
    {
        if (!e.TryGetProperty("annotations", out var a) || a.ValueKind == JsonValueKind.Null) return null;
        if (a.ValueKind != JsonValueKind.Object) throw Invalid($"{where}.annotations must be an object");
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in a.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String) throw Invalid($"{where}.annotations['{p.Name}'] must be a string");
            map[p.Name] = p.Value.GetString()!;
        }
        return map;
    }

    private static string? OptionalString(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw Invalid($"'{name}' must be a string");
        return v.GetString();
    }

    private static OciException Invalid(string detail) => new(OciErrors.ManifestInvalid, detail);
}
