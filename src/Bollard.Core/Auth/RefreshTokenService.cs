using Bollard.Core.Storage;

namespace Bollard.Core.Auth;

/// <summary>
/// Refresh (offline) tokens of the token endpoint (<c>brt_...</c>, stored hashed). Each one is bound to the
/// credential that obtained it: it expires no later than that credential, and it is revoked with it (a password
/// change revokes the ones obtained with the password, revoking a personal access token those obtained with it,
/// deleting a user or robot all of theirs). With <see cref="AuthOptions.RotateRefreshTokens"/> (the default) a
/// refresh token is good for one exchange: the answer carries its replacement, and presenting a used one again is
/// a replay, refused, and revokes the whole family (the thief's and the owner's tokens alike; the owner logs in
/// again).
/// </summary>
public sealed class RefreshTokenService(IIdentityStore identities, Authenticator authenticator, AuditRecorder audit, AuthOptions options, TimeProvider time)
{
    public const string Prefix = "brt_";

    /// <returns>A new refresh token for <paramref name="principal"/>, or null when it has no credential to bind it to (anonymous).</returns>
    public async Task<string?> IssueAsync(Principal principal, CancellationToken ct)
    {
        if (!principal.IsAuthenticated || principal.Credential is not { } credential) return null;
        var expires = time.GetUtcNow() + options.RefreshTokenLifetime;
        if (credential.ExpiresAt is { } credentialExpires && credentialExpires < expires) expires = credentialExpires;
        string token = Secrets.New(Prefix);
        await identities.CreateRefreshTokenAsync(new RefreshTokenRecord(Secrets.HashOf(token), principal.Kind, principal.Id, options.Service, expires)
        {
            Credential = credential.Tag,
        }, ct).ConfigureAwait(false);
        return token;
    }

    /// <summary>Exchanges a refresh token: who it belongs to, and its replacement (null when rotation is off).</summary>
    /// <exception cref="AuthException">Unknown, expired, revoked or replayed token, or its subject is gone (401).</exception>
    public async Task<(Principal Principal, string? Replacement)> RedeemAsync(string refreshToken, string? service, string client, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var record = refreshToken.Length is > 0 and < 512 ? await identities.FindRefreshTokenAsync(Secrets.HashOf(refreshToken), ct).ConfigureAwait(false) : null;
        if (record is null || record.ExpiresAt <= now || (service is { Length: > 0 } && service != record.Audience))
            throw Refused("", client, "invalid refresh token");
        if (record.UsedAt is not null && options.RotateRefreshTokens)
        {
            await identities.RevokeRefreshTokenFamilyAsync(record.Family, ct).ConfigureAwait(false);
            throw Refused(await SubjectAsync(record, ct).ConfigureAwait(false), client, "refresh token used twice: it and every token of its family are revoked");
        }
        string subject = await SubjectAsync(record, ct).ConfigureAwait(false);
        var principal = subject.Length == 0 ? null : await authenticator.ResolveSubjectAsync(subject, ct).ConfigureAwait(false);
        if (principal is null || !principal.IsAuthenticated)
            throw Refused(subject, client, "the refresh token's subject no longer exists");
        var credential = AuthCredential.FromTag(record.Credential, record.ExpiresAt);
        principal = principal with { Credential = credential };
        if (!options.RotateRefreshTokens) return (principal, null);

        // The replacement lives as long as a new one would, but never past the credential behind it (whose expiry
        // the used token's expiry already respects, for anything but the password).
        var expires = now + options.RefreshTokenLifetime;
        if (credential?.Kind != CredentialKind.Password && record.ExpiresAt < expires) expires = record.ExpiresAt;
        string replacement = Secrets.New(Prefix);
        var next = new RefreshTokenRecord(Secrets.HashOf(replacement), record.Kind, record.PrincipalId, record.Audience, expires)
        {
            Credential = record.Credential, Family = record.Family,
        };
        if (!await identities.RotateRefreshTokenAsync(record.Hash, next, now, ct).ConfigureAwait(false))
        {
            // Used by someone else between the read and now: the same replay, seen a moment later.
            await identities.RevokeRefreshTokenFamilyAsync(record.Family, ct).ConfigureAwait(false);
            throw Refused(subject, client, "refresh token used twice: it and every token of its family are revoked");
        }
        return (principal, replacement);
    }

    private async Task<string> SubjectAsync(RefreshTokenRecord record, CancellationToken ct) =>
        record.Kind == PrincipalKind.Robot
            ? (await identities.GetRobotAsync(record.PrincipalId, ct).ConfigureAwait(false))?.Name ?? ""
            : (await identities.GetUserAsync(record.PrincipalId, ct).ConfigureAwait(false))?.Name ?? "";

    private AuthException Refused(string principal, string client, string reason)
    {
        audit.Record(principal, client, "login", "failure", detail: reason);
        return new AuthException(AuthFailure.InvalidCredentials, reason);
    }
}
