using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Bollard.Core.Auth;

/// <summary>
/// Checks credentials: a user's password or personal access token (<c>bpat_...</c>), or a robot's secret
/// (<c>robot$NAME</c>). Failed attempts are throttled (<see cref="LoginThrottle"/>) and audited; an unknown
/// user costs the same PBKDF2 work as a known one, and all PBKDF2 work together is bounded. Verified password logins are remembered for a minute
/// (keyed by a salted hash of the credentials), so Basic auth on every request does not cost 600,000 rounds.
/// </summary>
public sealed class Authenticator(IIdentityStore identities, LoginThrottle throttle, AuditRecorder audit, AuthOptions options, TimeProvider time) : IDisposable
{
    public const string RobotPrefix = "robot$";
    public const string AccessTokenPrefix = "bpat_";
    public const string RobotSecretPrefix = "brs_";
    private static readonly TimeSpan CacheLifetime = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan SubjectCacheLifetime = TimeSpan.FromSeconds(2);
    private readonly byte[] _cacheSalt = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, (Principal Principal, DateTimeOffset Until, long Generation)> _verified = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (Principal? Principal, DateTimeOffset Until, long Generation)> _subjects = new(StringComparer.Ordinal);
    private long _generation;
    private int _hashing;
    private readonly SemaphoreSlim _hashSlots = new(options.MaxConcurrentPasswordHashes, options.MaxConcurrentPasswordHashes);
    // Checked against for unknown users, with the configured work factor, so both paths cost the same.
    private readonly Lazy<string> _dummyHash = new(() => PasswordHasher.Hash("no such user: timing equalization", options.PasswordIterations));

    /// <exception cref="AuthException">Wrong credentials (401) or throttled (429).</exception>
    public async Task<Principal> AuthenticateAsync(string username, string secret, string clientAddress, CancellationToken ct)
    {
        if (throttle.RetryAfter(username, clientAddress) is { } wait)
        {
            audit.Record(username, clientAddress, "login", "throttled");
            throw new AuthException(AuthFailure.Throttled, "too many failed logins; try again later", wait);
        }
        string cacheKey = CacheKey(username, secret);
        long generation = Interlocked.Read(ref _generation);
        if (_verified.TryGetValue(cacheKey, out var hit) && hit.Until > time.GetUtcNow() && hit.Generation == generation)
            return hit.Principal;

        Principal? principal;
        DateTimeOffset? credentialExpires;
        using (await SlowDownAsync(username, clientAddress, ct).ConfigureAwait(false))
            (principal, credentialExpires) = await VerifyAsync(username, secret, clientAddress, ct).ConfigureAwait(false);
        if (principal is null)
        {
            throttle.RecordFailure(username, clientAddress);
            audit.Record(username, clientAddress, "login", "failure");
            throw new AuthException(AuthFailure.InvalidCredentials, "invalid username or password");
        }
        audit.Record(principal.Name, clientAddress, "login", "success");
        // Never remember a robot secret or access token past its own expiry (else it would log in for up to a minute more).
        var until = time.GetUtcNow() + CacheLifetime;
        _verified[cacheKey] = (principal, credentialExpires is { } e && e < until ? e : until, generation);
        return principal;
    }

    /// <summary>
    /// Checks a user's password as a login does (the same throttle, the same bound on hashing work, failures
    /// audited): for the <c>currentPassword</c> of a password change.
    /// </summary>
    /// <exception cref="AuthException">Throttled (429).</exception>
    public async Task<bool> CheckPasswordAsync(UserRecord user, string password, string clientAddress, CancellationToken ct)
    {
        if (throttle.RetryAfter(user.Name, clientAddress) is { } wait)
        {
            audit.Record(user.Name, clientAddress, "login", "throttled", detail: "current password");
            throw new AuthException(AuthFailure.Throttled, "too many failed logins; try again later", wait);
        }
        bool ok;
        using (await SlowDownAsync(user.Name, clientAddress, ct).ConfigureAwait(false))
            ok = await VerifyPasswordAsync(user.Name, password, user.PasswordHash, clientAddress, ct).ConfigureAwait(false);
        if (!ok)
        {
            throttle.RecordFailure(user.Name, clientAddress);
            audit.Record(user.Name, clientAddress, "login", "failure", detail: "current password");
        }
        return ok;
    }

    private async Task<IDisposable?> SlowDownAsync(string username, string clientAddress, CancellationToken ct)
    {
        if (!throttle.MustSlowDown(username, clientAddress)) return null;
        try
        {
            return await throttle.SlowDownAsync(username, ct).ConfigureAwait(false);
        }
        catch (AuthException)
        {
            audit.Record(username, clientAddress, "login", "throttled");
            throw;
        }
    }

    /// <summary>
    /// PBKDF2 with a global bound: at most <see cref="AuthOptions.MaxConcurrentPasswordHashes"/> at once and
    /// <see cref="AuthOptions.MaxQueuedPasswordHashes"/> waiting; beyond that a login is refused at once (429), so a
    /// flood of guesses cannot take every core nor make a legitimate login wait behind it for long.
    /// </summary>
    private async Task<bool> VerifyPasswordAsync(string username, string password, string hash, string clientAddress, CancellationToken ct)
    {
        if (Interlocked.Increment(ref _hashing) > options.MaxConcurrentPasswordHashes + options.MaxQueuedPasswordHashes)
        {
            Interlocked.Decrement(ref _hashing);
            audit.Record(username, clientAddress, "login", "throttled", detail: "password checks busy");
            throw new AuthException(AuthFailure.Throttled, "the server is busy checking passwords; try again shortly", TimeSpan.FromSeconds(1));
        }
        try
        {
            await _hashSlots.WaitAsync(ct).ConfigureAwait(false);
            try { return PasswordHasher.Verify(password, hash); }
            finally { _hashSlots.Release(); }
        }
        finally { Interlocked.Decrement(ref _hashing); }
    }

    /// <summary>
    /// The principal a token's <c>sub</c> names, if it still exists and is valid (a deleted or expired robot's
    /// tokens stop working). Anonymous for an empty subject; null when the subject is gone.
    /// </summary>
    public async Task<Principal?> ResolveSubjectAsync(string subject, CancellationToken ct)
    {
        if (subject.Length == 0) return Principal.Anonymous;
        long generation = Interlocked.Read(ref _generation);
        var now = time.GetUtcNow();
        if (_subjects.TryGetValue(subject, out var hit) && hit.Until > now && hit.Generation == generation)
            return hit.Principal;
        Principal? principal = null;
        var until = now + SubjectCacheLifetime;
        if (subject.StartsWith(RobotPrefix, StringComparison.Ordinal))
        {
            var robot = await identities.GetRobotAsync(subject, ct).ConfigureAwait(false);
            if (robot is not null && (robot.ExpiresAt is null || robot.ExpiresAt > now))
            {
                principal = new Principal(PrincipalKind.Robot, robot.Id, robot.Name, false) { CreatedAt = robot.CreatedAt };
                // The entry ends no later than the robot does, so an expired robot is never served from the cache.
                if (robot.ExpiresAt < until) until = robot.ExpiresAt.Value;
            }
        }
        else
        {
            var user = await identities.GetUserAsync(subject, ct).ConfigureAwait(false);
            if (user is not null) principal = new Principal(PrincipalKind.User, user.Id, user.Name, user.IsAdmin) { CreatedAt = user.CreatedAt };
        }
        _subjects[subject] = (principal, until, generation);
        return principal;
    }

    /// <summary>Forget cached verifications: called after any change to users, robots or tokens.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _verified.Clear();
        _subjects.Clear();
    }

    /// <returns>The principal (null when the credentials are wrong) and when the credential itself expires.</returns>
    private async Task<(Principal? Principal, DateTimeOffset? Expires)> VerifyAsync(string username, string secret, string clientAddress, CancellationToken ct)
    {
        if (username.StartsWith(RobotPrefix, StringComparison.Ordinal))
        {
            var robot = await identities.GetRobotAsync(username, ct).ConfigureAwait(false);
            if (robot is null || !Secrets.Matches(secret, robot.SecretHash)) return (null, null);
            if (robot.ExpiresAt is { } expires && expires <= time.GetUtcNow()) return (null, null);
            return (new Principal(PrincipalKind.Robot, robot.Id, robot.Name, false)
            {
                CreatedAt = robot.CreatedAt, Credential = new AuthCredential(CredentialKind.RobotSecret, 0, robot.ExpiresAt),
            }, robot.ExpiresAt);
        }
        var user = await identities.GetUserAsync(username, ct).ConfigureAwait(false);
        if (secret.StartsWith(AccessTokenPrefix, StringComparison.Ordinal))
        {
            var token = await identities.FindAccessTokenAsync(Secrets.HashOf(secret), ct).ConfigureAwait(false);
            if (user is null || token is null || token.UserId != user.Id) return (null, null);
            if (token.ExpiresAt is { } expires && expires <= time.GetUtcNow()) return (null, null);
            return (new Principal(PrincipalKind.User, user.Id, user.Name, user.IsAdmin)
            {
                CreatedAt = user.CreatedAt, Credential = new AuthCredential(CredentialKind.AccessToken, token.Id, token.ExpiresAt),
            }, token.ExpiresAt);
        }
        if (user is null)
        {
            // Same work as a real check: timing must not reveal which users exist.
            _ = await VerifyPasswordAsync(username, secret, _dummyHash.Value, clientAddress, ct).ConfigureAwait(false);
            return (null, null);
        }
        return (await VerifyPasswordAsync(username, secret, user.PasswordHash, clientAddress, ct).ConfigureAwait(false)
            ? new Principal(PrincipalKind.User, user.Id, user.Name, user.IsAdmin) { CreatedAt = user.CreatedAt, Credential = AuthCredential.Password }
            : null, null);
    }

    private string CacheKey(string username, string secret)
    {
        using var h = new HMACSHA256(_cacheSalt);
        return Convert.ToHexStringLower(h.ComputeHash(Encoding.UTF8.GetBytes(username + "\0" + secret)));
    }

    public void Dispose() => _hashSlots.Dispose();
}
