using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Bollard.Trust.Keys;

namespace Bollard.Trust.Sigstore;

/// <summary>
/// A Sigstore trusted root (protobuf-specs <c>dev.sigstore.trustroot.v1.TrustedRoot</c>, the <c>trusted_root.json</c>
/// that sigstore clients get through TUF): the certificate authorities that issue signing certificates, the transparency
/// logs whose entries prove when a signature was made, the certificate transparency logs, and the RFC 3161 timestamp
/// authorities. Immutable and thread-safe once parsed.
/// </summary>
public sealed class TrustedRoot
{
    /// <summary>The largest trusted root accepted (the public-good one is about 10 KiB).</summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>At most this many certificate authorities, logs, CT logs and timestamp authorities each.</summary>
    public const int MaxEntries = 64;

    /// <summary>At most this many certificates in one authority's chain.</summary>
    public const int MaxChainLength = 10;

    private const int MaxCertificateBytes = 64 * 1024;
    private const int MaxKeyBytes = 16 * 1024;

    private TrustedRoot(string? mediaType, IReadOnlyList<SigstoreCertificateAuthority> authorities, IReadOnlyList<TransparencyLog> logs,
        IReadOnlyList<TransparencyLog> ctLogs, IReadOnlyList<SigstoreCertificateAuthority> timestampAuthorities)
    {
        MediaType = mediaType;
        CertificateAuthorities = authorities;
        TransparencyLogs = logs;
        CtLogs = ctLogs;
        TimestampAuthorities = timestampAuthorities;
    }

    /// <summary><c>application/vnd.dev.sigstore.trustedroot+json;version=0.1</c> or <c>application/vnd.dev.sigstore.trustedroot.v0.2+json</c>; null when the document omits it.</summary>
    public string? MediaType { get; }

    public IReadOnlyList<SigstoreCertificateAuthority> CertificateAuthorities { get; }

    public IReadOnlyList<TransparencyLog> TransparencyLogs { get; }

    public IReadOnlyList<TransparencyLog> CtLogs { get; }

    public IReadOnlyList<SigstoreCertificateAuthority> TimestampAuthorities { get; }

    /// <summary>The transparency log with this log id, or null.</summary>
    public TransparencyLog? FindLog(ReadOnlySpan<byte> logId)
    {
        foreach (var log in TransparencyLogs)
            if (log.LogId.AsSpan().SequenceEqual(logId)) return log;
        return null;
    }

    /// <exception cref="FormatException">Not a trusted root Bollard can use; the message names the field.</exception>
    public static TrustedRoot Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (Encoding.UTF8.GetMaxByteCount(json.Length) > MaxBytes && Encoding.UTF8.GetByteCount(json) > MaxBytes)
            throw new FormatException($"the trusted root is larger than {MaxBytes} bytes");
        return Parse(Encoding.UTF8.GetBytes(json));
    }

    /// <exception cref="FormatException">Not a trusted root Bollard can use; the message names the field.</exception>
    public static TrustedRoot Parse(ReadOnlyMemory<byte> utf8Json)
    {
        if (utf8Json.Length > MaxBytes) throw new FormatException($"the trusted root is larger than {MaxBytes} bytes");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, SigstoreJson.DocumentOptions);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the trusted root is not JSON: {e.Message}", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the trusted root is not a JSON object");
            string? mediaType = SigstoreJson.OptionalString(root, "mediaType", "trustedRoot", 256);
            if (mediaType is not null && !mediaType.StartsWith("application/vnd.dev.sigstore.trustedroot", StringComparison.Ordinal))
                throw new FormatException($"the document's mediaType '{mediaType}' is not a Sigstore trusted root");
            var authorities = SigstoreJson.Array(root, "certificateAuthorities", "trustedRoot", MaxEntries)
                .Select((e, i) => ParseAuthority(e, $"certificateAuthorities[{i}]")).ToList();
            var logs = SigstoreJson.Array(root, "tlogs", "trustedRoot", MaxEntries).Select((e, i) => ParseLog(e, $"tlogs[{i}]")).ToList();
            var ctLogs = SigstoreJson.Array(root, "ctlogs", "trustedRoot", MaxEntries).Select((e, i) => ParseLog(e, $"ctlogs[{i}]")).ToList();
            var timestampAuthorities = SigstoreJson.Array(root, "timestampAuthorities", "trustedRoot", MaxEntries)
                .Select((e, i) => ParseAuthority(e, $"timestampAuthorities[{i}]")).ToList();
            if (authorities.Count == 0 && logs.Count == 0 && timestampAuthorities.Count == 0)
                throw new FormatException("the trusted root lists no certificate authority, transparency log or timestamp authority");
            return new TrustedRoot(mediaType, authorities, logs, ctLogs, timestampAuthorities);
        }
    }

    /// <summary>Like <see cref="Parse(string)"/>, with the reason instead of an exception.</summary>
    public static bool TryParse(string? json, out TrustedRoot? root, out string? problem)
    {
        root = null;
        problem = null;
        if (json is null)
        {
            problem = "no trusted root given";
            return false;
        }
        try
        {
            root = Parse(json);
            return true;
        }
        catch (FormatException e)
        {
            problem = e.Message;
            return false;
        }
    }

    private static SigstoreCertificateAuthority ParseAuthority(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new FormatException($"{path} is not an object");
        var chainElement = SigstoreJson.Object(element, "certChain", path);
        var raw = SigstoreJson.Array(chainElement, "certificates", path + ".certChain", MaxChainLength);
        if (raw.Count == 0) throw new FormatException($"{path}.certChain.certificates is empty");
        var chain = new List<X509Certificate2>(raw.Count);
        for (int i = 0; i < raw.Count; i++)
        {
            string at = $"{path}.certChain.certificates[{i}]";
            chain.Add(LoadCertificate(SigstoreJson.Bytes(raw[i], "rawBytes", at, MaxCertificateBytes), at));
        }
        var subject = SigstoreJson.OptionalObject(element, "subject", path);
        return new SigstoreCertificateAuthority
        {
            Uri = SigstoreJson.OptionalString(element, "uri", path),
            Organization = subject is { } s ? SigstoreJson.OptionalString(s, "organization", path + ".subject") : null,
            CommonName = subject is { } c ? SigstoreJson.OptionalString(c, "commonName", path + ".subject") : null,
            Chain = chain,
            ValidFor = SigstoreJson.Validity(element, path),
        };
    }

    internal static X509Certificate2 LoadCertificate(byte[] der, string path)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException e)
        {
            throw new FormatException($"{path} is not a DER X.509 certificate: {e.Message}", e);
        }
    }

    private static TransparencyLog ParseLog(JsonElement element, string path)
    {
        if (element.ValueKind != JsonValueKind.Object) throw new FormatException($"{path} is not an object");
        var keyElement = SigstoreJson.Object(element, "publicKey", path);
        byte[]? spki = SigstoreJson.OptionalBytes(keyElement, "rawBytes", path + ".publicKey", MaxKeyBytes);
        string? keyDetails = SigstoreJson.OptionalString(keyElement, "keyDetails", path + ".publicKey", 128);
        VerificationKey? key = null;
        string? keyProblem = null;
        if (spki is null)
        {
            keyProblem = "the log lists no public key";
        }
        else
        {
            // A key Bollard cannot use (an unknown algorithm) makes that one log unusable, not the whole root: the
            // public-good root adds new logs over time, and a verifier must keep working with the ones it knows.
            try
            {
                key = VerificationKey.FromSubjectPublicKeyInfo(spki);
            }
            catch (FormatException e)
            {
                keyProblem = $"its public key ({keyDetails ?? "no keyDetails"}) cannot be used: {e.Message}";
            }
        }
        byte[]? logId = null;
        if (SigstoreJson.OptionalObject(element, "logId", path) is { } id) logId = SigstoreJson.OptionalBytes(id, "keyId", path + ".logId", 64);
        // Rekor's log id is the SHA-256 of its key's SubjectPublicKeyInfo, which is what a root that omits it means.
        logId ??= spki is not null ? SHA256.HashData(spki) : throw new FormatException($"{path} has neither a logId nor a public key");
        byte[]? checkpointKeyId = null;
        if (SigstoreJson.OptionalObject(element, "checkpointKeyId", path) is { } cp) checkpointKeyId = SigstoreJson.OptionalBytes(cp, "keyId", path + ".checkpointKeyId", 64);
        var validity = SigstoreJson.OptionalObject(keyElement, "validFor", path + ".publicKey") is not null
            ? SigstoreJson.Validity(keyElement, path + ".publicKey")
            : SigstoreJson.Validity(element, path);
        return new TransparencyLog
        {
            BaseUrl = SigstoreJson.OptionalString(element, "baseUrl", path),
            HashAlgorithm = SigstoreJson.OptionalString(element, "hashAlgorithm", path, 64) ?? "SHA2_256",
            PublicKey = key,
            KeyProblem = keyProblem,
            KeyDetails = keyDetails,
            LogId = logId,
            CheckpointKeyId = checkpointKeyId,
            ValidFor = validity,
        };
    }
}
