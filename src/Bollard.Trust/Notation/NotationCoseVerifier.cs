using System.Formats.Cbor;
using System.Security.Cryptography;
using System.Security.Cryptography.Cose;
using System.Security.Cryptography.X509Certificates;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Notation;

/// <summary>
/// Verifies Notation signatures in the COSE envelope (signature-envelope-cose.md): a <c>COSE_Sign1_Tagged</c> with
/// protected headers alg, crit, content type, <c>io.cncf.notary.signingScheme</c>, the signing time or authentic
/// signing time (epoch date/time, tag 1) and the optional expiry; the chain in <c>x5chain</c> (label 33). The signature is
/// checked over the <c>Sig_structure</c> built from the protected-header bytes exactly as stored. Thread-safe, pure CPU,
/// never throws for bad input.
/// </summary>
public sealed class NotationCoseVerifier : ISignatureVerifier
{
    private const int X5Chain = 33;

    public SignatureFormat Format => SignatureFormat.NotationCose;

    public SignatureVerdict Verify(FoundSignature signature, VerificationRequest request) =>
        NotationVerification.Verify(Format, NotationHeaders.CoseMediaType, signature, request, Read);

    internal static (NotationEnvelope? Envelope, string? Problem) Read(byte[] content)
    {
        // COSE_Sign1_Tagged: CBOR tag 18 (one byte, 0xd2) before the array.
        if (content.Length == 0 || content[0] != 0xd2) return (null, "the envelope is not a COSE_Sign1_Tagged message (CBOR tag 18)");
        try
        {
            var message = CoseMessage.DecodeSign1(content);
            if (message.Content is not { } payload) return (null, "the COSE message has a detached payload (Notation embeds it)");
            var protectedHeaders = message.ProtectedHeaders;
            var unprotectedHeaders = message.UnprotectedHeaders;

            if (!protectedHeaders.TryGetValue(CoseHeaderLabel.Algorithm, out var algValue)) return (null, "the protected header has no alg (label 1)");
            var algReader = new CborReader(algValue.EncodedValue);
            if (algReader.PeekState() is not (CborReaderState.NegativeInteger or CborReaderState.UnsignedInteger))
                return (null, "alg (label 1) is not an integer");
            long alg = algReader.ReadInt64();
            var algorithm = NotationAlgorithms.FromCose(alg);
            if (algorithm is null) return (null, $"alg {alg} is not one Notation allows (PS256 -37, PS384 -38, PS512 -39, ES256 -7, ES384 -35, ES512 -36)");

            if (!protectedHeaders.TryGetValue(CoseHeaderLabel.ContentType, out var ctyValue) || ReadText(ctyValue) != NotationHeaders.PayloadContentType)
                return (null, $"content type (label 3) is not {NotationHeaders.PayloadContentType}");

            if (!protectedHeaders.TryGetValue(CoseHeaderLabel.CriticalHeaders, out var critValue)) return (null, "the protected header has no crit (label 2)");
            var (crit, critReadProblem) = ReadCrit(critValue);
            if (crit is null) return (null, critReadProblem);
            if (NotationHeaders.CheckCritical(crit, name => protectedHeaders.ContainsKey(new CoseHeaderLabel(name))) is { } critProblem) return (null, critProblem);

            string? scheme = protectedHeaders.TryGetValue(new CoseHeaderLabel(NotationHeaders.SigningScheme), out var schemeValue) ? ReadText(schemeValue) : null;
            var (signingTime, p1) = Time(protectedHeaders, NotationHeaders.SigningTime);
            var (authentic, p2) = Time(protectedHeaders, NotationHeaders.AuthenticSigningTime);
            var (expiry, p3) = Time(protectedHeaders, NotationHeaders.Expiry);
            if ((p1 ?? p2 ?? p3) is { } timeProblem) return (null, timeProblem);
            if (NotationJwsVerifier.SchemeProblem(scheme, signingTime is not null, authentic is not null) is { } schemeProblem) return (null, schemeProblem);

            // x5chain belongs in the unprotected header, and may be in the protected one (never both).
            bool inProtected = protectedHeaders.TryGetValue(new CoseHeaderLabel(X5Chain), out var protectedChain);
            bool inUnprotected = unprotectedHeaders.TryGetValue(new CoseHeaderLabel(X5Chain), out var unprotectedChain);
            if (inProtected && inUnprotected) return (null, "x5chain (label 33) is in both the protected and the unprotected header");
            if (!inProtected && !inUnprotected) return (null, "the COSE message has no x5chain (label 33)");
            var (chain, chainProblem) = ReadChain(inProtected ? protectedChain : unprotectedChain);
            if (chain is null) return (null, chainProblem);

            byte[]? timestamp = null;
            if (unprotectedHeaders.TryGetValue(new CoseHeaderLabel(NotationHeaders.TimestampSignature), out var timestampValue))
            {
                var reader = new CborReader(timestampValue.EncodedValue);
                if (reader.PeekState() != CborReaderState.ByteString) return (null, $"{NotationHeaders.TimestampSignature} is not a byte string");
                timestamp = reader.ReadByteString();
            }
            string? agent = unprotectedHeaders.TryGetValue(new CoseHeaderLabel(NotationHeaders.SigningAgent), out var agentValue) ? ReadText(agentValue) : null;

            return (new NotationEnvelope
            {
                Algorithm = algorithm.Value,
                Payload = payload.ToArray(),
                SigningInput = ToBeSigned(message.RawProtectedHeaders.Span, payload.Span),
                Signature = message.Signature.ToArray(),
                Chain = chain,
                SigningScheme = scheme!,
                SigningTime = signingTime,
                AuthenticSigningTime = authentic,
                Expiry = expiry,
                TimestampToken = timestamp,
                SigningAgent = agent,
            }, null);
        }
        catch (Exception e) when (e is CryptographicException or CborContentException or InvalidOperationException or FormatException or ArgumentException)
        {
            return (null, $"the envelope is not a valid COSE_Sign1 message: {e.Message}");
        }
    }

    /// <summary>RFC 9052 4.4: <c>["Signature1", body_protected, external_aad = h'', payload]</c>, over the stored protected bytes.</summary>
    internal static byte[] ToBeSigned(ReadOnlySpan<byte> protectedHeaders, ReadOnlySpan<byte> payload)
    {
        var writer = new CborWriter(CborConformanceMode.Strict);
        writer.WriteStartArray(4);
        writer.WriteTextString("Signature1");
        writer.WriteByteString(protectedHeaders);
        writer.WriteByteString([]);
        writer.WriteByteString(payload);
        writer.WriteEndArray();
        return writer.Encode();
    }

    private static (IReadOnlyList<string>? Crit, string? Problem) ReadCrit(CoseHeaderValue value)
    {
        var reader = new CborReader(value.EncodedValue);
        if (reader.PeekState() != CborReaderState.StartArray) return (null, "crit (label 2) is not an array");
        int? count = reader.ReadStartArray();
        if (count is null or > NotationHeaders.MaxCriticalHeaders) return (null, $"crit (label 2) must be a definite array of at most {NotationHeaders.MaxCriticalHeaders} labels");
        var crit = new List<string>();
        for (int i = 0; i < count; i++)
        {
            switch (reader.PeekState())
            {
                case CborReaderState.TextString:
                    crit.Add(reader.ReadTextString());
                    break;
                case CborReaderState.UnsignedInteger or CborReaderState.NegativeInteger:
                    // Integer labels 0-8 must not be listed; no other integer label is a Notation header.
                    return (null, $"crit lists label {reader.ReadInt64()}, a critical header Bollard does not understand");
                default:
                    return (null, "crit lists something other than a label");
            }
        }
        return (crit, null);
    }

    private static (IReadOnlyList<X509Certificate2>? Chain, string? Problem) ReadChain(CoseHeaderValue value)
    {
        var reader = new CborReader(value.EncodedValue);
        var ders = new List<byte[]>();
        if (reader.PeekState() == CborReaderState.ByteString) ders.Add(reader.ReadByteString());
        else if (reader.PeekState() == CborReaderState.StartArray)
        {
            int? count = reader.ReadStartArray();
            if (count is null or 0 or > NotationHeaders.MaxChainLength)
                return (null, $"x5chain must be a definite array of 1 to {NotationHeaders.MaxChainLength} certificates");
            for (int i = 0; i < count; i++)
            {
                if (reader.PeekState() != CborReaderState.ByteString) return (null, $"x5chain[{i}] is not a byte string");
                ders.Add(reader.ReadByteString());
            }
        }
        else return (null, "x5chain (label 33) is neither a certificate nor an array of certificates");
        var chain = new List<X509Certificate2>();
        foreach (byte[] der in ders)
        {
            if (NotationJwsVerifier.LoadCertificate(der) is not { } certificate) return (null, $"x5chain[{chain.Count}] is not a DER certificate");
            chain.Add(certificate);
        }
        return (chain, null);
    }

    private static (DateTimeOffset? Time, string? Problem) Time(CoseHeaderMap headers, string name)
    {
        if (!headers.TryGetValue(new CoseHeaderLabel(name), out var value)) return (null, null);
        try
        {
            // An epoch-based date/time: tag 1 over an integer or a float (RFC 8949 3.4.2).
            return (new CborReader(value.EncodedValue).ReadUnixTimeSeconds(), null);
        }
        catch (Exception e) when (e is CborContentException or InvalidOperationException or OverflowException or ArgumentOutOfRangeException)
        {
            return (null, $"{name} is not an epoch date/time (tag 1)");
        }
    }

    private static string? ReadText(CoseHeaderValue value)
    {
        var reader = new CborReader(value.EncodedValue);
        return reader.PeekState() == CborReaderState.TextString ? reader.ReadTextString() : null;
    }
}
