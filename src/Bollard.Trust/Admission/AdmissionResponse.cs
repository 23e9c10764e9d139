using System.Buffers;
using System.Text.Json;

namespace Bollard.Trust.Admission;

/// <summary>
/// Writes the AdmissionReview response (extensible-admission-controllers, "Response"): the request's
/// <c>apiVersion</c>, <c>kind: AdmissionReview</c>, <c>response.uid</c> echoed, <c>allowed</c>, a <c>status</c> with the
/// readable message (403 Forbidden when denied), <c>warnings</c>, and for the mutating endpoint the base64 JSON
/// Patch with <c>patchType: JSONPatch</c>.
/// </summary>
public static class AdmissionResponse
{
    public static byte[] Write(string apiVersion, string uid, AdmissionVerdict verdict)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", apiVersion);
            w.WriteString("kind", "AdmissionReview");
            w.WriteStartObject("response");
            w.WriteString("uid", uid);
            w.WriteBoolean("allowed", verdict.Allowed);
            w.WriteStartObject("status");
            if (verdict.Allowed)
            {
                w.WriteString("status", "Success");
                w.WriteNumber("code", 200);
            }
            else
            {
                w.WriteString("status", "Failure");
                w.WriteString("reason", "Forbidden");
                w.WriteNumber("code", 403);
            }
            w.WriteString("message", verdict.Message);
            w.WriteEndObject();
            if (verdict.Warnings.Count > 0)
            {
                w.WriteStartArray("warnings");
                foreach (string warning in verdict.Warnings) w.WriteStringValue(warning);
                w.WriteEndArray();
            }
            if (verdict.Patch.Count > 0)
            {
                w.WriteString("patchType", "JSONPatch");
                w.WriteBase64String("patch", JsonPatch(verdict.Patch));
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The RFC 6902 document: one <c>replace</c> per image field (the pointers hold only names and indexes: no escaping needed).</summary>
    public static byte[] JsonPatch(IReadOnlyList<PatchOperation> operations)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            foreach (var op in operations)
            {
                w.WriteStartObject();
                w.WriteString("op", "replace");
                w.WriteString("path", op.Path);
                w.WriteString("value", op.Value);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
