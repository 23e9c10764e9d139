namespace Bollard.Core.Auth;

public sealed record UserRecord(long Id, string Name, string PasswordHash, bool IsAdmin, DateTimeOffset CreatedAt);

public sealed record RobotRecord(long Id, string Name, string SecretHash, string Description, DateTimeOffset? ExpiresAt, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>A personal access token of a user; <see cref="Hash"/> is the SHA-256 of the secret.</summary>
public sealed record AccessTokenRecord(long Id, long UserId, string Name, string Hash, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt);

/// <summary>
/// A refresh token (hashed). <see cref="Credential"/> names what obtained it (<c>password</c>, <c>pat:ID</c>,
/// <c>robot</c>; empty for tokens made before this was recorded), so that it is revoked with that credential;
/// <see cref="Family"/> is shared by a token and the ones that replaced it on use; <see cref="UsedAt"/> is set once
/// it has been exchanged (a second use is a replay).
/// </summary>
public sealed record RefreshTokenRecord(string Hash, PrincipalKind Kind, long PrincipalId, string Audience, DateTimeOffset ExpiresAt)
{
    public string Credential { get; init; } = "";
    public string Family { get; init; } = "";
    public DateTimeOffset? UsedAt { get; init; }
}

public sealed record RoleBindingRecord(long Id, PrincipalKind Kind, long PrincipalId, string PrincipalName, Role Role, string Pattern, DateTimeOffset CreatedAt);

public sealed record SigningKeyRecord(string KeyId, byte[] PrivateKeyPkcs8, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt);
