using System.Text.Json;

namespace Bollard.Trust.Cosign;

/// <summary>
/// The simple-signing payload cosign signs (containers-signature.5.md, "JSON Data Format"), read strictly: the top level
/// has exactly <c>critical</c> and <c>optional</c> (cosign writes <c>"optional":null</c>); <c>critical</c>,
/// <c>critical.image</c> and <c>critical.identity</c> hold exactly the members the spec defines, each once (a duplicated
/// member could be read one way here and another way by a different verifier), so unknown critical data is refused as the
/// spec requires. Only parsed after the caller bounded the bytes; never re-serialized.
/// </summary>
internal sealed record SimpleSigningPayload(string Type, string ManifestDigest, string DockerReference)
{
    /// <summary>The payload cosign reads is small; anything past this is not a signature payload.</summary>
    public const int MaxBytes = 1024 * 1024;

    public static (SimpleSigningPayload? Payload, string? Problem) Parse(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxBytes) return (null, $"the payload is {utf8.Length} bytes, more than the {MaxBytes / 1024} KiB a simple-signing payload may have");
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = 16 });
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, "the payload is not a JSON object");
            if (Members(root, "payload", ["critical", "optional"]) is { } topProblem) return (null, topProblem);
            if (!root.TryGetProperty("critical", out var critical) || critical.ValueKind != JsonValueKind.Object)
                return (null, "the payload has no critical object");
            if (root.TryGetProperty("optional", out var optional) && optional.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
                return (null, "the payload's optional member is neither an object nor null");
            if (Members(critical, "critical", ["type", "image", "identity"]) is { } criticalProblem) return (null, criticalProblem);

            if (!critical.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String)
                return (null, "the payload has no critical.type");
            string typeValue = type.GetString()!;
            if (typeValue is not (CosignAnnotations.CosignType or CosignAnnotations.AtomicType))
                return (null, $"the payload's critical.type is '{Shorten(typeValue)}', not '{CosignAnnotations.CosignType}'");

            if (!critical.TryGetProperty("image", out var image) || image.ValueKind != JsonValueKind.Object)
                return (null, "the payload has no critical.image object");
            if (Members(image, "critical.image", ["docker-manifest-digest"]) is { } imageProblem) return (null, imageProblem);
            if (!image.TryGetProperty("docker-manifest-digest", out var digest) || digest.ValueKind != JsonValueKind.String)
                return (null, "the payload has no critical.image.docker-manifest-digest");

            if (!critical.TryGetProperty("identity", out var identity) || identity.ValueKind != JsonValueKind.Object)
                return (null, "the payload has no critical.identity object");
            if (Members(identity, "critical.identity", ["docker-reference"]) is { } identityProblem) return (null, identityProblem);
            if (!identity.TryGetProperty("docker-reference", out var reference) || reference.ValueKind != JsonValueKind.String)
                return (null, "the payload has no critical.identity.docker-reference");

            return (new SimpleSigningPayload(typeValue, digest.GetString()!, reference.GetString()!), null);
        }
        catch (JsonException e)
        {
            return (null, $"the payload is not valid JSON ({e.Message})");
        }
    }

    /// <summary>A problem when <paramref name="element"/> has a member not in <paramref name="allowed"/>, or one twice.</summary>
    private static string? Members(JsonElement element, string where, string[] allowed)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!allowed.Contains(property.Name, StringComparer.Ordinal))
                return $"the payload's {where} has an unknown member '{Shorten(property.Name)}', which a verifier must refuse";
            if (!seen.Add(property.Name)) return $"the payload's {where} has '{property.Name}' twice";
        }
        return null;
    }

    internal static string Shorten(string value) => value.Length <= 100 ? value : value[..100] + "…";
}
