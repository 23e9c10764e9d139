using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Bollard.Trust.Keys;

namespace Bollard.Trust.Sigstore;

/// <summary>What checking one transparency log entry showed.</summary>
/// <param name="Logged">The entry is proven to be in a trusted log (its SET or its inclusion proof and signed checkpoint verify).</param>
/// <param name="ProvenTime">The integrated time, when the log's signature covers it (the SET); an inclusion proof alone does not sign the time.</param>
/// <param name="Reason">Readable, either way.</param>
public sealed record TlogEntryResult(bool Logged, DateTimeOffset? ProvenTime, string Reason);

/// <summary>
/// Checks a bundle's transparency log entries (Rekor): the signed entry timestamp over the canonical JSON of
/// (body, integratedTime, logID, logIndex), the RFC 6962 inclusion proof with the log's signed checkpoint (a signed note),
/// and that the entry's body records this very signature, payload and signer.
/// </summary>
public static class TlogEntryVerifier
{
    private const int MaxCheckpointSignatures = 16;

    /// <param name="entry">The entry.</param>
    /// <param name="root">Where the log's key comes from.</param>
    /// <param name="bundle">The bundle the entry must record.</param>
    /// <param name="signerDer">The signing certificate's DER, or the signing key's SubjectPublicKeyInfo.</param>
    public static TlogEntryResult Verify(BundleTlogEntry entry, TrustedRoot root, SigstoreBundle bundle, byte[] signerDer)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(signerDer);
        string name = entry.Describe();
        var log = root.FindLog(entry.LogId);
        if (log is null) return new(false, null, $"{name}: the log is not in the trusted root");
        if (log.PublicKey is null) return new(false, null, $"{name}: {log.KeyProblem}");
        if (entry.CanonicalizedBody is null) return new(false, null, $"{name}: the entry has no canonicalizedBody to check");
        string? mismatch = BodyMismatch(entry, bundle, signerDer);
        if (mismatch is not null) return new(false, null, $"{name}: {mismatch}");

        var integrated = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(entry.IntegratedTime, 0, 253402300799));
        var reasons = new List<string>();
        DateTimeOffset? proven = null;
        bool logged = false;
        if (entry.SignedEntryTimestamp is { } set)
        {
            if (log.PublicKey.Verify(SetPayload(entry), set, log.SignatureOptions))
            {
                if (log.ValidFor.Contains(integrated))
                {
                    logged = true;
                    proven = integrated;
                    reasons.Add($"its signed entry timestamp verifies with {log.Describe()} (integrated {integrated:u})");
                }
                else
                {
                    reasons.Add($"its integrated time {integrated:u} is outside the validity of {log.Describe()} ({log.ValidFor})");
                }
            }
            else
            {
                reasons.Add("its signed entry timestamp does not verify with the log's key");
            }
        }
        if (entry.InclusionProof is { } proof)
        {
            string? problem = ProofProblem(proof, entry.CanonicalizedBody, log);
            if (problem is null)
            {
                logged = true;
                reasons.Add($"its inclusion proof and signed checkpoint verify with {log.Describe()}");
            }
            else
            {
                reasons.Add(problem);
            }
        }
        if (reasons.Count == 0) reasons.Add("it has neither a signed entry timestamp nor an inclusion proof");
        return new(logged, proven, $"{name}: {string.Join("; ", reasons)}");
    }

    /// <summary>The bytes a Rekor SET signs: canonical JSON (RFC 8785: sorted keys, no spaces) of body, integratedTime, logID (hex), logIndex.</summary>
    public static byte[] SetPayload(BundleTlogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        // The keys are written in sorted order; the values are a base64 string, two integers and a hex string, which need no escaping.
        string json = string.Create(CultureInfo.InvariantCulture,
            $"{{\"body\":\"{Convert.ToBase64String(entry.CanonicalizedBody ?? [])}\",\"integratedTime\":{entry.IntegratedTime},\"logID\":\"{Convert.ToHexStringLower(entry.LogId)}\",\"logIndex\":{entry.LogIndex}}}");
        return Encoding.UTF8.GetBytes(json);
    }

    /// <summary>The RFC 6962 leaf hash: SHA-256(0x00 || entry).</summary>
    public static byte[] LeafHash(ReadOnlySpan<byte> entry)
    {
        byte[] buffer = new byte[entry.Length + 1];
        entry.CopyTo(buffer.AsSpan(1));
        return SHA256.HashData(buffer);
    }

    /// <summary>RFC 9162 section 2.1.3.2: the root an inclusion path leads to, or null when the path does not fit the tree.</summary>
    public static byte[]? RootFromInclusionProof(long index, long treeSize, byte[] leafHash, IReadOnlyList<byte[]> path)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        ArgumentNullException.ThrowIfNull(path);
        if (index < 0 || treeSize <= 0 || index >= treeSize) return null;
        long fn = index, sn = treeSize - 1;
        byte[] r = leafHash;
        foreach (byte[] p in path)
        {
            if (sn == 0) return null;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                r = NodeHash(r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 ? r : null;
    }

    private static byte[] NodeHash(byte[] left, byte[] right)
    {
        byte[] buffer = new byte[1 + left.Length + right.Length];
        buffer[0] = 1;
        left.CopyTo(buffer, 1);
        right.CopyTo(buffer, 1 + left.Length);
        return SHA256.HashData(buffer);
    }

    private static string? ProofProblem(BundleInclusionProof proof, byte[] body, TransparencyLog log)
    {
        byte[]? computed = RootFromInclusionProof(proof.LogIndex, proof.TreeSize, LeafHash(body), proof.Hashes);
        if (computed is null) return $"its inclusion proof does not fit a tree of {proof.TreeSize} entries at index {proof.LogIndex}";
        if (!computed.AsSpan().SequenceEqual(proof.RootHash)) return "its inclusion proof does not lead to the proof's root hash";
        if (proof.Checkpoint is null) return "its inclusion proof has no signed checkpoint";
        return CheckpointProblem(proof.Checkpoint, proof, log);
    }

    /// <summary>A checkpoint is a signed note: body lines (origin, tree size, base64 root hash, extensions), a blank line, then <c>— name base64(keyhint || signature)</c> lines.</summary>
    private static string? CheckpointProblem(string checkpoint, BundleInclusionProof proof, TransparencyLog log)
    {
        int split = checkpoint.IndexOf("\n\n", StringComparison.Ordinal);
        if (split < 0) return "its checkpoint is not a signed note";
        string text = checkpoint[..(split + 1)];
        string[] lines = text.Split('\n');
        if (lines.Length < 4) return "its checkpoint has too few lines";
        if (!long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out long size) || size != proof.TreeSize)
            return $"its checkpoint's tree size '{lines[1]}' is not the proof's {proof.TreeSize}";
        if (SigstoreJson.DecodeBase64(lines[2]) is not { } rootHash || !rootHash.AsSpan().SequenceEqual(proof.RootHash))
            return "its checkpoint's root hash is not the proof's";
        byte[] signed = Encoding.UTF8.GetBytes(text);
        int tried = 0;
        foreach (string line in checkpoint[(split + 2)..].Split('\n'))
        {
            if (line.Length == 0) continue;
            if (++tried > MaxCheckpointSignatures) break;
            if (!line.StartsWith("\u2014 ", StringComparison.Ordinal)) return "its checkpoint has a malformed signature line";
            int space = line.LastIndexOf(' ');
            if (SigstoreJson.DecodeBase64(line[(space + 1)..]) is not { Length: > 4 } blob) continue;
            if (log.PublicKey!.Verify(signed, blob.AsSpan(4), log.SignatureOptions)) return null;
        }
        return "no signature of its checkpoint verifies with the log's key";
    }

    /// <summary>Why the entry's body does not record this bundle's signature and signer; null when it does.</summary>
    private static string? BodyMismatch(BundleTlogEntry entry, SigstoreBundle bundle, byte[] signerDer)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(entry.CanonicalizedBody, SigstoreJson.DocumentOptions);
        }
        catch (JsonException)
        {
            return "its body is not JSON";
        }
        using (document)
        {
            var body = document.RootElement;
            string? kind = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString() : null;
            if (kind != entry.Kind) return $"its body is of kind '{kind}', not '{entry.Kind}'";
            if (!body.TryGetProperty("spec", out var spec) || spec.ValueKind != JsonValueKind.Object) return "its body has no spec";
            try
            {
                return kind switch
                {
                    "hashedrekord" => HashedRekordMismatch(spec, bundle, signerDer),
                    "dsse" => DsseMismatch(spec, bundle, signerDer),
                    "intoto" => InTotoMismatch(spec, bundle, signerDer),
                    _ => $"entries of kind '{kind}' are not supported (hashedrekord, dsse and intoto are)",
                };
            }
            catch (FormatException e)
            {
                return $"its body is malformed: {e.Message}";
            }
        }
    }

    private static string? HashedRekordMismatch(JsonElement spec, SigstoreBundle bundle, byte[] signerDer)
    {
        if (bundle.MessageSignature is not { } message) return "a hashedrekord entry records a message signature, but the bundle holds a DSSE envelope";
        var signature = SigstoreJson.Object(spec, "signature", "spec");
        if (!SameBytes(SigstoreJson.OptionalBytes(signature, "content", "spec.signature", 16 * 1024), message.Signature)) return "its body records another signature";
        var key = SigstoreJson.Object(signature, "publicKey", "spec.signature");
        if (!SameSigner(SigstoreJson.OptionalBytes(key, "content", "spec.signature.publicKey", 64 * 1024), signerDer)) return "its body records another signer";
        var hash = SigstoreJson.Object(SigstoreJson.Object(spec, "data", "spec"), "hash", "spec.data");
        if (!SameHex(SigstoreJson.OptionalString(hash, "value", "spec.data.hash", 256), message.Digest)) return "its body records another message digest";
        return null;
    }

    private static string? DsseMismatch(JsonElement spec, SigstoreBundle bundle, byte[] signerDer)
    {
        if (bundle.DsseEnvelope is not { } envelope) return "a dsse entry records a DSSE envelope, but the bundle holds a message signature";
        var payloadHash = SigstoreJson.Object(spec, "payloadHash", "spec");
        if (!SameHex(SigstoreJson.OptionalString(payloadHash, "value", "spec.payloadHash", 256), SHA256.HashData(envelope.Payload))) return "its body records another payload";
        foreach (var signature in SigstoreJson.Array(spec, "signatures", "spec", SigstoreBundle.MaxDsseSignatures))
        {
            byte[]? sig = SigstoreJson.OptionalBytes(signature, "signature", "spec.signatures[]", 16 * 1024);
            byte[]? verifier = SigstoreJson.OptionalBytes(signature, "verifier", "spec.signatures[]", 64 * 1024);
            if (envelope.Signatures.Any(s => SameBytes(sig, s.Signature)) && SameSigner(verifier, signerDer)) return null;
        }
        return "its body records another signature or signer";
    }

    private static string? InTotoMismatch(JsonElement spec, SigstoreBundle bundle, byte[] signerDer)
    {
        if (bundle.DsseEnvelope is not { } envelope) return "an intoto entry records a DSSE envelope, but the bundle holds a message signature";
        var content = SigstoreJson.Object(spec, "content", "spec");
        if (SigstoreJson.OptionalObject(content, "payloadHash", "spec.content") is { } payloadHash
            && !SameHex(SigstoreJson.OptionalString(payloadHash, "value", "spec.content.payloadHash", 256), SHA256.HashData(envelope.Payload)))
            return "its body records another payload";
        var recorded = SigstoreJson.Object(content, "envelope", "spec.content");
        foreach (var signature in SigstoreJson.Array(recorded, "signatures", "spec.content.envelope", SigstoreBundle.MaxDsseSignatures))
        {
            // intoto v0.0.2 stores the signature base64-encoded twice.
            byte[]? once = SigstoreJson.OptionalBytes(signature, "sig", "spec.content.envelope.signatures[]", 32 * 1024);
            byte[]? sig = once is null ? null : SigstoreJson.DecodeBase64(Encoding.ASCII.GetString(once));
            byte[]? key = SigstoreJson.OptionalBytes(signature, "publicKey", "spec.content.envelope.signatures[]", 64 * 1024);
            if (envelope.Signatures.Any(s => SameBytes(sig, s.Signature)) && SameSigner(key, signerDer)) return null;
        }
        return "its body records another signature or signer";
    }

    private static bool SameBytes(byte[]? a, byte[] b) => a is not null && a.AsSpan().SequenceEqual(b);

    private static bool SameHex(string? hex, byte[]? bytes) =>
        hex is not null && bytes is not null && string.Equals(hex, Convert.ToHexStringLower(bytes), StringComparison.OrdinalIgnoreCase);

    /// <summary>Rekor records the signer as PEM (a certificate or a public key), base64-encoded in the body.</summary>
    private static bool SameSigner(byte[]? pemBytes, byte[] signerDer)
    {
        if (pemBytes is null) return false;
        string pem = Encoding.UTF8.GetString(pemBytes);
        if (!PemEncoding.TryFind(pem, out var fields)) return false;
        byte[]? der = SigstoreJson.DecodeBase64(pem[fields.Base64Data]);
        if (der is null) return false;
        if (der.AsSpan().SequenceEqual(signerDer)) return true;
        // A key recorded for a certificate signer (or the reverse) still names the same key.
        return SpkiOf(der) is { } a && SpkiOf(signerDer) is { } b && a.AsSpan().SequenceEqual(b);
    }

    private static byte[]? SpkiOf(byte[] der)
    {
        try
        {
            return VerificationKey.FromSubjectPublicKeyInfo(der).SubjectPublicKeyInfo.ToArray();
        }
        catch (FormatException)
        {
        }
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(der);
            return certificate.PublicKey.ExportSubjectPublicKeyInfo();
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
