using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Bollard.IntegrationTests.Support;

/// <summary>Builds JWS compact tokens by hand, so tests can present whatever an attacker would.</summary>
public static class AuthJwt
{
    public static string B64(byte[] data) => Base64Url.EncodeToString(data);

    public static string B64(string text) => B64(Encoding.UTF8.GetBytes(text));

    public static byte[] FromB64(string text) => Base64Url.DecodeFromChars(text);

    public static string SigningInput(JsonObject header, JsonObject claims) => B64(header.ToJsonString()) + "." + B64(claims.ToJsonString());

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

    public static JsonObject Jwk(ECDsa key)
    {
        var p = key.ExportParameters(false);
        return new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = B64(p.Q.X!), ["y"] = B64(p.Q.Y!) };
    }

    public static string SelfSignedCertificate(ECDsa key)
    {
        var request = new CertificateRequest("CN=attacker", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return Convert.ToBase64String(cert.RawData);
    }
}
