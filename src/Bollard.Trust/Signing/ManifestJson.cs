using System.Text.Encodings.Web;
using System.Text.Json;

namespace Bollard.Trust.Signing;

internal static class ManifestJson
{
    /// <summary>
    /// Manifests are written as Go's encoding/json writes them (cosign, notation, ORAS): <c>+</c> and <c>/</c> in media
    /// types and base64 stay literal instead of System.Text.Json's default <c>\u002B</c>. Never embedded in HTML.
    /// </summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
