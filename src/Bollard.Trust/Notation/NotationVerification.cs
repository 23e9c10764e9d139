using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Bollard.Trust.Certificates;
using Bollard.Trust.Keys;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Notation;

/// <summary>
/// Verification shared by the JWS and COSE envelopes once each has read its envelope into a <see cref="NotationEnvelope"/>
/// (signing-and-verification-workflow.md, "Signature Verification"): the algorithm matches the leaf key, the signature
/// verifies over the exact signing input, the payload names the image asked about, the signature has not expired, and the
/// chain meets Notation's certificate rules. Then, per <see cref="NotationAnchor"/>: the chain leads to the trust store,
/// valid at the time of a trusted RFC 3161 timestamp when the store's TSA roots trust one, else at the request's time, and
/// a trusted identity matches the leaf.
/// </summary>
internal static class NotationVerification
{
    public static SignatureVerdict Verify(SignatureFormat format, string mediaType, FoundSignature found, VerificationRequest request,
        Func<byte[], (NotationEnvelope? Envelope, string? Problem)> read)
    {
        ArgumentNullException.ThrowIfNull(found);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(read);
        try
        {
            return VerifyCore(format, mediaType, found, request, read);
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException or InvalidOperationException
            or System.Text.Json.JsonException or System.Formats.Asn1.AsnContentException or System.Formats.Cbor.CborContentException)
        {
            // Each reader turns the malformations it knows into problems; this keeps a certificate or key that the
            // platform refuses somewhere deeper from escaping as an exception (verifiers never throw for bad input).
            return Verdict(format, found, request, [$"the signature could not be verified: {e.Message}"], null, null, null,
                a => (new AnchorResult(a.Name, false, "the signature could not be read"), null));
        }
    }

    private static SignatureVerdict VerifyCore(SignatureFormat format, string mediaType, FoundSignature found, VerificationRequest request,
        Func<byte[], (NotationEnvelope? Envelope, string? Problem)> read)
    {
        var problems = new List<string>();
        NotationEnvelope? envelope = null;
        if (found.Content.Length > NotationHeaders.MaxEnvelopeBytes)
            problems.Add($"the envelope is {found.Content.Length} bytes (at most {NotationHeaders.MaxEnvelopeBytes})");
        else if (!string.IsNullOrEmpty(found.MediaType) && found.MediaType != mediaType)
            problems.Add($"the layer's media type is {found.MediaType}, not {mediaType}");
        else
        {
            var (parsed, problem) = read(found.Content.ToArray());
            envelope = parsed;
            if (problem is not null) problems.Add(problem);
        }
        if (envelope is null) return Verdict(format, found, request, problems, null, null, null, a => (new AnchorResult(a.Name, false, "the signature could not be read"), null));

        var leaf = envelope.Chain[0];
        var signer = CertificateIdentity.Describe(leaf);
        string? signedDigest = null;
        CheckSignature(envelope, leaf, problems);
        var (target, payloadProblem) = NotationPayload.ReadTarget(envelope.Payload);
        if (target is { } digest)
        {
            signedDigest = digest.ToString();
            if (digest != request.ExpectedDigest)
                problems.Add($"the signed payload names {digest}, not the image asked about ({request.ExpectedDigest})");
        }
        else problems.Add(payloadProblem!);
        if (envelope.Expiry is { } expiry && expiry <= request.Now)
            problems.Add($"the signature expired at {Format(expiry)} (io.cncf.notary.expiry), before {Format(request.Now)}");
        if (NotationCertificates.CheckCodeSigningChain(envelope.Chain) is { } chainProblem) problems.Add(chainProblem);
        if (envelope.AuthenticSigningTime is { } authentic && (authentic < leaf.NotBefore.ToUniversalTime() || authentic > leaf.NotAfter.ToUniversalTime()))
            problems.Add($"the authentic signing time {Format(authentic)} is outside the signing certificate's validity");

        // The timestamp is read once and trusted per trust store. Notation uses it under notary.x509 only: a signing
        // authority's own authentic signing time is not a countersignature (signing-scheme.md).
        NotationTimestamp? timestamp = null;
        string? timestampProblem = null;
        bool useTimestamp = envelope.TimestampToken is not null && envelope.SigningScheme == NotationHeaders.SchemeX509;
        if (useTimestamp && problems.Count == 0)
            (timestamp, timestampProblem) = NotationTimestamp.Read(envelope.TimestampToken!, envelope.Signature);

        return Verdict(format, found, request, problems, signedDigest, signer, envelope.SigningTime ?? envelope.AuthenticSigningTime,
            anchor => Trust(anchor, envelope, request.Now, useTimestamp, timestamp, timestampProblem));
    }

    private static void CheckSignature(NotationEnvelope envelope, X509Certificate2 leaf, List<string> problems)
    {
        VerificationKey key;
        try
        {
            key = VerificationKey.FromCertificate(leaf);
        }
        catch (FormatException e)
        {
            problems.Add($"the signing certificate's key cannot be used: {e.Message}");
            return;
        }
        var expected = NotationAlgorithms.ForKey(key);
        if (expected is null)
        {
            problems.Add($"the signing key ({key.Description}) is not one Notation signs with (RSA-2048/3072/4096, ECDSA P-256/384/521)");
            return;
        }
        if (expected != envelope.Algorithm)
        {
            problems.Add($"alg {envelope.Algorithm} does not match the signing key ({key.Description}), which Notation signs with {expected}");
            return;
        }
        if (!key.Verify(envelope.SigningInput, envelope.Signature, NotationAlgorithms.Options(envelope.Algorithm)))
            problems.Add($"the signature does not verify with the key of the signing certificate {leaf.Subject} ({envelope.Algorithm})");
    }

    /// <summary>What one anchor says. Also returns the proven signing time when the anchor's TSA roots trusted the timestamp.</summary>
    private static (AnchorResult Result, DateTimeOffset? ProvenAt) Trust(TrustAnchor anchor, NotationEnvelope envelope, DateTimeOffset now,
        bool useTimestamp, NotationTimestamp? timestamp, string? timestampProblem)
    {
        if (anchor is not NotationAnchor store)
            return (new AnchorResult(anchor.Name, false, $"{anchor.Name} is not a Notation trust store (a Notation signature counts only through one)"), null);
        var (roots, rootsProblem) = Load(store.CertificatesPem);
        if (roots is null) return (Refuse(store, $"its certificates cannot be read: {rootsProblem}"), null);
        if (roots.Count == 0) return (Refuse(store, "it has no certificates"), null);

        DateTimeOffset at = now;
        string when = $"now ({Format(now)})";
        DateTimeOffset? provenAt = null;
        if (useTimestamp && store.TimestampRootsPem.Count > 0)
        {
            // With TSA roots configured, a timestamp that is present must verify (Notation's verifyTimestamp: always).
            if (timestamp is null) return (Refuse(store, $"the timestamp countersignature is invalid: {timestampProblem}"), null);
            var (tsaRoots, tsaProblem) = Load(store.TimestampRootsPem);
            if (tsaRoots is null) return (Refuse(store, $"its TSA certificates cannot be read: {tsaProblem}"), null);
            if (timestamp.CheckTrust(tsaRoots) is { } untrusted) return (Refuse(store, $"the timestamp countersignature is not trusted: {untrusted}"), null);
            at = timestamp.Time;
            provenAt = timestamp.Time;
            when = $"the RFC 3161 timestamp {Format(timestamp.Time)} by {timestamp.Signer.Subject}";
        }

        var (trusted, chainProblem) = NotationCertificates.CheckTrust(envelope.Chain, roots, at);
        if (trusted is null)
        {
            string hint = provenAt is null
                ? useTimestamp ? " (the signature's timestamp is not used: the trust store has no TSA roots)" : " (the signature has no timestamp countersignature)"
                : "";
            return (Refuse(store, chainProblem + hint), provenAt);
        }
        if (provenAt is not null)
        {
            // The timestamp proves a time range, not an instant: the chain must be valid over all of it.
            var earliest = timestamp!.Time - timestamp.Accuracy;
            var latest = timestamp.Time + timestamp.Accuracy;
            var outside = envelope.Chain.FirstOrDefault(c => c.NotBefore.ToUniversalTime() > earliest.UtcDateTime || c.NotAfter.ToUniversalTime() < latest.UtcDateTime);
            if (outside is not null)
                return (Refuse(store, $"certificate {outside.Subject} is not valid over the whole timestamp range {Format(earliest)} to {Format(latest)}"), provenAt);
        }
        var (matched, identityProblem) = NotationIdentity.Match(store.TrustedIdentities, envelope.Chain[0]);
        if (matched is null) return (Refuse(store, identityProblem!), provenAt);
        return (new AnchorResult(store.Name, true,
            $"verified with {envelope.Chain[0].Subject} ({envelope.Algorithm}), chained to {trusted.Subject} in trust store {store.Name}, valid at {when}; trusted identity '{matched}'"), provenAt);
    }

    private static AnchorResult Refuse(NotationAnchor store, string reason) => new(store.Name, false, $"not trusted by {store.Name}: {reason}");

    private static SignatureVerdict Verdict(SignatureFormat format, FoundSignature found, VerificationRequest request, List<string> problems,
        string? signedDigest, SignerInfo? signer, DateTimeOffset? claimedAt, Func<TrustAnchor, (AnchorResult Result, DateTimeOffset? ProvenAt)> trust)
    {
        var results = new List<AnchorResult>(request.Anchors.Count);
        DateTimeOffset? provenAt = null;
        foreach (var anchor in request.Anchors)
        {
            if (problems.Count > 0)
            {
                results.Add(new AnchorResult(anchor.Name, false, $"the signature does not count: {problems[0]}"));
                continue;
            }
            var (result, at) = trust(anchor);
            results.Add(result);
            provenAt ??= at;
        }
        return new SignatureVerdict
        {
            Format = format,
            SignatureManifest = found.SignatureManifest,
            LayerIndex = found.LayerIndex,
            SignedDigest = signedDigest,
            Signer = signer,
            SignedAt = provenAt ?? claimedAt,
            TimestampVerified = provenAt is not null,
            Problems = problems,
            Anchors = results,
        };
    }

    /// <summary>Every certificate of the PEM texts; null and why when one cannot be read.</summary>
    private static (IReadOnlyList<X509Certificate2>? Certificates, string? Problem) Load(IReadOnlyList<string> pems)
    {
        var certificates = new List<X509Certificate2>();
        try
        {
            foreach (string pem in pems) certificates.AddRange(CertificateChains.LoadPem(pem));
        }
        catch (CryptographicException e)
        {
            return (null, e.Message);
        }
        return (certificates, null);
    }

    internal static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
}
