using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using Bollard.Trust.Certificates;

namespace Bollard.Trust.Sigstore;

/// <param name="Time">The time the token proves; null when it proves nothing.</param>
/// <param name="Reason">Readable, either way.</param>
public sealed record TimestampResult(DateTimeOffset? Time, string Reason);

/// <summary>
/// Checks an RFC 3161 timestamp token of a bundle: its message imprint is the hash of the signature bytes, its CMS
/// signature verifies, and its signer chains to a timestamp authority of the trusted root valid at the token's time.
/// </summary>
public static class TimestampVerifier
{
    private const string TimeStampingEku = "1.3.6.1.5.5.7.3.8";

    public static TimestampResult Verify(byte[] token, byte[] signature, TrustedRoot root)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentNullException.ThrowIfNull(root);
        if (root.TimestampAuthorities.Count == 0) return new(null, "the trusted root has no timestamp authority");
        var decoded = Decode(token);
        if (decoded is null) return new(null, "the RFC 3161 timestamp is malformed");
        var time = decoded.TokenInfo.Timestamp;
        var reasons = new List<string>();
        foreach (var authority in root.TimestampAuthorities)
        {
            if (!authority.ValidFor.Contains(time))
            {
                reasons.Add($"{authority.Describe()} is not valid at {time:u}");
                continue;
            }
            X509Certificate2? signer;
            bool imprint;
            try
            {
                // The authority's issuing certificate is offered in case the token does not embed its signer (certReq false).
                imprint = decoded.VerifySignatureForData(signature, out signer, new X509Certificate2Collection(authority.Chain.ToArray()));
            }
            catch (CryptographicException e)
            {
                reasons.Add($"the timestamp's signature cannot be checked: {e.Message}");
                continue;
            }
            if (!imprint || signer is null)
            {
                reasons.Add("the timestamp is not over this signature, or its signature does not verify");
                continue;
            }
            if (!HasEku(signer, TimeStampingEku))
            {
                reasons.Add($"the timestamp's signer {signer.Subject} lacks the time-stamping extended key usage");
                continue;
            }
            var (chain, problem) = CertificateChains.Validate(signer, authority.Intermediates, [authority.Root], time, requireCodeSigning: false);
            if (chain is not null) return new(time, $"RFC 3161 timestamp {time:u} by {signer.Subject} ({authority.Uri ?? "timestamp authority"})");
            reasons.Add(problem!);
        }
        return new(null, $"the RFC 3161 timestamp is not trusted: {string.Join("; ", reasons.Distinct())}");
    }

    /// <summary>
    /// The token itself (a CMS ContentInfo), or the TimeStampResp that carries it (SEQUENCE { PKIStatusInfo, token }),
    /// which is what TSAs answer and what some clients store as the bundle's signedTimestamp.
    /// </summary>
    private static Rfc3161TimestampToken? Decode(byte[] der)
    {
        try
        {
            if (Rfc3161TimestampToken.TryDecode(der, out var token, out int consumed) && consumed == der.Length) return token;
            var response = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var status = response.ReadSequence();
            if (!status.TryReadInt32(out int granted) || granted is not (0 or 1) || !response.HasData) return null;
            var inner = response.ReadEncodedValue();
            return Rfc3161TimestampToken.TryDecode(inner, out token, out consumed) && consumed == inner.Length ? token : null;
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException)
        {
            return null;
        }
    }

    private static bool HasEku(X509Certificate2 certificate, string oid)
    {
        foreach (var extension in certificate.Extensions)
            if (extension is X509EnhancedKeyUsageExtension eku && eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == oid)) return true;
        return false;
    }
}
