using Bollard.Core.Auth;

namespace Bollard.Core.Storage;

public sealed record UserRecord(long Id, string Name, string PasswordHash, bool IsAdmin, DateTimeOffset CreatedAt);

public sealed record RobotRecord(long Id, string Name, string SecretHash, string Description, DateTimeOffset? ExpiresAt, string CreatedBy, DateTimeOffset CreatedAt);

/// <summary>A personal access token of a user; <see cref="Hash"/> is the SHA-256 of the secret.</summary>
public sealed record AccessTokenRecord(long Id, long UserId, string Name, string Hash, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt);

public sealed record RefreshTokenRecord(string Hash, PrincipalKind Kind, long PrincipalId, string Audience, DateTimeOffset ExpiresAt);

public sealed record RoleBindingRecord(long Id, PrincipalKind Kind, long PrincipalId, string PrincipalName, Role Role, string Pattern, DateTimeOffset CreatedAt);

public sealed record SigningKeyRecord(string KeyId, byte[] PrivateKeyPkcs8, DateTimeOffset CreatedAt, DateTimeOffset? RetiredAt);

public sealed record AuditEvent
{
    public long Id { get; init; }
    public DateTimeOffset Time { get; init; }
    public string Principal { get; init; } = "";
    public string ClientAddress { get; init; } = "";
    public required string Action { get; init; }
    public string? Repository { get; init; }
    public string? Reference { get; init; }
    public required string Outcome { get; init; }
    public string? Detail { get; init; }
    /// <summary>How many identical events this record stands for (repeated pulls of one batch; see AuditRecorder).</summary>
    public int Count { get; init; } = 1;
}

public sealed record AuditQuery
{
    public string? Principal { get; init; }
    public string? Action { get; init; }
    public string? Repository { get; init; }
    public string? Outcome { get; init; }
    public DateTimeOffset? Since { get; init; }
    public DateTimeOffset? Until { get; init; }
    /// <summary>Paging: only events with a smaller id (the list is newest first).</summary>
    public long? BeforeId { get; init; }
    public int Limit { get; init; } = 100;
}
