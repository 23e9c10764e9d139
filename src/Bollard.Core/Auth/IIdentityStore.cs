namespace Bollard.Core.Auth;

/// <summary>Users, robot accounts, personal access tokens and refresh tokens. Secrets are stored only hashed.</summary>
public interface IIdentityStore
{
    /// <returns>null when the name is taken.</returns>
    ValueTask<UserRecord?> CreateUserAsync(string name, string passwordHash, bool isAdmin, DateTimeOffset now, CancellationToken ct);
    ValueTask<UserRecord?> GetUserAsync(string name, CancellationToken ct);
    ValueTask<UserRecord?> GetUserAsync(long id, CancellationToken ct);
    ValueTask<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken ct);
    ValueTask<bool> UpdateUserAsync(long id, string? passwordHash, bool? isAdmin, CancellationToken ct);
    /// <summary>Deletes the user with their tokens and role bindings.</summary>
    ValueTask<bool> DeleteUserAsync(long id, CancellationToken ct);

    /// <returns>null when the name is taken.</returns>
    ValueTask<RobotRecord?> CreateRobotAsync(string name, string secretHash, string description, DateTimeOffset? expiresAt, string createdBy, DateTimeOffset now, CancellationToken ct);
    ValueTask<RobotRecord?> GetRobotAsync(string name, CancellationToken ct);
    ValueTask<RobotRecord?> GetRobotAsync(long id, CancellationToken ct);
    ValueTask<IReadOnlyList<RobotRecord>> ListRobotsAsync(CancellationToken ct);
    /// <summary>Deletes the robot with its role bindings and refresh tokens.</summary>
    ValueTask<bool> DeleteRobotAsync(long id, CancellationToken ct);

    ValueTask<AccessTokenRecord> CreateAccessTokenAsync(long userId, string name, string hash, DateTimeOffset? expiresAt, DateTimeOffset now, CancellationToken ct);
    ValueTask<AccessTokenRecord?> FindAccessTokenAsync(string hash, CancellationToken ct);
    ValueTask<IReadOnlyList<AccessTokenRecord>> ListAccessTokensAsync(long userId, CancellationToken ct);
    ValueTask<bool> DeleteAccessTokenAsync(long userId, long id, CancellationToken ct);

    /// <summary>Stores a refresh token (and may drop expired ones).</summary>
    ValueTask CreateRefreshTokenAsync(RefreshTokenRecord token, CancellationToken ct);
    /// <returns>The token, also when it was used already (<see cref="RefreshTokenRecord.UsedAt"/>); null when unknown or revoked.</returns>
    ValueTask<RefreshTokenRecord?> FindRefreshTokenAsync(string hash, CancellationToken ct);
    /// <summary>Marks <paramref name="usedHash"/> used and stores its replacement, atomically.</summary>
    /// <returns>false (and nothing stored) when the token is unknown or was used already.</returns>
    ValueTask<bool> RotateRefreshTokenAsync(string usedHash, RefreshTokenRecord replacement, DateTimeOffset now, CancellationToken ct);
    /// <summary>Revokes a principal's refresh tokens: all of them, or those obtained with <paramref name="credential"/> (and those of unknown origin).</summary>
    /// <returns>How many were revoked.</returns>
    ValueTask<int> RevokeRefreshTokensAsync(PrincipalKind kind, long principalId, string? credential, CancellationToken ct);
    /// <summary>Revokes a token and every token that replaced it or that it replaced.</summary>
    ValueTask<int> RevokeRefreshTokenFamilyAsync(string family, CancellationToken ct);
}
