using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Notation;

/// <summary>
/// Verifies Notation signatures in the JWS envelope (signature-envelope-jws.md): flattened JWS JSON with
/// <c>payload</c>, <c>protected</c>, <c>header</c> (<c>x5c</c>, <c>io.cncf.notary.timestampSignature</c>,
/// <c>io.cncf.notary.signingAgent</c>) and <c>signature</c>. The signature is checked over the signing input exactly as
/// stored (<c>protected '.' payload</c>); nothing is re-encoded. Thread-safe, pure CPU, never throws for bad input.
/// </summary>
public sealed partial class NotationJwsVerifier : ISignatureVerifier
{
    private static readonly string[] Members = ["payload", "protected", "header", "signature"];

    public SignatureFormat Format => SignatureFormat.NotationJws;

    public SignatureVerdict Verify(FoundSignature signature, VerificationRequest request) =>
        NotationVerification.Verify(Format, NotationHeaders.JwsMediaType, signature, request, Read);

    /// <summary>Reads the envelope; null and the problem when it is not a Notation JWS.</summary>
    internal static (NotationEnvelope? Envelope, string? Problem) Read(byte[] content)
    {
        try
        {
            using var document = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, "the envelope is not a JSON object");
            if (Duplicate(root) is { } duplicate) return (null, $"the envelope has member '{duplicate}' twice");
            foreach (var member in root.EnumerateObject())
                if (!Members.Contains(member.Name, StringComparer.Ordinal))
                    return (null, $"the envelope has member '{member.Name}' (a Notation JWS is flattened JSON with payload, protected, header and signature only)");
            if (String(root, "protected") is not { } protectedText) return (null, "the envelope has no protected header");
            if (String(root, "payload") is not { } payloadText) return (null, "the envelope has no payload");
            if (String(root, "signature") is not { } signatureText) return (null, "the envelope has no signature");
            if (!root.TryGetProperty("header", out var header) || header.ValueKind != JsonValueKind.Object) return (null, "the envelope has no unprotected header (x5c)");
            if (Duplicate(header) is { } duplicateHeader) return (null, $"the unprotected header has '{duplicateHeader}' twice");

            if (Base64UrlDecode(protectedText) is not { } protectedBytes) return (null, "the protected header is not base64url");
            if (Base64UrlDecode(payloadText) is not { } payload) return (null, "the payload is not base64url");
            if (Base64UrlDecode(signatureText) is not { } signatureBytes) return (null, "the signature is not base64url");

            using var protectedDocument = JsonDocument.Parse(protectedBytes, new JsonDocumentOptions { MaxDepth = 4 });
            var protectedHeader = protectedDocument.RootElement;
            if (protectedHeader.ValueKind != JsonValueKind.Object) return (null, "the protected header is not a JSON object");
            if (Duplicate(protectedHeader) is { } duplicateProtected) return (null, $"the protected header has '{duplicateProtected}' twice");
            foreach (var member in header.EnumerateObject())
                if (protectedHeader.TryGetProperty(member.Name, out _))
                    return (null, $"'{member.Name}' is in both the protected and the unprotected header (RFC 7515 4: they must be disjoint)");

            var (fields, problem) = ReadProtected(protectedHeader);
            if (fields is null) return (null, problem);
            var (chain, chainProblem) = ReadChain(header);
            if (chain is null) return (null, chainProblem);
            byte[]? timestamp = null;
            if (header.TryGetProperty(NotationHeaders.TimestampSignature, out var timestampElement))
            {
                if (timestampElement.ValueKind != JsonValueKind.String || !TryBase64(timestampElement.GetString()!, out timestamp))
                    return (null, $"{NotationHeaders.TimestampSignature} is not a base64 string");
            }
            string? agent = header.TryGetProperty(NotationHeaders.SigningAgent, out var agentElement) && agentElement.ValueKind == JsonValueKind.String
                ? agentElement.GetString()
                : null;
            return (fields with
            {
                Payload = payload,
                SigningInput = Encoding.ASCII.GetBytes(protectedText + "." + payloadText),
                Signature = signatureBytes,
                Chain = chain,
                TimestampToken = timestamp,
                SigningAgent = agent,
            }, null);
        }
        catch (JsonException e)
        {
            return (null, $"the envelope is not valid JSON: {e.Message}");
        }
    }

    /// <summary>The protected header's fields (alg, cty, crit, signing scheme, times), checked; the other envelope fields are left empty.</summary>
    private static (NotationEnvelope? Fields, string? Problem) ReadProtected(JsonElement header)
    {
        var algorithm = NotationAlgorithms.FromJws(String(header, "alg"));
        if (algorithm is null) return (null, $"alg {Describe(header, "alg")} is not one Notation allows (PS256, PS384, PS512, ES256, ES384, ES512)");
        if (String(header, "cty") != NotationHeaders.PayloadContentType)
            return (null, $"cty {Describe(header, "cty")} is not {NotationHeaders.PayloadContentType}");
        if (!header.TryGetProperty("crit", out var critElement) || critElement.ValueKind != JsonValueKind.Array)
            return (null, "the protected header has no crit list");
        if (critElement.GetArrayLength() > NotationHeaders.MaxCriticalHeaders)
            return (null, $"crit lists more than {NotationHeaders.MaxCriticalHeaders} headers");
        var crit = new List<string>();
        foreach (var item in critElement.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) return (null, "crit lists something other than a header name");
            crit.Add(item.GetString()!);
        }
        if (NotationHeaders.CheckCritical(crit, name => header.TryGetProperty(name, out _)) is { } critProblem) return (null, critProblem);

        string? scheme = String(header, NotationHeaders.SigningScheme);
        var (signingTime, signingTimeProblem) = Time(header, NotationHeaders.SigningTime);
        var (authentic, authenticProblem) = Time(header, NotationHeaders.AuthenticSigningTime);
        var (expiry, expiryProblem) = Time(header, NotationHeaders.Expiry);
        if ((signingTimeProblem ?? authenticProblem ?? expiryProblem) is { } timeProblem) return (null, timeProblem);
        if (SchemeProblem(scheme, signingTime is not null, authentic is not null) is { } schemeProblem) return (null, schemeProblem);
        return (new NotationEnvelope
        {
            Algorithm = algorithm.Value,
            SigningScheme = scheme!,
            SigningTime = signingTime,
            AuthenticSigningTime = authentic,
            Expiry = expiry,
            Payload = [],
            SigningInput = [],
            Signature = [],
            Chain = [],
        }, null);
    }

    /// <summary>notary.x509 carries signingTime (and no authenticSigningTime); notary.x509.signingAuthority the reverse.</summary>
    internal static string? SchemeProblem(string? scheme, bool hasSigningTime, bool hasAuthenticTime) => scheme switch
    {
        NotationHeaders.SchemeX509 when !hasSigningTime => $"signing scheme {scheme} requires {NotationHeaders.SigningTime}",
        NotationHeaders.SchemeX509 when hasAuthenticTime => $"signing scheme {scheme} must not carry {NotationHeaders.AuthenticSigningTime}",
        NotationHeaders.SchemeSigningAuthority when !hasAuthenticTime => $"signing scheme {scheme} requires {NotationHeaders.AuthenticSigningTime}",
        NotationHeaders.SchemeSigningAuthority when hasSigningTime => $"signing scheme {scheme} must not carry {NotationHeaders.SigningTime}",
        NotationHeaders.SchemeX509 or NotationHeaders.SchemeSigningAuthority => null,
        null => $"the protected header has no {NotationHeaders.SigningScheme} string",
        _ => $"signing scheme '{scheme}' is not supported (notary.x509, notary.x509.signingAuthority)",
    };

    private static (IReadOnlyList<X509Certificate2>? Chain, string? Problem) ReadChain(JsonElement header)
    {
        if (!header.TryGetProperty("x5c", out var x5c) || x5c.ValueKind != JsonValueKind.Array || x5c.GetArrayLength() == 0)
            return (null, "the unprotected header has no x5c certificate chain");
        if (x5c.GetArrayLength() > NotationHeaders.MaxChainLength)
            return (null, $"x5c holds {x5c.GetArrayLength()} certificates (at most {NotationHeaders.MaxChainLength})");
        var chain = new List<X509Certificate2>();
        foreach (var item in x5c.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || !TryBase64(item.GetString()!, out byte[]? der))
                return (null, $"x5c[{chain.Count}] is not a base64 string");
            if (LoadCertificate(der) is not { } certificate) return (null, $"x5c[{chain.Count}] is not a DER certificate");
            chain.Add(certificate);
        }
        return (chain, null);
    }

    internal static X509Certificate2? LoadCertificate(byte[] der)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static (DateTimeOffset? Time, string? Problem) Time(JsonElement header, string name)
    {
        if (!header.TryGetProperty(name, out var element)) return (null, null);
        if (element.ValueKind != JsonValueKind.String || !Rfc3339().IsMatch(element.GetString()!)
            || !DateTimeOffset.TryParse(element.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            return (null, $"{name} is not an RFC 3339 date-time");
        return (time, null);
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Describe(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.GetRawText() : "(absent)";

    /// <summary>The first member name that appears twice (JSON parsers disagree on which one wins, so none may).</summary>
    private static string? Duplicate(JsonElement element)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in element.EnumerateObject())
            if (!seen.Add(member.Name)) return member.Name;
        return null;
    }

    /// <summary>Base64url without padding (RFC 7515 2); null when malformed.</summary>
    internal static byte[]? Base64UrlDecode(string text)
    {
        if (text.Contains('=', StringComparison.Ordinal)) return null;
        try
        {
            return Base64Url.DecodeFromChars(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static bool TryBase64(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = new byte[text.Length];
        if (Convert.TryFromBase64String(text, bytes, out int written))
        {
            Array.Resize(ref bytes, written);
            return true;
        }
        bytes = null;
        return false;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();
}
