using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Bollard.Core.Auth;

namespace Bollard.Core.Tests.Auth;

public sealed class TokenServiceTests : IDisposable
{
    private static readonly AuthOptions Options = new()
    {
        Issuer = "bollard",
        Service = "bollard",
        TokenLifetime = TimeSpan.FromMinutes(5),
        ClockSkew = TimeSpan.FromSeconds(30),
    };

    private static readonly Principal Alice = new(PrincipalKind.User, 7, "alice", false);

    private readonly FakeTimeProvider _time = new();
    private readonly InMemorySigningKeyStore _store = new();
    private readonly ECDsa _attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public void Dispose() => _attacker.Dispose();

    private TokenService NewService() => new(_store, Options, _time);

    private static List<Scope> Scopes(params string[] values) => Scope.ParseList(values);

    /// <summary>A service with its first key made, and that key (to forge tokens Bollard itself would accept).</summary>
    private async Task<(TokenService Service, string Kid, ECDsa Key)> ArrangeAsync()
    {
        var service = NewService();
        string kid = await service.ActiveKeyIdAsync(default);
        var record = Assert.Single(_store.Keys);
        Assert.Equal(kid, record.KeyId);
        return (service, kid, JwtForge.ImportPkcs8(record.PrivateKeyPkcs8));
    }

    private long Now => _time.GetUtcNow().ToUnixTimeSeconds();

    private JsonObject Claims(string sub = "alice", long? iat = null, string access = "repository:a:pull")
    {
        long t = iat ?? Now;
        var accessArray = new JsonArray();
        foreach (var scope in Scopes(access))
            accessArray.Add(new JsonObject { ["type"] = scope.Type, ["name"] = scope.Name, ["actions"] = new JsonArray(RepositoryAccessNames.Names(scope.Actions).Select(n => (JsonNode)n!).ToArray()) });
        return new JsonObject
        {
            ["iss"] = "bollard",
            ["sub"] = sub,
            ["aud"] = "bollard",
            ["exp"] = t + 300,
            ["nbf"] = t - 1,
            ["iat"] = t,
            ["jti"] = "0123456789abcdef",
            ["access"] = accessArray,
        };
    }

    private static async Task AssertRejectedAsync(TokenService service, string token, string? problem = null)
    {
        var (validated, why) = await service.ValidateAsync(token, default);
        Assert.Null(validated);
        Assert.NotNull(why);
        if (problem is not null) Assert.Equal(problem, why);
    }

    private static async Task<ValidatedToken> AssertValidAsync(TokenService service, string token)
    {
        var (validated, why) = await service.ValidateAsync(token, default);
        Assert.True(validated is not null, $"rejected: {why}");
        return validated;
    }

    // ---- issue and validate ----

    [Fact]
    public async Task IssueValidate_RoundTrip()
    {
        var service = NewService();
        var issued = await service.IssueAsync(Alice, Scopes("repository:team-a/app:pull,push", "repository:b:delete", "registry:catalog:*"), default);

        Assert.Equal(_time.GetUtcNow(), issued.IssuedAt);
        Assert.Equal(TimeSpan.FromMinutes(5), issued.ExpiresIn);
        var validated = await AssertValidAsync(service, issued.Token);
        Assert.Equal("alice", validated.Subject);
        Assert.Equal(["repository:team-a/app:pull,push", "repository:b:delete", "registry:catalog:*"], validated.Access.Select(s => s.ToString()));
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromMinutes(5), validated.ExpiresAt);
        Assert.Matches("^[0-9a-f]{32}$", validated.Jti);

        var header = JwtForge.DecodePart(issued.Token, 0);
        Assert.Equal("ES256", (string?)header["alg"]);
        Assert.Equal("JWT", (string?)header["typ"]);
        Assert.Equal(await service.ActiveKeyIdAsync(default), (string?)header["kid"]);
        Assert.Equal(3, header.Count);

        var claims = JwtForge.DecodePart(issued.Token, 1);
        Assert.Equal("bollard", (string?)claims["iss"]);
        Assert.Equal("bollard", (string?)claims["aud"]);
        Assert.Equal("alice", (string?)claims["sub"]);
        Assert.Equal(Now, (long)claims["iat"]!);
        Assert.Equal(Now + 300, (long)claims["exp"]!);
        Assert.Equal(Now - 1, (long)claims["nbf"]!);
        Assert.Equal(
            """[{"type":"repository","name":"team-a/app","actions":["pull","push"]},{"type":"repository","name":"b","actions":["delete"]},{"type":"registry","name":"catalog","actions":["*"]}]""",
            claims["access"]!.ToJsonString());
        // 64-byte raw R||S signature, as JWS ES256 requires.
        Assert.Equal(64, JwtForge.FromB64(issued.Token.Split('.')[2]).Length);
    }

    [Fact]
    public async Task Issue_Anonymous_HasEmptySubject_AndEmptyAccess()
    {
        var service = NewService();
        var issued = await service.IssueAsync(Principal.Anonymous, [], default);
        var validated = await AssertValidAsync(service, issued.Token);
        Assert.Equal("", validated.Subject);
        Assert.Empty(validated.Access);
        Assert.Equal("[]", JwtForge.DecodePart(issued.Token, 1)["access"]!.ToJsonString());
    }

    [Fact]
    public async Task Issue_EveryTokenHasItsOwnJti()
    {
        var service = NewService();
        var a = await service.IssueAsync(Alice, [], default);
        var b = await service.IssueAsync(Alice, [], default);
        Assert.NotEqual(a.Token, b.Token);
        Assert.NotEqual((await AssertValidAsync(service, a.Token)).Jti, (await AssertValidAsync(service, b.Token)).Jti);
    }

    [Fact]
    public async Task Keys_AreSharedThroughTheStore()
    {
        // Another node (or a restart) with the same store validates the token and signs with the same key.
        var issued = await NewService().IssueAsync(Alice, Scopes("repository:a:pull"), default);
        var other = NewService();
        await AssertValidAsync(other, issued.Token);
        Assert.Single(_store.Keys);
        Assert.Equal((string?)JwtForge.DecodePart(issued.Token, 0)["kid"], await other.ActiveKeyIdAsync(default));
    }

    // ---- time ----

    [Fact]
    public async Task Expiry_WithClockSkew_Edges()
    {
        var service = NewService();
        var issued = await service.IssueAsync(Alice, Scopes("repository:a:pull"), default);
        _time.Advance(TimeSpan.FromMinutes(5));
        await AssertValidAsync(service, issued.Token);
        _time.Advance(TimeSpan.FromSeconds(30)); // exactly exp + skew: still honoured
        await AssertValidAsync(service, issued.Token);
        _time.Advance(TimeSpan.FromSeconds(1));
        await AssertRejectedAsync(service, issued.Token, "expired");
        _time.Advance(TimeSpan.FromDays(365));
        await AssertRejectedAsync(service, issued.Token, "expired");
    }

    [Fact]
    public async Task Expiry_WithoutSkew()
    {
        var service = new TokenService(_store, Options with { ClockSkew = TimeSpan.Zero }, _time);
        var issued = await service.IssueAsync(Alice, [], default);
        _time.Advance(TimeSpan.FromSeconds(300));
        await AssertValidAsync(service, issued.Token);
        _time.Advance(TimeSpan.FromSeconds(1));
        await AssertRejectedAsync(service, issued.Token, "expired");
    }

    [Fact]
    public async Task Forged_Expired()
    {
        var (service, kid, key) = await ArrangeAsync();
        await AssertValidAsync(service, JwtForge.SignEs256(JwtForge.Header(kid), Claims(iat: Now - 330), key));
        await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header(kid), Claims(iat: Now - 331), key), "expired");
    }

    [Fact]
    public async Task Forged_NotYetValid_Edges()
    {
        var (service, kid, key) = await ArrangeAsync();
        var claims = Claims();
        claims["nbf"] = Now + 30;
        await AssertValidAsync(service, JwtForge.SignEs256(JwtForge.Header(kid), claims, key));
        claims["nbf"] = Now + 31;
        await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header(kid), claims, key), "not yet valid");
        claims["nbf"] = Now + 86_400;
        await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header(kid), claims, key), "not yet valid");
    }

    [Fact]
    public async Task Forged_IssuedInTheFuture()
    {
        var (service, kid, key) = await ArrangeAsync();
        var claims = Claims();
        claims["iat"] = Now + 31;
        await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header(kid), claims, key), "issued in the future");
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("string")]
    [InlineData("null")]
    [InlineData("bool")]
    [InlineData("object")]
    public async Task Forged_BadExp_Rejected(string kind)
    {
        var (service, kid, key) = await ArrangeAsync();
        var claims = Claims();
        switch (kind)
        {
            case "missing": claims.Remove("exp"); break;
            case "string": claims["exp"] = (Now + 300).ToString(System.Globalization.CultureInfo.InvariantCulture); break;
            case "null": claims["exp"] = null; break;
            case "bool": claims["exp"] = true; break;
            case "object": claims["exp"] = new JsonObject(); break;
        }
        await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header(kid), claims, key), "expired");
    }

    // ---- issuer and audience ----

    [Theory]
    [InlineData("\"other\"")]
    [InlineData("\"Bollard\"")]
    [InlineData("\"bollard \"")]
    [InlineData("\"\"")]
    [InlineData("[\"bollard\"]")]
    [InlineData("null")]
    [InlineData("1")]
    [InlineData(null)]
    public async Task Forged_WrongIssuer(string? iss)
    {
        var (service, kid, key) = await ArrangeAsync();
        var claims = Claims();
        if (iss is null) claims.Remove("iss");
        else claims["iss"] = JsonNode.Parse(iss);
        await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header(kid), claims, key), "wrong issuer");
    }

    [Theory]
    [InlineData("\"other\"")]
    [InlineData("\"BOLLARD\"")]
    [InlineData("[\"other\"]")]
    [InlineData("[\"other\",\"another\"]")]
    [InlineData("[]")]
    [InlineData("[[\"bollard\"]]")]
    [InlineData("[1]")]
    [InlineData("{\"aud\":\"bollard\"}")]
    [InlineData("null")]
    [InlineData("1")]
    [InlineData(null)]
    public async Task Forged_WrongAudience(string? aud)
    {
        var (service, kid, key) = await ArrangeAsync();
        var claims = Claims();
        if (aud is null) claims.Remove("aud");
        else claims["aud"] = JsonNode.Parse(aud);
        await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header(kid), claims, key), "wrong audience");
    }

    [Fact]
    public async Task Forged_AudienceArrayContainingTheService_Accepted()
    {
        var (service, kid, key) = await ArrangeAsync();
        var claims = Claims();
        claims["aud"] = new JsonArray("other", "bollard");
        await AssertValidAsync(service, JwtForge.SignEs256(JwtForge.Header(kid), claims, key));
    }

    // ---- tampering ----

    [Fact]
    public async Task TamperedPayload_Rejected()
    {
        var service = NewService();
        var issued = await service.IssueAsync(Alice, Scopes("repository:a:pull"), default);
        var parts = issued.Token.Split('.');
        var claims = JwtForge.DecodePart(issued.Token, 1);
        claims["access"] = JsonNode.Parse("""[{"type":"repository","name":"a","actions":["pull","push","delete"]}]""");
        await AssertRejectedAsync(service, $"{parts[0]}.{JwtForge.B64(claims.ToJsonString())}.{parts[2]}", "bad signature");
        claims = JwtForge.DecodePart(issued.Token, 1);
        claims["sub"] = "admin";
        await AssertRejectedAsync(service, $"{parts[0]}.{JwtForge.B64(claims.ToJsonString())}.{parts[2]}", "bad signature");
        claims = JwtForge.DecodePart(issued.Token, 1);
        claims["exp"] = (long)claims["exp"]! + 86_400;
        await AssertRejectedAsync(service, $"{parts[0]}.{JwtForge.B64(claims.ToJsonString())}.{parts[2]}", "bad signature");
    }

    [Fact]
    public async Task TamperedHeader_Rejected()
    {
        var service = NewService();
        var issued = await service.IssueAsync(Alice, Scopes("repository:a:pull"), default);
        var parts = issued.Token.Split('.');
        var header = JwtForge.DecodePart(issued.Token, 0);
        header["x"] = "y";
        await AssertRejectedAsync(service, $"{JwtForge.B64(header.ToJsonString())}.{parts[1]}.{parts[2]}", "bad signature");
    }

    [Fact]
    public async Task TamperedSignature_Rejected()
    {
        var service = NewService();
        var issued = await service.IssueAsync(Alice, Scopes("repository:a:pull"), default);
        var parts = issued.Token.Split('.');
        byte[] signature = JwtForge.FromB64(parts[2]);
        for (int i = 0; i < signature.Length; i += 13)
        {
            var flipped = (byte[])signature.Clone();
            flipped[i] ^= 0x01;
            await AssertRejectedAsync(service, $"{parts[0]}.{parts[1]}.{JwtForge.B64(flipped)}", "bad signature");
        }
        await AssertRejectedAsync(service, $"{parts[0]}.{parts[1]}.{JwtForge.B64(signature[..63])}", "bad signature");
        await AssertRejectedAsync(service, $"{parts[0]}.{parts[1]}.{JwtForge.B64([.. signature, 0])}", "bad signature");
        await AssertRejectedAsync(service, $"{parts[0]}.{parts[1]}.{JwtForge.B64(new byte[64])}", "bad signature");
        await AssertRejectedAsync(service, $"{parts[0]}.{parts[1]}.", "bad signature");
        // The same signature in DER form is not JWS ES256.
        var (_, kid, key) = await ArrangeAsync();
        byte[] der = key.SignData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        Assert.Equal(kid, (string?)JwtForge.DecodePart(issued.Token, 0)["kid"]);
        await AssertRejectedAsync(service, $"{parts[0]}.{parts[1]}.{JwtForge.B64(der)}", "bad signature");
    }

    [Fact]
    public async Task SignatureFromAnotherToken_Rejected()
    {
        var service = NewService();
        var pull = (await service.IssueAsync(Alice, Scopes("repository:a:pull"), default)).Token.Split('.');
        var push = (await service.IssueAsync(Alice, Scopes("repository:a:push"), default)).Token.Split('.');
        await AssertRejectedAsync(service, $"{push[0]}.{push[1]}.{pull[2]}", "bad signature");
    }

    // ---- algorithm confusion ----

    [Theory]
    [InlineData("none")]
    [InlineData("None")]
    [InlineData("NONE")]
    [InlineData("nOnE")]
    [InlineData("")]
    [InlineData("es256")]
    [InlineData("ES256 ")]
    [InlineData("ES384")]
    [InlineData("ES512")]
    [InlineData("PS256")]
    [InlineData("EdDSA")]
    public async Task AlgorithmOtherThanES256_Rejected(string alg)
    {
        var (service, kid, key) = await ArrangeAsync();
        // Even with a real ES256 signature: the header must say ES256, exactly.
        await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header(kid, alg), Claims(), key), "algorithm must be ES256");
        // And the classic alg:none with an empty signature.
        await AssertRejectedAsync(service, JwtForge.SigningInput(JwtForge.Header(kid, alg), Claims()) + ".", "algorithm must be ES256");
    }

    [Fact]
    public async Task AlgorithmMissingOrNotAString_Rejected()
    {
        var (service, kid, key) = await ArrangeAsync();
        var header = JwtForge.Header(kid);
        header.Remove("alg");
        await AssertRejectedAsync(service, JwtForge.SignEs256(header, Claims(), key), "algorithm must be ES256");
        header["alg"] = new JsonArray("ES256");
        await AssertRejectedAsync(service, JwtForge.SignEs256(header, Claims(), key), "algorithm must be ES256");
        header["alg"] = null;
        await AssertRejectedAsync(service, JwtForge.SignEs256(header, Claims(), key), "algorithm must be ES256");
    }

    [Fact]
    public async Task Hs256WithThePublicKeyAsHmacSecret_Rejected()
    {
        var (service, kid, key) = await ArrangeAsync();
        byte[] spki = key.ExportSubjectPublicKeyInfo();
        byte[] pem = Encoding.ASCII.GetBytes(key.ExportSubjectPublicKeyInfoPem());
        byte[] pemNewline = Encoding.ASCII.GetBytes(key.ExportSubjectPublicKeyInfoPem() + "\n");
        var p = key.ExportParameters(false);
        byte[] rawPoint = [0x04, .. p.Q.X!, .. p.Q.Y!];
        foreach (var secret in new[] { spki, pem, pemNewline, rawPoint, Encoding.ASCII.GetBytes(kid) })
        {
            await AssertRejectedAsync(service, JwtForge.SignHs256(JwtForge.Header(kid, "HS256"), Claims(), secret), "algorithm must be ES256");
            // Even if the header were to claim ES256, an HMAC is not a signature by Bollard's key.
            await AssertRejectedAsync(service, JwtForge.SignHs256(JwtForge.Header(kid), Claims(), secret), "bad signature");
        }
    }

    [Fact]
    public async Task Rs256_Rejected()
    {
        var (service, kid, _) = await ArrangeAsync();
        using var rsa = RSA.Create(2048);
        await AssertRejectedAsync(service, JwtForge.SignRs256(JwtForge.Header(kid, "RS256"), Claims(), rsa), "algorithm must be ES256");
        await AssertRejectedAsync(service, JwtForge.SignRs256(JwtForge.Header(kid), Claims(), rsa), "bad signature");
    }

    // ---- embedded keys (CVE-2025-24976 class): jwk, jku, x5c are never trusted ----

    public static TheoryData<string> EmbeddedKeyHeaders() => new() { "jwk", "jku", "x5c", "x5u" };

    private JsonObject WithEmbeddedKey(JsonObject header, string kind)
    {
        switch (kind)
        {
            case "jwk": header["jwk"] = JwtForge.Jwk(_attacker); break;
            case "jku": header["jku"] = "https://attacker.example/jwks.json"; break;
            case "x5c": header["x5c"] = new JsonArray(JwtForge.SelfSignedCertificate(_attacker)); break;
            case "x5u": header["x5u"] = "https://attacker.example/cert.pem"; break;
        }
        return header;
    }

    [Theory]
    [MemberData(nameof(EmbeddedKeyHeaders))]
    public async Task EmbeddedAttackerKey_WithBollardsKid_Rejected(string kind)
    {
        var (service, kid, _) = await ArrangeAsync();
        var token = JwtForge.SignEs256(WithEmbeddedKey(JwtForge.Header(kid), kind), Claims(sub: "admin", access: "repository:a:pull,push,delete"), _attacker);
        await AssertRejectedAsync(service, token, "bad signature");
    }

    [Theory]
    [MemberData(nameof(EmbeddedKeyHeaders))]
    public async Task EmbeddedAttackerKey_WithoutKid_Rejected(string kind)
    {
        var (service, _, _) = await ArrangeAsync();
        var token = JwtForge.SignEs256(WithEmbeddedKey(JwtForge.Header(null), kind), Claims(sub: "admin"), _attacker);
        await AssertRejectedAsync(service, token, "kid missing");
    }

    [Theory]
    [MemberData(nameof(EmbeddedKeyHeaders))]
    public async Task EmbeddedAttackerKey_WithTheAttackersKid_Rejected(string kind)
    {
        var (service, _, _) = await ArrangeAsync();
        string attackerKid = Convert.ToHexStringLower(SHA256.HashData(_attacker.ExportSubjectPublicKeyInfo()).AsSpan(0, 16));
        var token = JwtForge.SignEs256(WithEmbeddedKey(JwtForge.Header(attackerKid), kind), Claims(sub: "admin"), _attacker);
        await AssertRejectedAsync(service, token, "unknown signing key");
    }

    [Fact]
    public async Task EmbeddedJwk_IsIgnored_WhenTheRealKeySigned()
    {
        // The jwk header neither helps nor hurts: the key comes from the kid only.
        var (service, kid, key) = await ArrangeAsync();
        var header = JwtForge.Header(kid);
        header["jwk"] = JwtForge.Jwk(_attacker);
        await AssertValidAsync(service, JwtForge.SignEs256(header, Claims(), key));
    }

    // ---- kid and other header fields ----

    [Fact]
    public async Task UnknownKid_Rejected()
    {
        var (service, kid, key) = await ArrangeAsync();
        await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header(new string('0', 32)), Claims(), key), "unknown signing key");
        await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header(kid.ToUpperInvariant()), Claims(), key), "unknown signing key");
        await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header(""), Claims(), key), "unknown signing key");
        await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header("../../etc/passwd"), Claims(), key), "unknown signing key");
    }

    [Fact]
    public async Task MissingOrNonStringKid_Rejected()
    {
        var (service, kid, key) = await ArrangeAsync();
        await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header(null), Claims(), key), "kid missing");
        var header = JwtForge.Header(null);
        header["kid"] = new JsonArray(kid);
        await AssertRejectedAsync(service, JwtForge.SignEs256(header, Claims(), key), "kid missing");
        header["kid"] = 1;
        await AssertRejectedAsync(service, JwtForge.SignEs256(header, Claims(), key), "kid missing");
    }

    [Fact]
    public async Task CritHeader_Rejected()
    {
        var (service, kid, key) = await ArrangeAsync();
        var header = JwtForge.Header(kid);
        header["crit"] = new JsonArray("exp");
        header["exp"] = Now + 300;
        await AssertRejectedAsync(service, JwtForge.SignEs256(header, Claims(), key), "critical header extensions are not supported");
        header["crit"] = new JsonArray();
        await AssertRejectedAsync(service, JwtForge.SignEs256(header, Claims(), key), "critical header extensions are not supported");
    }

    [Fact]
    public async Task Typ_MustBeJwtWhenPresent()
    {
        var (service, kid, key) = await ArrangeAsync();
        var header = JwtForge.Header(kid);
        header.Remove("typ");
        await AssertValidAsync(service, JwtForge.SignEs256(header, Claims(), key));
        header["typ"] = "at+jwt";
        await AssertRejectedAsync(service, JwtForge.SignEs256(header, Claims(), key), "typ must be JWT");
    }

    [Fact]
    public async Task DuplicateHeaderMembers_NeverThrow_NeverDowngrade()
    {
        var (service, kid, key) = await ArrangeAsync();
        foreach (string headerJson in new[]
        {
            $$"""{"alg":"ES256","alg":"none","kid":"{{kid}}"}""",
            $$"""{"alg":"none","alg":"ES256","kid":"{{kid}}"}""",
            $$"""{"alg":"ES256","kid":"{{kid}}","kid":"{{kid}}"}""",
        })
        {
            string input = JwtForge.B64(headerJson) + "." + JwtForge.B64(Claims().ToJsonString());
            string signed = input + "." + JwtForge.B64(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
            // Ambiguous headers are refused (JWS RFC 7515 4: duplicate names must be rejected or use the last one).
            await AssertRejectedAsync(service, signed);
            await AssertRejectedAsync(service, input + ".");
        }
    }

    // ---- garbage ----

    public static TheoryData<string> GarbageTokens() => new()
    {
        "",
        " ",
        ".",
        "..",
        "...",
        "a",
        "a.b",
        "a.b.c.d",
        "!!!.!!!.!!!",
        "e30.e30.",
        "e30.e30.e30",
        "bnVsbA.bnVsbA.AA", // null.null
        "W10.W10.AA", // [].[]
        "ImEi.ImEi.AA", // "a"."a"
        "eyJhbGciOiJFUzI1NiJ9.e30=.AA", // padding
        "eyJhbGciOiJFUzI1NiJ9.%%%.AA",
        "eyJhbGciOiJFUzI1NiJ9..AA",
        "/w./w./w", // not UTF-8
        "Bearer eyJhbGciOiJFUzI1NiJ9.e30.AA",
    };

    [Theory]
    [MemberData(nameof(GarbageTokens))]
    public async Task Garbage_RejectedWithoutThrowing(string token)
    {
        var service = NewService();
        await AssertRejectedAsync(service, token);
    }

    [Fact]
    public async Task DeeplyNestedJson_Rejected()
    {
        var service = NewService();
        string deep = new string('[', 10_000) + new string(']', 10_000);
        await AssertRejectedAsync(service, JwtForge.B64(deep) + "." + JwtForge.B64("{}") + ".AA");
    }

    [Fact]
    public async Task Oversized_RejectedQuickly()
    {
        var (service, kid, key) = await ArrangeAsync();
        var claims = Claims();
        claims["pad"] = new string('x', 20_000);
        string big = JwtForge.SignEs256(JwtForge.Header(kid), claims, key);
        await AssertRejectedAsync(service, big, "token too long");
        await AssertRejectedAsync(service, new string('a', 10_000_000), "token too long");
        await AssertRejectedAsync(service, string.Concat(Enumerable.Repeat("a.", 100_000)), "token too long");
    }

    // ---- the access claim ----

    [Fact]
    public async Task AccessClaim_InvalidEntriesGrantNothing()
    {
        var (service, kid, key) = await ArrangeAsync();
        var claims = Claims();
        claims["access"] = JsonNode.Parse("""
            [
              {"type":"repository","name":"a/../b","actions":["pull"]},
              {"type":"repository","name":"*","actions":["pull"]},
              {"type":"repository","name":"team-a/**","actions":["pull"]},
              {"type":"repository","name":"a:b","actions":["pull"]},
              {"type":"repository","name":"c","actions":["pull","admin"]},
              {"type":"repository","name":"d","actions":[]},
              {"type":"registry","name":"catalog","actions":["pull"]},
              {"type":"superuser","name":"everything","actions":["*"]},
              {"type":"repository","name":"ok","actions":["pull"]}
            ]
            """);
        var validated = await AssertValidAsync(service, JwtForge.SignEs256(JwtForge.Header(kid), claims, key));
        Assert.Equal(["repository:ok:pull"], validated.Access.Select(s => s.ToString()));
    }

    [Theory]
    [InlineData("""["repository:a:pull"]""")]
    [InlineData("""[{"type":"repository","name":"a","actions":"pull"}]""")]
    [InlineData("""[{"type":"repository","name":"a"}]""")]
    [InlineData("""[null]""")]
    [InlineData("""[{"type":"repository","name":"a","actions":[1]}]""")]
    [InlineData("""[{"type":"repository","name":"a","actions":[null]}]""")]
    [InlineData("""[{"type":"repository","name":"a","actions":[["pull"]]}]""")]
    [InlineData("""[{"type":"repository","name":"a","actions":[{"pull":true}]}]""")]
    [InlineData("""[{"type":1,"name":"a","actions":["pull"]}]""")]
    public async Task AccessClaim_Malformed_GrantsNothing_NeverThrows(string access)
    {
        var (service, kid, key) = await ArrangeAsync();
        var claims = Claims();
        claims["access"] = JsonNode.Parse(access);
        var (validated, _) = await service.ValidateAsync(JwtForge.SignEs256(JwtForge.Header(kid), claims, key), default);
        Assert.True(validated is null || validated.Access.Count == 0, "a malformed access entry granted something");
    }

    [Fact]
    public async Task AccessClaim_MissingOrNotAnArray_GrantsNothing()
    {
        var (service, kid, key) = await ArrangeAsync();
        var claims = Claims();
        claims.Remove("access");
        Assert.Empty((await AssertValidAsync(service, JwtForge.SignEs256(JwtForge.Header(kid), claims, key))).Access);
        claims["access"] = new JsonObject { ["type"] = "repository", ["name"] = "a", ["actions"] = new JsonArray("pull") };
        Assert.Empty((await AssertValidAsync(service, JwtForge.SignEs256(JwtForge.Header(kid), claims, key))).Access);
    }

    // ---- rotation ----

    [Fact]
    public async Task Rotate_OldTokensStayValid_NewTokensUseTheNewKid()
    {
        var service = NewService();
        var before = await service.IssueAsync(Alice, Scopes("repository:a:pull"), default);
        string oldKid = (string)JwtForge.DecodePart(before.Token, 0)["kid"]!;

        _time.Advance(TimeSpan.FromSeconds(10));
        string newKid = await service.RotateAsync(default);
        Assert.NotEqual(oldKid, newKid);
        Assert.Equal(newKid, await service.ActiveKeyIdAsync(default));

        var after = await service.IssueAsync(Alice, Scopes("repository:a:pull"), default);
        Assert.Equal(newKid, (string?)JwtForge.DecodePart(after.Token, 0)["kid"]);
        await AssertValidAsync(service, before.Token);
        await AssertValidAsync(service, after.Token);

        // The store has both keys; the old one is retired at rotation time.
        Assert.Equal(2, _store.Keys.Count);
        Assert.Equal(_time.GetUtcNow(), _store.Keys.Single(k => k.KeyId == oldKid).RetiredAt);
        Assert.Null(_store.Keys.Single(k => k.KeyId == newKid).RetiredAt);

        // A node that starts now (same store) agrees on both.
        var other = NewService();
        Assert.Equal(newKid, await other.ActiveKeyIdAsync(default));
        await AssertValidAsync(other, before.Token);
        await AssertValidAsync(other, after.Token);
    }

    [Fact]
    public async Task Rotate_Twice_AllTokensUntilExpiry()
    {
        var service = NewService();
        var t1 = await service.IssueAsync(Alice, [], default);
        await service.RotateAsync(default);
        var t2 = await service.IssueAsync(Alice, [], default);
        await service.RotateAsync(default);
        var t3 = await service.IssueAsync(Alice, [], default);
        Assert.Equal(3, new[] { t1, t2, t3 }.Select(t => (string?)JwtForge.DecodePart(t.Token, 0)["kid"]).Distinct().Count());
        foreach (var t in new[] { t1, t2, t3 }) await AssertValidAsync(service, t.Token);
        Assert.Single(_store.Keys, k => k.RetiredAt is null);
    }

    [Fact]
    public async Task RetiredKey_StopsValidating_AfterTokenLifetimePlusSkew()
    {
        var (service, oldKid, oldKey) = await ArrangeAsync();
        await service.RotateAsync(default);

        // Within lifetime + skew of the retirement, a token signed by the old key (issued before) is fine.
        _time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(30));
        await AssertValidAsync(service, JwtForge.SignEs256(JwtForge.Header(oldKid), Claims(iat: Now - 10), oldKey));

        // After that, no token it signed can be valid any more: the key itself is no longer honoured, even for a
        // token with fresh times (what someone holding a leaked old key would make).
        _time.Advance(TimeSpan.FromSeconds(1));
        var fresh = JwtForge.SignEs256(JwtForge.Header(oldKid), Claims(), oldKey);
        await AssertRejectedAsync(service, fresh, "unknown signing key");
        await AssertRejectedAsync(NewService(), fresh, "unknown signing key");

        // The new key works on.
        await AssertValidAsync(service, (await service.IssueAsync(Alice, [], default)).Token);
    }

    [Fact]
    public async Task RotationByAnotherNode_IsPickedUp_ReloadAtMostEveryFewSeconds()
    {
        var nodeA = NewService();
        await nodeA.ActiveKeyIdAsync(default);
        var nodeB = NewService();
        string newKid = await nodeB.RotateAsync(default);
        var token = await nodeB.IssueAsync(Alice, [], default);
        Assert.Equal(newKid, (string?)JwtForge.DecodePart(token.Token, 0)["kid"]);

        // Node A loaded its keys just now: it does not reload yet for an unknown kid.
        await AssertRejectedAsync(nodeA, token.Token, "unknown signing key");
        _time.Advance(TimeSpan.FromSeconds(5));
        await AssertValidAsync(nodeA, token.Token);
    }

    [Fact]
    public async Task GarbageKids_DoNotHammerTheStore()
    {
        var (service, _, key) = await ArrangeAsync();
        int before = _store.ListCalls;
        for (int i = 0; i < 200; i++)
            await AssertRejectedAsync(service, JwtForge.SignEs256(JwtForge.Header($"kid{i}"), Claims(), key), "unknown signing key");
        Assert.True(_store.ListCalls - before <= 1, $"{_store.ListCalls - before} store reads");
    }
}
