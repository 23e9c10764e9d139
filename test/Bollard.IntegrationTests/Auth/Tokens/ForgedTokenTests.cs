using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using static Bollard.IntegrationTests.Support.AuthTokenSupport;

namespace Bollard.IntegrationTests.Auth.Tokens;

/// <summary>
/// Tokens crafted by hand, most of them signed with Bollard's real key read from the database: wrong times,
/// wrong issuer or audience, tampering, algorithm confusion, embedded attacker keys. Every one is refused on
/// /v2 with 401 invalid_token and recorded in the audit log as <c>token.reject</c>.
/// </summary>
public sealed class ForgedTokenTests(AuthTokenServerFixture fixture) : IClassFixture<AuthTokenServerFixture>, IDisposable
{
    private readonly ECDsa _attacker = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private BollardServer Server => fixture.Server;

    public void Dispose() => _attacker.Dispose();

    /// <summary>The active signing key, made by asking for a token first (keys are created on first use).</summary>
    private async Task<(string Kid, ECDsa Key)> ServerKeyAsync()
    {
        await TokenAsync(Server, null);
        var stored = SigningKeys(Server).First(k => k.RetiredAt is null);
        return (stored.KeyId, AuthJwt.ImportPkcs8(stored.PrivateKeyPkcs8));
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>Presents <paramref name="token"/> for a pull and a push; both must be 401 invalid_token; nothing may be stored.</summary>
    private async Task AssertTokenRejectedAsync(string token, string repo)
    {
        var uploadsBefore = Server.UploadFiles();
        using (var pull = await V2Async(Server, HttpMethod.Get, $"/v2/{repo}/tags/list", token))
            await AssertUnauthorizedAsync(pull, "invalid_token");
        using (var push = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token))
            await AssertUnauthorizedAsync(push, "invalid_token");
        using (var root = await V2Async(Server, HttpMethod.Get, "/v2/", token))
            await AssertUnauthorizedAsync(root, "invalid_token");
        await Server.AssertNoNewUploadFilesAsync(uploadsBefore);
    }

    /// <summary>Waits for the audit log to show a token.reject with this detail, newer than <paramref name="afterId"/>.</summary>
    private async Task AssertRejectAuditedAsync(long afterId, string detail)
    {
        var events = await AuditAsync(Server, "action=token.reject");
        Assert.Contains(events, e => (long)e["id"]! > afterId && (string?)e["detail"] == detail && (string?)e["outcome"] == "failure");
    }

    private async Task<long> LastAuditIdAsync()
    {
        var events = await AuditAsync(Server, "");
        return events.Count == 0 ? 0 : events.Max(e => (long)e["id"]!);
    }

    [Fact]
    public async Task ControlCase_ACorrectlyForgedToken_Works()
    {
        // Proves the forging is right, so the refusals below are about what each forgery changes.
        var (kid, key) = await ServerKeyAsync();
        string repo = UniqueName("team-a/forge");
        string token = AuthJwt.SignEs256(AuthJwt.Header(kid), AuthJwt.Claims("alice", $"repository:{repo}:pull,push"), key);
        using var start = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token);
        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        using var cancel = await V2Async(Server, HttpMethod.Delete, start.Headers.Location!.OriginalString, token);
        Assert.Equal(HttpStatusCode.NoContent, cancel.StatusCode);
    }

    public static TheoryData<string, string> Forgeries() => new()
    {
        { "expired", "expired" },
        { "expired-long-ago", "expired" },
        { "nbf-future", "not yet valid" },
        { "iat-future", "issued in the future" },
        { "no-exp", "expired" },
        { "wrong-aud", "wrong audience" },
        { "wrong-aud-array", "wrong audience" },
        { "no-aud", "wrong audience" },
        { "wrong-iss", "wrong issuer" },
        { "no-iss", "wrong issuer" },
        { "tampered-payload", "bad signature" },
        { "tampered-signature", "bad signature" },
        { "der-signature", "bad signature" },
        { "alg-none", "algorithm must be ES256" },
        { "alg-none-signed", "algorithm must be ES256" },
        { "hs256-spki", "algorithm must be ES256" },
        { "hs256-pem", "algorithm must be ES256" },
        { "hs256-as-es256", "bad signature" },
        { "rs256", "algorithm must be ES256" },
        { "jwk-attacker", "bad signature" },
        { "jwk-attacker-no-kid", "kid missing" },
        { "jku-attacker", "bad signature" },
        { "x5c-attacker", "bad signature" },
        { "x5c-attacker-own-kid", "unknown signing key" },
        { "unknown-kid", "unknown signing key" },
        { "no-kid", "kid missing" },
        { "crit", "critical header extensions are not supported" },
        { "duplicate-alg", "malformed token" },
        { "garbage", "malformed token" },
        { "two-parts", "not a JWS compact serialization" },
        { "oversized", "token too long" },
    };

    private string Forge(string kind, string kid, ECDsa key, string repo)
    {
        var claims = AuthJwt.Claims("alice", $"repository:{repo}:pull,push");
        var header = AuthJwt.Header(kid);
        string attackerKid = Convert.ToHexStringLower(SHA256.HashData(_attacker.ExportSubjectPublicKeyInfo()).AsSpan(0, 16));
        switch (kind)
        {
            case "expired": claims["iat"] = Now - 400; claims["nbf"] = Now - 401; claims["exp"] = Now - 60; break;
            case "expired-long-ago": claims["iat"] = 1_000_000_000; claims["nbf"] = 999_999_999; claims["exp"] = 1_000_000_300; break;
            case "nbf-future": claims["nbf"] = Now + 3600; break;
            case "iat-future": claims["iat"] = Now + 3600; claims["nbf"] = null; claims.Remove("nbf"); break;
            case "no-exp": claims.Remove("exp"); break;
            case "wrong-aud": claims["aud"] = "some-other-registry"; break;
            case "wrong-aud-array": claims["aud"] = new JsonArray("some-other-registry", "Bollard"); break;
            case "no-aud": claims.Remove("aud"); break;
            case "wrong-iss": claims["iss"] = "evil-issuer"; break;
            case "no-iss": claims.Remove("iss"); break;
            case "tampered-payload":
            {
                // Sign a pull token, then swap in a payload that adds push and delete.
                var pullOnly = AuthJwt.Claims("alice", $"repository:{repo}:pull");
                var parts = AuthJwt.SignEs256(header, pullOnly, key).Split('.');
                pullOnly["access"] = JsonNode.Parse($$"""[{"type":"repository","name":"{{repo}}","actions":["pull","push","delete"]}]""");
                return $"{parts[0]}.{AuthJwt.B64(pullOnly.ToJsonString())}.{parts[2]}";
            }
            case "tampered-signature":
            {
                var parts = AuthJwt.SignEs256(header, claims, key).Split('.');
                byte[] sig = AuthJwt.FromB64(parts[2]);
                sig[10] ^= 0x80;
                return $"{parts[0]}.{parts[1]}.{AuthJwt.B64(sig)}";
            }
            case "der-signature":
            {
                string input = AuthJwt.SigningInput(header, claims);
                return input + "." + AuthJwt.B64(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
            }
            case "alg-none": return AuthJwt.SigningInput(AuthJwt.Header(kid, "none"), claims) + ".";
            case "alg-none-signed": return AuthJwt.SignEs256(AuthJwt.Header(kid, "none"), claims, key);
            case "hs256-spki": return AuthJwt.SignHs256(AuthJwt.Header(kid, "HS256"), claims, key.ExportSubjectPublicKeyInfo());
            case "hs256-pem": return AuthJwt.SignHs256(AuthJwt.Header(kid, "HS256"), claims, Encoding.ASCII.GetBytes(key.ExportSubjectPublicKeyInfoPem()));
            case "hs256-as-es256": return AuthJwt.SignHs256(header, claims, key.ExportSubjectPublicKeyInfo());
            case "rs256":
            {
                using var rsa = RSA.Create(2048);
                return AuthJwt.SignRs256(AuthJwt.Header(kid, "RS256"), claims, rsa);
            }
            case "jwk-attacker": header["jwk"] = AuthJwt.Jwk(_attacker); return AuthJwt.SignEs256(header, claims, _attacker);
            case "jwk-attacker-no-kid":
                header.Remove("kid");
                header["jwk"] = AuthJwt.Jwk(_attacker);
                return AuthJwt.SignEs256(header, claims, _attacker);
            case "jku-attacker": header["jku"] = "http://127.0.0.1:1/jwks.json"; return AuthJwt.SignEs256(header, claims, _attacker);
            case "x5c-attacker": header["x5c"] = new JsonArray(AuthJwt.SelfSignedCertificate(_attacker)); return AuthJwt.SignEs256(header, claims, _attacker);
            case "x5c-attacker-own-kid":
                header["kid"] = attackerKid;
                header["x5c"] = new JsonArray(AuthJwt.SelfSignedCertificate(_attacker));
                return AuthJwt.SignEs256(header, claims, _attacker);
            case "unknown-kid": header["kid"] = attackerKid; return AuthJwt.SignEs256(header, claims, _attacker);
            case "no-kid": header.Remove("kid"); return AuthJwt.SignEs256(header, claims, key);
            case "crit": header["crit"] = new JsonArray("exp"); return AuthJwt.SignEs256(header, claims, key);
            case "duplicate-alg":
            {
                string input = AuthJwt.B64($$"""{"alg":"ES256","typ":"JWT","kid":"{{kid}}","alg":"none"}""") + "." + AuthJwt.B64(claims.ToJsonString());
                return input + "." + AuthJwt.B64(key.SignData(Encoding.ASCII.GetBytes(input), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
            }
            case "garbage": return "not-base64!.also not.%%%";
            case "two-parts": return AuthJwt.SigningInput(header, claims);
            case "oversized":
                claims["padding"] = new string('x', 20_000);
                return AuthJwt.SignEs256(header, claims, key);
        }
        return AuthJwt.SignEs256(header, claims, key);
    }

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task Forgery_Rejected401_AndAudited(string kind, string problem)
    {
        var (kid, key) = await ServerKeyAsync();
        string repo = UniqueName("team-a/forged");
        string token = Forge(kind, kid, key, repo);
        long before = await LastAuditIdAsync();
        await AssertTokenRejectedAsync(token, repo);
        await AssertRejectAuditedAsync(before, problem);
        // Nothing reached the repository.
        Assert.Empty(await AdminTagsAsync(repo));
    }

    private async Task<List<string>> AdminTagsAsync(string repo)
    {
        string admin = await AdminTokenAsync(Server, $"repository:{repo}:pull");
        using var client = ClientWith(Server, Bearer(admin));
        return await client.TagsAsync(repo);
    }

    [Fact]
    public async Task SignedToken_ForARepositoryThePrincipalMayNotUse_Refused()
    {
        // Even a genuinely signed token is intersected with the principal's current rights: the access claim
        // alone does not make alice a pusher in other/ or give bob anything.
        var (kid, key) = await ServerKeyAsync();
        string repo = UniqueName("other/secret");
        var uploadsBefore = Server.UploadFiles();
        foreach (string sub in new[] { "alice", "bob" })
        {
            string token = AuthJwt.SignEs256(AuthJwt.Header(kid), AuthJwt.Claims(sub, $"repository:{repo}:pull,push,delete", "registry:catalog:*"), key);
            using var pull = await V2Async(Server, HttpMethod.Get, $"/v2/{repo}/tags/list", token);
            await pull.AssertErrorAsync(HttpStatusCode.Forbidden, "DENIED");
            using var push = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", token);
            await push.AssertErrorAsync(HttpStatusCode.Forbidden, "DENIED");
        }
        // Anonymous (empty sub) gets the challenge: logging in might help.
        string anon = AuthJwt.SignEs256(AuthJwt.Header(kid), AuthJwt.Claims("", $"repository:{repo}:pull,push"), key);
        using (var anonPush = await V2Async(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", anon))
            await AssertUnauthorizedAsync(anonPush);
        await Server.AssertNoNewUploadFilesAsync(uploadsBefore);
        var denied = await AuditAsync(Server, $"action=access.denied&repository={Uri.EscapeDataString(repo)}");
        Assert.Contains(denied, e => (string?)e["principal"] == "alice");
    }

    [Fact]
    public async Task SignedToken_ForAnUnknownSubject_Rejected()
    {
        var (kid, key) = await ServerKeyAsync();
        string repo = UniqueName("team-a/ghost");
        long before = await LastAuditIdAsync();
        string token = AuthJwt.SignEs256(AuthJwt.Header(kid), AuthJwt.Claims("ghost-user", $"repository:{repo}:pull,push"), key);
        await AssertTokenRejectedAsync(token, repo);
        await AssertRejectAuditedAsync(before, "subject no longer exists or expired");
        string robot = AuthJwt.SignEs256(AuthJwt.Header(kid), AuthJwt.Claims("robot$never-made", $"repository:{repo}:pull,push"), key);
        await AssertTokenRejectedAsync(robot, repo);
    }

    [Fact]
    public async Task NotABearerToken_OnV2_IsNotAccepted()
    {
        string repo = UniqueName("team-a/basic");
        // Basic credentials on /v2 are off by default: even the right password gets the Bearer challenge.
        using var basic = await SendAsync(Server, HttpMethod.Post, $"/v2/{repo}/blobs/uploads/", Basic("alice", UserPassword));
        await AssertUnauthorizedAsync(basic);
        using var empty = await SendAsync(Server, HttpMethod.Get, $"/v2/{repo}/tags/list", new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", " "));
        Assert.Equal(HttpStatusCode.Unauthorized, empty.StatusCode);
    }
}
