using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Bollard.Core.Tests.Auth;

/// <summary>Builds JWS compact tokens by hand, so tests can sign whatever an attacker (or a bug) would.</summary>
public static class JwtForge
{
    public static string B64(byte[] data) => Base64Url.EncodeToString(data);

    public static string B64(string text) => B64(Encoding.UTF8.GetBytes(text));

    public static byte[] FromB64(string text) => Base64Url.DecodeFromChars(text);

    public static string SigningInput(JsonObject header, JsonObject claims) =>
        B64(header.ToJsonString()) + "." + B64(claims.ToJsonString());

    public static string SignEs256(JsonObject header, JsonObject claims, ECDsa key)
    {
        string input = SigningInput(header, claims);
        return input + "." + B64(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
    }

    public static string SignHs256(JsonObject header, JsonObject claims, byte[] secret)
    {
        string input = SigningInput(header, claims);
        return input + "." + B64(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)));
    }

    public static string SignRs256(JsonObject header, JsonObject claims, RSA key)
    {
        string input = SigningInput(header, claims);
        return input + "." + B64(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    public static ECDsa ImportPkcs8(byte[] pkcs8)
    {
        var key = ECDsa.Create();
        key.ImportPkcs8PrivateKey(pkcs8, out _);
        return key;
    }

    /// <summary>The public part of <paramref name="key"/> as a JWK (what a <c>jwk</c> header would carry).</summary>
    public static JsonObject Jwk(ECDsa key)
    {
        var p = key.ExportParameters(false);
        return new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = B64(p.Q.X!), ["y"] = B64(p.Q.Y!) };
    }

    /// <summary>A self-signed certificate for <paramref name="key"/>, base64 DER (what an <c>x5c</c> header carries).</summary>
    public static string SelfSignedCertificate(ECDsa key)
    {
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=attacker", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return Convert.ToBase64String(cert.RawData);
    }

    public static JsonObject Header(string? kid, string alg = "ES256")
    {
        var header = new JsonObject { ["alg"] = alg, ["typ"] = "JWT" };
        if (kid is not null) header["kid"] = kid;
        return header;
    }

    public static JsonObject DecodePart(string token, int index) =>
        (JsonObject)JsonNode.Parse(FromB64(token.Split('.')[index]))!;
}
