using System.Security.Cryptography.X509Certificates;
using System.Text.Json;

namespace Bollard.Trust.Sigstore;

/// <summary>
/// A Sigstore bundle (protobuf-specs <c>dev.sigstore.bundle.v1.Bundle</c>, v0.1 to v0.3): what was signed (a message
/// signature or a DSSE envelope) and the material that proves who signed it and when (a certificate or a public-key hint,
/// transparency log entries, RFC 3161 timestamps). Parsed from the stored bytes; nothing is re-serialized.
/// </summary>
public sealed class SigstoreBundle
{
    public const string MediaTypeV01 = "application/vnd.dev.sigstore.bundle+json;version=0.1";
    public const string MediaTypeV02 = "application/vnd.dev.sigstore.bundle+json;version=0.2";
    public const string MediaTypeV03 = "application/vnd.dev.sigstore.bundle.v0.3+json";

    /// <summary>The largest bundle accepted (a DSSE envelope may carry an SBOM attestation).</summary>
    public const int MaxBytes = 8 * 1024 * 1024;

    public const int MaxTlogEntries = 16;
    public const int MaxCertificates = 10;
    public const int MaxTimestamps = 8;
    public const int MaxDsseSignatures = 8;
    public const int MaxProofHashes = 64;

    private SigstoreBundle(string mediaType, int minorVersion, BundleVerificationMaterial material, BundleMessageSignature? message, BundleDsseEnvelope? dsse)
    {
        MediaType = mediaType;
        MinorVersion = minorVersion;
        VerificationMaterial = material;
        MessageSignature = message;
        DsseEnvelope = dsse;
    }

    public string MediaType { get; }

    /// <summary>1, 2 or 3 (v0.1, v0.2, v0.3).</summary>
    public int MinorVersion { get; }

    public BundleVerificationMaterial VerificationMaterial { get; }

    /// <summary>Set when the bundle signs a message digest; exactly one of this and <see cref="DsseEnvelope"/> is set.</summary>
    public BundleMessageSignature? MessageSignature { get; }

    public BundleDsseEnvelope? DsseEnvelope { get; }

    /// <summary>What the bundle's manifest annotation <c>dev.sigstore.bundle.content</c> says for it.</summary>
    public string ContentKind => DsseEnvelope is not null ? "dsse-envelope" : "message-signature";

    /// <summary>The bytes the signature was made over as the bundle holds them: the DSSE envelope's signature or the message signature.</summary>
    public IReadOnlyList<byte[]> Signatures => DsseEnvelope is { } d ? d.Signatures.Select(s => s.Signature).ToList() : [MessageSignature!.Signature];

    /// <exception cref="FormatException">Not a Sigstore bundle Bollard can read; the message names the field.</exception>
    public static SigstoreBundle Parse(ReadOnlyMemory<byte> utf8Json)
    {
        if (utf8Json.Length > MaxBytes) throw new FormatException($"the bundle is larger than {MaxBytes} bytes");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, SigstoreJson.DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the bundle is not JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the bundle is not a JSON object");
            string mediaType = SigstoreJson.String(root, "mediaType", "bundle", 256);
            int minor = mediaType switch
            {
                MediaTypeV01 => 1,
                MediaTypeV02 => 2,
                MediaTypeV03 or "application/vnd.dev.sigstore.bundle+json;version=0.3" => 3,
                _ => throw new FormatException($"bundle media type '{mediaType}' is not supported (v0.1, v0.2 and v0.3 are)"),
            };
            var material = ParseMaterial(SigstoreJson.Object(root, "verificationMaterial", "bundle"), minor);
            var messageElement = SigstoreJson.OptionalObject(root, "messageSignature", "bundle");
            var dsseElement = SigstoreJson.OptionalObject(root, "dsseEnvelope", "bundle");
            if (messageElement is not null && dsseElement is not null) throw new FormatException("the bundle has both a messageSignature and a dsseEnvelope");
            if (messageElement is null && dsseElement is null) throw new FormatException("the bundle has neither a messageSignature nor a dsseEnvelope");
            return new SigstoreBundle(mediaType, minor, material,
                messageElement is { } m ? ParseMessage(m) : null,
                dsseElement is { } d ? ParseDsse(d) : null);
        }
    }

    /// <summary>Like <see cref="Parse"/>, with the reason instead of an exception.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> utf8Json, out SigstoreBundle? bundle, out string? problem)
    {
        bundle = null;
        problem = null;
        try
        {
            bundle = Parse(utf8Json);
            return true;
        }
        catch (FormatException e)
        {
            problem = e.Message;
            return false;
        }
    }

    private static BundleVerificationMaterial ParseMaterial(JsonElement element, int minor)
    {
        const string path = "bundle.verificationMaterial";
        var certificates = new List<X509Certificate2>();
        string? hint = null;
        bool hasKey = false;
        int kinds = 0;
        if (SigstoreJson.OptionalObject(element, "publicKey", path) is { } key)
        {
            kinds++;
            hasKey = true;
            hint = SigstoreJson.OptionalString(key, "hint", path + ".publicKey", 1024);
        }
        if (SigstoreJson.OptionalObject(element, "x509CertificateChain", path) is { } chain)
        {
            kinds++;
            var raw = SigstoreJson.Array(chain, "certificates", path + ".x509CertificateChain", MaxCertificates);
            if (raw.Count == 0) throw new FormatException($"{path}.x509CertificateChain.certificates is empty");
            for (int i = 0; i < raw.Count; i++)
            {
                string at = $"{path}.x509CertificateChain.certificates[{i}]";
                certificates.Add(TrustedRoot.LoadCertificate(SigstoreJson.Bytes(raw[i], "rawBytes", at, 64 * 1024), at));
            }
        }
        if (SigstoreJson.OptionalObject(element, "certificate", path) is { } certificate)
        {
            kinds++;
            certificates.Add(TrustedRoot.LoadCertificate(SigstoreJson.Bytes(certificate, "rawBytes", path + ".certificate", 64 * 1024), path + ".certificate"));
        }
        if (kinds == 0) throw new FormatException($"{path} has no publicKey, x509CertificateChain or certificate");
        if (kinds > 1) throw new FormatException($"{path} has more than one of publicKey, x509CertificateChain and certificate");

        var entries = SigstoreJson.Array(element, "tlogEntries", path, MaxTlogEntries)
            .Select((e, i) => ParseTlogEntry(e, $"{path}.tlogEntries[{i}]", minor)).ToList();
        var timestamps = new List<byte[]>();
        if (SigstoreJson.OptionalObject(element, "timestampVerificationData", path) is { } data)
        {
            var raw = SigstoreJson.Array(data, "rfc3161Timestamps", path + ".timestampVerificationData", MaxTimestamps);
            for (int i = 0; i < raw.Count; i++)
                timestamps.Add(SigstoreJson.Bytes(raw[i], "signedTimestamp", $"{path}.timestampVerificationData.rfc3161Timestamps[{i}]", 64 * 1024));
        }
        return new BundleVerificationMaterial
        {
            HasPublicKey = hasKey,
            PublicKeyHint = hint,
            Certificates = certificates,
            TlogEntries = entries,
            Rfc3161Timestamps = timestamps,
        };
    }

    private static BundleTlogEntry ParseTlogEntry(JsonElement element, string path, int minor)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new FormatException($"{path} is not an object");
        var kindVersion = SigstoreJson.Object(element, "kindVersion", path);
        var logId = SigstoreJson.Object(element, "logId", path);
        byte[]? set = null;
        if (SigstoreJson.OptionalObject(element, "inclusionPromise", path) is { } promise)
            set = SigstoreJson.Bytes(promise, "signedEntryTimestamp", path + ".inclusionPromise", 1024);
        BundleInclusionProof? proof = null;
        if (SigstoreJson.OptionalObject(element, "inclusionProof", path) is { } p)
        {
            string at = path + ".inclusionProof";
            var hashes = SigstoreJson.Array(p, "hashes", at, MaxProofHashes).Select((h, i) =>
                h.ValueKind == JsonValueKind.String && SigstoreJson.DecodeBase64(h.GetString()!) is { Length: 32 } b ? b : throw new FormatException($"{at}.hashes[{i}] is not a base64 SHA-256 hash")).ToList();
            string? checkpoint = SigstoreJson.OptionalObject(p, "checkpoint", at) is { } c ? SigstoreJson.OptionalString(c, "envelope", at + ".checkpoint", 8192) : null;
            proof = new BundleInclusionProof
            {
                LogIndex = SigstoreJson.OptionalInt64(p, "logIndex", at) ?? 0,
                RootHash = SigstoreJson.Bytes(p, "rootHash", at, 64),
                TreeSize = SigstoreJson.OptionalInt64(p, "treeSize", at) ?? throw new FormatException($"{at}.treeSize is missing"),
                Hashes = hashes,
                Checkpoint = checkpoint,
            };
        }
        // v0.1 proves inclusion with a promise (SET); v0.2 and later with a proof (protobuf-specs' bundle rules).
        if (minor == 1 && set is null) throw new FormatException($"{path}.inclusionPromise is required in a v0.1 bundle");
        if (minor >= 2 && proof is null) throw new FormatException($"{path}.inclusionProof is required in a v0.{minor} bundle");
        return new BundleTlogEntry
        {
            LogIndex = SigstoreJson.OptionalInt64(element, "logIndex", path) ?? 0,
            LogId = SigstoreJson.Bytes(logId, "keyId", path + ".logId", 64),
            Kind = SigstoreJson.String(kindVersion, "kind", path + ".kindVersion", 64),
            KindVersion = SigstoreJson.String(kindVersion, "version", path + ".kindVersion", 64),
            IntegratedTime = SigstoreJson.OptionalInt64(element, "integratedTime", path) ?? 0,
            SignedEntryTimestamp = set,
            InclusionProof = proof,
            CanonicalizedBody = SigstoreJson.OptionalBytes(element, "canonicalizedBody", path, 4 * 1024 * 1024),
        };
    }

    private static BundleMessageSignature ParseMessage(JsonElement element)
    {
        const string path = "bundle.messageSignature";
        var digest = SigstoreJson.OptionalObject(element, "messageDigest", path);
        return new BundleMessageSignature
        {
            DigestAlgorithm = digest is { } d ? SigstoreJson.OptionalString(d, "algorithm", path + ".messageDigest", 64) : null,
            Digest = digest is { } g ? SigstoreJson.OptionalBytes(g, "digest", path + ".messageDigest", 64) : null,
            Signature = SigstoreJson.Bytes(element, "signature", path, 16 * 1024),
        };
    }

    private static BundleDsseEnvelope ParseDsse(JsonElement element)
    {
        const string path = "bundle.dsseEnvelope";
        var signatures = SigstoreJson.Array(element, "signatures", path, MaxDsseSignatures).Select((s, i) => new DsseSignature(
            SigstoreJson.Bytes(s, "sig", $"{path}.signatures[{i}]", 16 * 1024),
            SigstoreJson.OptionalString(s, "keyid", $"{path}.signatures[{i}]", 1024))).ToList();
        if (signatures.Count == 0) throw new FormatException($"{path}.signatures is empty");
        return new BundleDsseEnvelope
        {
            PayloadType = SigstoreJson.String(element, "payloadType", path, 256),
            Payload = SigstoreJson.Bytes(element, "payload", path, MaxBytes),
            Signatures = signatures,
        };
    }
}
