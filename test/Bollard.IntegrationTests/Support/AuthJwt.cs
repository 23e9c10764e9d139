using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Tests.Auth;

namespace Bollard.IntegrationTests.Support;

/// <summary>Builds JWS compact tokens by hand, so tests can present whatever an attacker would.</summary>
public static class AuthJwt
{
    // The signing primitives are shared with the unit tests (JwtForge, linked into this project).
    public static string B64(byte[] data) => JwtForge.B64(data);

    public static string B64(string text) => JwtForge.B64(text);

    public static byte[] FromB64(string text) => JwtForge.FromB64(text);

    public static string SigningInput(JsonObject header, JsonObject claims) => JwtForge.SigningInput(header, claims);

    public static string SignEs256(JsonObject header, JsonObject claims, ECDsa key) => JwtForge.SignEs256(header, claims, key);

    public static string SignHs256(JsonObject header, JsonObject claims, byte[] secret) => JwtForge.SignHs256(header, claims, secret);

    public static string SignRs256(JsonObject header, JsonObject claims, RSA key) => JwtForge.SignRs256(header, claims, key);

    public static ECDsa ImportPkcs8(byte[] pkcs8) => JwtForge.ImportPkcs8(pkcs8);

    public static JsonObject Header(string? kid, string alg = "ES256")
    {
        var header = new JsonObject { ["alg"] = alg, ["typ"] = "JWT" };
        if (kid is not null) header["kid"] = kid;
        return header;
    }

    /// <summary>Claims as Bollard issues them, valid now, for <paramref name="sub"/> with the given scopes (<c>type:name:actions</c>).</summary>
    public static JsonObject Claims(string sub, params string[] scopes)
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var access = new JsonArray();
        foreach (var scope in scopes)
        {
            var parts = scope.Split(':');
            access.Add(new JsonObject { ["type"] = parts[0], ["name"] = parts[1], ["actions"] = new JsonArray(parts[2].Split(',').Select(a => (JsonNode)a!).ToArray()) });
        }
        return new JsonObject
        {
            ["iss"] = "bollard",
            ["sub"] = sub,
            ["aud"] = "bollard",
            ["exp"] = now + 300,
            ["nbf"] = now - 1,
            ["iat"] = now,
            ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["access"] = access,
        };
    }

    public static JsonObject Jwk(ECDsa key) => JwtForge.Jwk(key);

    public static string SelfSignedCertificate(ECDsa key)
    {
        var request = new CertificateRequest("CN=attacker", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return Convert.ToBase64String(cert.RawData);
    }
}
