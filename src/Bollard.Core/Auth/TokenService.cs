using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Bollard.Core.Auth;

/// <summary>A bearer token as handed out by <c>/auth/token</c>.</summary>
public sealed record IssuedToken(string Token, DateTimeOffset IssuedAt, TimeSpan ExpiresIn);

/// <summary>What a valid bearer token says: who, and which scopes it grants.</summary>
public sealed record ValidatedToken(string Subject, IReadOnlyList<Scope> Access, string Jti, DateTimeOffset ExpiresAt)
{
    public DateTimeOffset IssuedAt { get; init; }
}

/// <summary>
/// Issues and validates the registry's bearer tokens: JWTs (spec-auth-jwt.md) signed with ES256 by a P-256 key
/// kept in the metadata store, so tokens survive restarts and all nodes agree. Validation is strict: the
/// algorithm is pinned to ES256 (no <c>none</c>, no HS256 with the public key), the key is chosen only by
/// <c>kid</c> among Bollard's own keys (a <c>jwk</c>, <c>jku</c> or <c>x5c</c> header is ignored: CVE-2025-24976
/// class), and <c>iss</c>, <c>aud</c>, <c>exp</c>, <c>nbf</c> are checked with a small clock skew.
/// Rotation adds a new active key; retired keys still validate tokens until those can no longer be valid.
/// </summary>
public sealed class TokenService(ISigningKeyStore store, AuthOptions options, TimeProvider time) : IDisposable
{
    /// <summary>Longer tokens are refused on use, and so never issued.</summary>
    public const int MaxTokenLength = 16 * 1024;
    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false };
    private const int MaxCachedTokens = 10_000;
    // Clients reuse one token for many requests: remembering verified tokens (until they expire) spares an
    // ECDSA verification per request, which would otherwise dominate the cost of a manifest GET.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ValidatedToken> _verified = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private volatile KeySet? _keys;
    private DateTimeOffset _lastReload;

    public async Task<IssuedToken> IssueAsync(Principal principal, IReadOnlyList<Scope> access, CancellationToken ct)
    {
        var keys = await KeysAsync(ct).ConfigureAwait(false);
        var now = time.GetUtcNow();
        long iat = now.ToUnixTimeSeconds();
        var header = new JsonObject { ["alg"] = "ES256", ["typ"] = "JWT", ["kid"] = keys.Active.KeyId };
        var accessArray = new JsonArray();
        foreach (var scope in access)
        {
            var actions = new JsonArray();
            if (scope.Type == Scope.RegistryType) actions.Add("*");
            else foreach (var name in RepositoryAccessNames.Names(scope.Actions)) actions.Add(name);
            accessArray.Add(new JsonObject { ["type"] = scope.Type, ["name"] = scope.Name, ["actions"] = actions });
        }
        var claims = new JsonObject
        {
            ["iss"] = options.Issuer,
            ["sub"] = principal.Subject,
            ["aud"] = options.Service,
            ["exp"] = iat + (long)options.TokenLifetime.TotalSeconds,
            ["nbf"] = iat - 1,
            ["iat"] = iat,
            ["jti"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            ["access"] = accessArray,
        };
        string signingInput = B64(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + B64(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        // ES256 signatures are 64 bytes (86 characters): a token that would be refused on use is not issued at all.
        if (signingInput.Length + 1 + 86 > MaxTokenLength)
            throw new TokenRequestException("invalid_scope", $"the token for {access.Count} scopes would be longer than {MaxTokenLength} bytes: ask for fewer scopes");
        byte[] signature = keys.Active.Key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return new IssuedToken(signingInput + "." + B64(signature), DateTimeOffset.FromUnixTimeSeconds(iat), options.TokenLifetime);
    }

    /// <returns>The token's claims, or null with <paramref name="problem"/> set when it must not be honoured.</returns>
    /// <summary>
    /// The hot path: a token verified before and not expired, looked up without allocating (the caller passes a
    /// slice of the Authorization header). False means "call <see cref="ValidateAsync"/>".
    /// </summary>
    public bool TryGetVerified(ReadOnlySpan<char> token, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ValidatedToken? validated)
    {
        if (_verified.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(token, out validated)
            && time.GetUtcNow().ToUnixTimeSeconds() <= validated.ExpiresAt.ToUnixTimeSeconds() + (long)options.ClockSkew.TotalSeconds)
            return true;
        validated = null;
        return false;
    }

    public async Task<(ValidatedToken? Token, string? Problem)> ValidateAsync(string token, CancellationToken ct)
    {
        if (token.Length > MaxTokenLength) return (null, "token too long");
        if (_verified.TryGetValue(token, out var known))
        {
            if (time.GetUtcNow().ToUnixTimeSeconds() <= known.ExpiresAt.ToUnixTimeSeconds() + (long)options.ClockSkew.TotalSeconds) return (known, null);
            _verified.TryRemove(token, out _);
            return (null, "expired");
        }
        var parts = token.Split('.');
        if (parts.Length != 3) return (null, "not a JWS compact serialization");
        JsonObject header, claims;
        byte[] signature;
        try
        {
            // Duplicate members are refused (RFC 7515 4): {"alg":"ES256","alg":"none"} must not be ambiguous, and
            // JsonObject would otherwise throw ArgumentException (a 500) on first access.
            header = JsonNode.Parse(FromB64(parts[0]), documentOptions: StrictJson) as JsonObject ?? throw new FormatException();
            claims = JsonNode.Parse(FromB64(parts[1]), documentOptions: StrictJson) as JsonObject ?? throw new FormatException();
            signature = FromB64(parts[2]);
        }
        catch (Exception e) when (e is FormatException or JsonException) { return (null, "malformed token"); }

        if (Str(header, "alg") != "ES256") return (null, "algorithm must be ES256");
        if (header["typ"] is not null && Str(header, "typ") != "JWT") return (null, "typ must be JWT");
        if (header["crit"] is not null) return (null, "critical header extensions are not supported");
        string? kid = Str(header, "kid");
        if (kid is null) return (null, "kid missing");
        var key = await FindKeyAsync(kid, ct).ConfigureAwait(false);
        if (key is null) return (null, "unknown signing key");
        if (signature.Length != 64
            || !key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation))
            return (null, "bad signature");

        if (Str(claims, "iss") != options.Issuer) return (null, "wrong issuer");
        if (!AudienceMatches(claims["aud"])) return (null, "wrong audience");
        var now = time.GetUtcNow();
        long skew = (long)options.ClockSkew.TotalSeconds;
        if (Num(claims, "exp") is not { } exp || now.ToUnixTimeSeconds() > exp + skew) return (null, "expired");
        if (Num(claims, "nbf") is { } nbf && now.ToUnixTimeSeconds() < nbf - skew) return (null, "not yet valid");
        if (Num(claims, "iat") is not { } iat) return (null, "iat missing");
        if (now.ToUnixTimeSeconds() < iat - skew) return (null, "issued in the future");
        // Bollard never issues longer-lived tokens: a far-future exp can only come from a leaked key or a forgery,
        // and must not outlive a rotation in the verified-token cache either.
        if (exp - iat > (long)options.TokenLifetime.TotalSeconds + skew) return (null, "lifetime longer than this server issues");
        string subject = Str(claims, "sub") ?? "";
        var access = new List<Scope>();
        if (claims["access"] is JsonArray array)
            foreach (var item in array)
            {
                if (item is not JsonObject entry || entry["actions"] is not JsonArray actions) return (null, "malformed access claim");
                string type = Str(entry, "type") ?? "";
                string name = Str(entry, "name") ?? "";
                // A non-string action (number, array, object) is "" and so fails the scope parse, instead of throwing.
                string scopeText = $"{type}:{name}:{string.Join(',', actions.Select(a => a is JsonValue v && v.TryGetValue<string>(out var s) ? s : ""))}";
                if (Scope.TryParse(scopeText, out var scope)) access.Add(scope);
            }
        var result = new ValidatedToken(subject, access, Str(claims, "jti") ?? "", DateTimeOffset.FromUnixTimeSeconds(exp)) { IssuedAt = DateTimeOffset.FromUnixTimeSeconds(iat) };
        // Only fully valid tokens are remembered (nbf already passed), so a cache hit needs only the expiry check.
        if (_verified.Count >= MaxCachedTokens) _verified.Clear();
        _verified[token] = result;
        return (result, null);
    }

    /// <summary>Makes a new key the signing key; tokens signed by the old ones stay valid until they expire.</summary>
    public async Task<string> RotateAsync(CancellationToken ct)
    {
        await _loadLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var record = NewKey();
            await store.AddAsync(record, ct).ConfigureAwait(false);
            await store.RetireOthersAsync(record.KeyId, time.GetUtcNow(), ct).ConfigureAwait(false);
            _keys = await LoadAsync(ct).ConfigureAwait(false);
            _verified.Clear(); // tokens of retired keys are verified afresh (and refused once those keys age out)
            return record.KeyId;
        }
        finally { _loadLock.Release(); }
    }

    public async Task<string> ActiveKeyIdAsync(CancellationToken ct) => (await KeysAsync(ct).ConfigureAwait(false)).Active.KeyId;

    private bool AudienceMatches(JsonNode? aud) => aud switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s == options.Service,
        JsonArray a => a.Any(x => x is JsonValue v && v.TryGetValue<string>(out var s) && s == options.Service),
        _ => false,
    };

    private async Task<ECDsa?> FindKeyAsync(string kid, CancellationToken ct)
    {
        var keys = await KeysAsync(ct).ConfigureAwait(false);
        if (keys.Verifiers.TryGetValue(kid, out var key))
        {
            // The cached set is only reloaded for unknown kids: a key retired longer ago than any token can live
            // must stop validating now (as LoadAsync would drop it), not whenever the next reload happens.
            if (keys.Retired.TryGetValue(kid, out var retiredAt) && retiredAt < time.GetUtcNow() - options.TokenLifetime - options.ClockSkew) return null;
            return key;
        }
        // Another node may have rotated: reload, but at most every few seconds so garbage kids cannot hammer the store.
        if (time.GetUtcNow() - _lastReload < TimeSpan.FromSeconds(5)) return null;
        await _loadLock.WaitAsync(ct).ConfigureAwait(false);
        try { _keys = keys = await LoadAsync(ct).ConfigureAwait(false); }
        finally { _loadLock.Release(); }
        return keys.Verifiers.GetValueOrDefault(kid);
    }

    private async Task<KeySet> KeysAsync(CancellationToken ct)
    {
        if (_keys is { } k) return k;
        await _loadLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_keys is { } again) return again;
            var loaded = await LoadAsync(ct).ConfigureAwait(false);
            if (loaded.ActiveOrNull is null)
            {
                await store.AddAsync(NewKey(), ct).ConfigureAwait(false);
                loaded = await LoadAsync(ct).ConfigureAwait(false);
            }
            _keys = loaded;
            return loaded;
        }
        finally { _loadLock.Release(); }
    }

    private async Task<KeySet> LoadAsync(CancellationToken ct)
    {
        _lastReload = time.GetUtcNow();
        var records = await store.ListAsync(ct).ConfigureAwait(false);
        var verifiers = new Dictionary<string, ECDsa>(StringComparer.Ordinal);
        var retiredKeys = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        ActiveKey? active = null;
        var horizon = time.GetUtcNow() - options.TokenLifetime - options.ClockSkew;
        foreach (var r in records)
        {
            if (r.RetiredAt is { } retired && retired < horizon) continue; // no token signed by it can still be valid
            var key = ECDsa.Create();
            key.ImportPkcs8PrivateKey(r.PrivateKeyPkcs8, out _);
            verifiers[r.KeyId] = key;
            if (r.RetiredAt is { } retiredAt) retiredKeys[r.KeyId] = retiredAt;
            if (r.RetiredAt is null && active is null) active = new ActiveKey(r.KeyId, key);
        }
        return new KeySet(active, verifiers, retiredKeys);
    }

    private SigningKeyRecord NewKey()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] spki = key.ExportSubjectPublicKeyInfo();
        string kid = Convert.ToHexStringLower(SHA256.HashData(spki).AsSpan(0, 16));
        return new SigningKeyRecord(kid, key.ExportPkcs8PrivateKey(), time.GetUtcNow(), null);
    }

    private static string? Str(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static long? Num(JsonObject o, string name) =>
        o[name] is JsonValue v && v.TryGetValue<long>(out var n) ? n
        : o[name] is JsonValue d && d.TryGetValue<double>(out var x) && !double.IsNaN(x) && !double.IsInfinity(x) ? (long)x : null;

    private static string B64(ReadOnlySpan<byte> data) => Base64Url.EncodeToString(data);

    private static byte[] FromB64(string s)
    {
        try { return Base64Url.DecodeFromChars(s); }
        catch (FormatException) { throw; }
    }

    private sealed record ActiveKey(string KeyId, ECDsa Key);

    private sealed record KeySet(ActiveKey? ActiveOrNull, Dictionary<string, ECDsa> Verifiers, Dictionary<string, DateTimeOffset> Retired)
    {
        public ActiveKey Active => ActiveOrNull ?? throw new InvalidOperationException("no active token signing key");
    }
    public void Dispose() => _loadLock.Dispose();
}
