using System.ComponentModel.DataAnnotations;

namespace Bollard.Core.Auth;

/// <summary>Access control settings, bound from the <c>Auth</c> configuration section.</summary>
public sealed record AuthOptions
{
    public const string Section = "Auth";

    /// <summary>When false, anyone who reaches the port may do anything (a local sandbox only).</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>JWT <c>iss</c>.</summary>
    [Required] public string Issuer { get; init; } = "bollard";

    /// <summary>JWT <c>aud</c> and the <c>service</c> of the Bearer challenge.</summary>
    [Required] public string Service { get; init; } = "bollard";

    /// <summary>Token endpoint URL for the challenge; by default derived from the request (<c>SCHEME://HOST/auth/token</c>).</summary>
    public string? Realm { get; init; }

    /// <summary>Lifetime of issued bearer tokens (token spec: never below 60 s).</summary>
    [Range(typeof(TimeSpan), "00:01:00", "1.00:00:00")]
    public TimeSpan TokenLifetime { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Lifetime of refresh tokens (offline tokens).</summary>
    public TimeSpan RefreshTokenLifetime { get; init; } = TimeSpan.FromDays(30);

    /// <summary>
    /// On: a refresh token is good for one exchange and the answer carries its replacement; a used one presented
    /// again revokes its family. Off (the default): a refresh token stays valid until it expires or its credential
    /// is revoked. Off by default because docker never stores a replacement: the daemon's credential store drops
    /// the new refresh token (moby's static credential store has a no-op SetRefreshToken), so with rotation on
    /// the second `docker pull` after `docker login` would replay the first token and log the user out.
    /// </summary>
    public bool RotateRefreshTokens { get; init; }

    /// <summary>Tolerated clock difference for <c>exp</c>/<c>nbf</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Accept HTTP Basic credentials directly on <c>/v2/</c> (simple setups; tokens are preferred).</summary>
    public bool AllowBasicOnRegistry { get; init; }

    /// <summary>Failed logins allowed per account and client address within <see cref="FailureWindow"/> before 429 (see <see cref="LoginThrottle"/>).</summary>
    [Range(1, 10_000)] public int MaxFailuresPerAccount { get; init; } = 10;

    /// <summary>Failed logins allowed per client address within <see cref="FailureWindow"/> before 429.</summary>
    [Range(1, 100_000)] public int MaxFailuresPerAddress { get; init; } = 50;

    public TimeSpan FailureWindow { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Once an account has <see cref="MaxFailuresPerAccount"/> failures from all addresses together, attempts from
    /// addresses that failed for it go one at a time, this far apart (addresses that never failed are not slowed).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan SlowLoginDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Password hashes (PBKDF2) computed at once, over all logins.</summary>
    [Range(1, 1024)] public int MaxConcurrentPasswordHashes { get; init; } = Environment.ProcessorCount;

    /// <summary>Logins that may wait for a hashing slot; more are refused at once with 429 and Retry-After.</summary>
    [Range(0, 100_000)] public int MaxQueuedPasswordHashes { get; init; } = 2 * Environment.ProcessorCount;

    /// <summary>Password of the <c>admin</c> user created at first start; generated and printed once when absent.</summary>
    public string? AdminPassword { get; init; }

    /// <summary>
    /// Audit rows per source (client address, IPv6 by /64) and minute for events that are not a success of an
    /// authenticated principal (failed logins, refusals, anonymous token requests); the excess is counted in one
    /// <c>audit.suppressed</c> row per source and minute instead of stored one by one.
    /// </summary>
    [Range(1, 1_000_000)] public int AuditMaxEventsPerSourcePerMinute { get; init; } = 600;

    /// <summary>Identical refusals (same principal, client, action, outcome, target, detail) within this window are one audit row with a count.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan AuditCoalesceWindow { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>PBKDF2 iteration count for new password hashes (OWASP: 600,000 for PBKDF2-HMAC-SHA256).</summary>
    [Range(1, 10_000_000)] public int PasswordIterations { get; init; } = PasswordHasher.DefaultIterations;
}
