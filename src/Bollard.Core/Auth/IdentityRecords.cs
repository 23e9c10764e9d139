namespace Bollard.Core.Auth;

public sealed record UserRecord(long Id, string Name, string PasswordHash, bool IsAdmin, DateTimeOffset CreatedAt);

public sealed record RobotRecord(long Id, string Name, string SecretHash, string Description, DateTimeOffset? ExpiresAt, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>A personal access token of a user; <see cref="Hash"/> is the SHA-256 of the secret.</summary>
public sealed record AccessTokenRecord(long Id, long UserId, string Name, string Hash, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt);

public sealed record RefreshTokenRecord(string Hash, PrincipalKind Kind, long PrincipalId, string Audience, DateTimeOffset ExpiresAt);

public sealed record RoleBindingRecord(long Id, PrincipalKind Kind, long PrincipalId, string PrincipalName, Role Role, string Pattern, DateTimeOffset CreatedAt);

public sealed record SigningKeyRecord(string KeyId, byte[] PrivateKeyPkcs8, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt);
