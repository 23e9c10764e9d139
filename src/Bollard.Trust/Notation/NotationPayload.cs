using System.Text.Json;
using Bollard.Core.Oci;

namespace Bollard.Trust.Notation;

/// <summary>
/// The Notation signature payload (signature-specification.md, "Payload"): <c>{"targetArtifact": descriptor}</c>. Only
/// the digest decides what was signed; media type and size are reported.
/// </summary>
internal static class NotationPayload
{
    /// <returns>The target digest, or null and why the payload names none.</returns>
    public static (Digest? Digest, string? Problem) ReadTarget(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        try
        {
            using var document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 16 });
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("targetArtifact", out var target) || target.ValueKind != JsonValueKind.Object)
                return (null, "the signed payload has no targetArtifact object");
            if (!target.TryGetProperty("digest", out var digest) || digest.ValueKind != JsonValueKind.String)
                return (null, "the signed payload's targetArtifact has no digest");
            return Digest.TryParse(digest.GetString(), out var parsed, out string? problem)
                ? (parsed, null)
                : (null, $"the signed payload's targetArtifact digest is invalid: {problem}");
        }
        catch (JsonException e)
        {
            return (null, $"the signed payload is not JSON: {e.Message}");
        }
    }
}
