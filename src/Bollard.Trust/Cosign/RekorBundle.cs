using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Bollard.Trust.Keys;

namespace Bollard.Trust.Cosign;

/// <summary>
/// cosign's <c>dev.sigstore.cosign/bundle</c> annotation: a Rekor entry's signed entry timestamp (SET) and the fields it
/// signs (cosign SIGNATURE_SPEC.md, "bundle"). The SET is the log's signature over the canonical JSON of
/// <c>{"body","integratedTime","logID","logIndex"}</c> (keys sorted, no spaces: RFC 8785, as cosign's
/// <c>VerifySET</c> marshals <c>bundle.Payload</c>). It proves when the entry was integrated only if the entry is this
/// signature's: the body (a <c>hashedrekord</c> or <c>rekord</c> entry) must name the payload's hash, the same signature
/// bytes and the same key or certificate, or any SET copied from another entry would "prove" a time for this one.
/// </summary>
internal sealed record RekorBundle(byte[] SignedEntryTimestamp, string Body, long IntegratedTime, long LogIndex, string LogId)
{
    public const int MaxBytes = 1024 * 1024;

    public DateTimeOffset IntegratedAt => DateTimeOffset.FromUnixTimeSeconds(IntegratedTime);

    public static (RekorBundle? Bundle, string? Problem) Parse(string json)
    {
        if (json.Length > MaxBytes) return (null, $"the Rekor bundle is larger than {MaxBytes / 1024} KiB");
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, "the Rekor bundle is not a JSON object");
            if (!root.TryGetProperty(nameof(SignedEntryTimestamp), out var set) || set.ValueKind != JsonValueKind.String || !set.TryGetBytesFromBase64(out byte[]? setBytes))
                return (null, "the Rekor bundle has no base64 SignedEntryTimestamp");
            if (!root.TryGetProperty("Payload", out var payload) || payload.ValueKind != JsonValueKind.Object)
                return (null, "the Rekor bundle has no Payload");
            if (!payload.TryGetProperty("body", out var body) || body.ValueKind != JsonValueKind.String)
                return (null, "the Rekor bundle has no Payload.body");
            if (!payload.TryGetProperty("integratedTime", out var time) || !time.TryGetInt64(out long integrated) || integrated < 0)
                return (null, "the Rekor bundle has no integer Payload.integratedTime");
            if (!payload.TryGetProperty("logIndex", out var index) || !index.TryGetInt64(out long logIndex) || logIndex < 0)
                return (null, "the Rekor bundle has no integer Payload.logIndex");
            if (!payload.TryGetProperty("logID", out var logId) || logId.ValueKind != JsonValueKind.String)
                return (null, "the Rekor bundle has no Payload.logID");
            string bodyText = body.GetString()!;
            string logIdText = logId.GetString()!;
            // Both are written into the canonical JSON unescaped, so they must need no escaping.
            if (!bodyText.All(c => char.IsAsciiLetterOrDigit(c) || c is '+' or '/' or '='))
                return (null, "the Rekor bundle's Payload.body is not base64");
            if (logIdText.Length != 64 || !logIdText.All(char.IsAsciiHexDigitLower))
                return (null, "the Rekor bundle's Payload.logID is not a SHA-256 in lowercase hex");
            return (new RekorBundle(setBytes, bodyText, integrated, logIndex, logIdText), null);
        }
        catch (JsonException e)
        {
            return (null, $"the Rekor bundle is not valid JSON ({e.Message})");
        }
    }

    /// <summary>The bytes the SET signs.</summary>
    public byte[] CanonicalPayload() =>
        Encoding.UTF8.GetBytes($"{{\"body\":\"{Body}\",\"integratedTime\":{IntegratedTime},\"logID\":\"{LogId}\",\"logIndex\":{LogIndex}}}");

    /// <summary>Verifies the SET with the log that <see cref="LogId"/> names among <paramref name="logs"/>.</summary>
    /// <returns>The log's name when it verifies, and its integrated time is inside the log key's validity; otherwise null and why not.</returns>
    public (string? Log, string? Problem) VerifyTimestamp(IReadOnlyList<TrustedLog> logs)
    {
        var log = logs.FirstOrDefault(l => l.LogIdHex == LogId);
        if (log is null)
            return (null, logs.Count == 0 ? "no transparency-log key is configured" : $"its transparency log {LogId[..12]}… is not a trusted log");
        if (!log.Key.Verify(CanonicalPayload(), SignedEntryTimestamp, log.Options))
            return (null, $"its signed entry timestamp does not verify with the key of {log.Name}");
        if (!log.ValidFor.Contains(IntegratedAt))
            return (null, $"its integrated time {IntegratedAt:u} is outside the time {log.Name} is trusted ({log.ValidFor})");
        return (log.Name, null);
    }

    /// <summary>
    /// Checks that the entry is this signature's: its hash is the payload's, its signature the same bytes. Returns what
    /// the entry names as the signer (a certificate's DER, or a public key's fingerprint) for the caller to compare.
    /// </summary>
    public (EntrySigner? Signer, string? Problem) ReadEntry(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature)
    {
        try
        {
            byte[] bodyBytes = Convert.FromBase64String(Body);
            using var document = JsonDocument.Parse(bodyBytes, new JsonDocumentOptions { MaxDepth = 16 });
            var root = document.RootElement;
            string kind = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : "";
            if (kind is not ("hashedrekord" or "rekord"))
                return (null, $"its log entry is of kind '{SimpleSigningPayload.Shorten(kind)}', not a hashedrekord or rekord entry of a signature");
            if (!root.TryGetProperty("spec", out var spec) || spec.ValueKind != JsonValueKind.Object
                || !spec.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object
                || !data.TryGetProperty("hash", out var hash) || hash.ValueKind != JsonValueKind.Object
                || !hash.TryGetProperty("algorithm", out var algorithm) || algorithm.ValueKind != JsonValueKind.String
                || !hash.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.String)
                return (null, "its log entry names no hash of the signed data");
            byte[] expected = algorithm.GetString() switch
            {
                "sha256" => SHA256.HashData(payload),
                "sha384" => SHA384.HashData(payload),
                "sha512" => SHA512.HashData(payload),
                var other => throw new FormatException($"its log entry hashes with '{SimpleSigningPayload.Shorten(other ?? "")}', which is not accepted (sha256, sha384, sha512 are)"),
            };
            if (!string.Equals(value.GetString(), Convert.ToHexStringLower(expected), StringComparison.Ordinal))
                return (null, "its log entry is for other data (the hash differs from the payload's)");
            if (!spec.TryGetProperty("signature", out var sig) || sig.ValueKind != JsonValueKind.Object
                || !sig.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String
                || !content.TryGetBytesFromBase64(out byte[]? entrySignature))
                return (null, "its log entry has no signature");
            if (!entrySignature.AsSpan().SequenceEqual(signature))
                return (null, "its log entry is for another signature");
            if (!sig.TryGetProperty("publicKey", out var key) || key.ValueKind != JsonValueKind.Object
                || !key.TryGetProperty("content", out var keyContent) || keyContent.ValueKind != JsonValueKind.String
                || !keyContent.TryGetBytesFromBase64(out byte[]? keyPem))
                return (null, "its log entry names no public key");
            string pem = Encoding.UTF8.GetString(keyPem);
            if (pem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
                return (new EntrySigner(X509Certificate2.CreateFromPem(pem).RawData, null), null);
            return (new EntrySigner(null, VerificationKey.FromPem(pem).Fingerprint), null);
        }
        catch (Exception e) when (e is FormatException or JsonException or CryptographicException or ArgumentException)
        {
            return (null, e is FormatException && e.Message.StartsWith("its ", StringComparison.Ordinal) ? e.Message : $"its log entry is malformed ({e.Message})");
        }
    }
}

/// <summary>Who a Rekor entry says signed: a certificate (DER) or a bare key (SPKI fingerprint).</summary>
internal sealed record EntrySigner(byte[]? CertificateDer, string? KeyFingerprint)
{
    public bool Is(X509Certificate2 certificate) => CertificateDer is not null && certificate.RawDataMemory.Span.SequenceEqual(CertificateDer);

    public bool Is(VerificationKey key) => KeyFingerprint == key.Fingerprint;
}

/// <summary>A transparency log trusted to timestamp: its key, how it signs, and when it may be trusted.</summary>
internal sealed record TrustedLog(string Name, VerificationKey Key, SignatureOptions Options, Sigstore.ValidityPeriod ValidFor)
{
    /// <summary>Rekor's log id: SHA-256 of the log key's SubjectPublicKeyInfo, lowercase hex (as the bundle's <c>logID</c>).</summary>
    public string LogIdHex { get; init; } = Key.Fingerprint;
}
