using System.Text.RegularExpressions;
using Bollard.Core.Storage;

namespace Bollard.Core.Auth;

/// <summary>
/// Management of users, robot accounts, personal access tokens, role bindings and public namespaces, with the
/// authorization rules of each operation in one place: only registry admins manage identities and bindings
/// (so nobody can grant themselves a role or admin: Harbor CVE-2019-16097 class); users manage their own
/// password and tokens; ids of other principals' tokens are not found (BOLA: Harbor CVE-2022-31667 class).
/// Every change is audited.
/// </summary>
public sealed partial class IdentityService(
    IIdentityStore identities, IAccessStore access, AccessEvaluator evaluator, Authenticator authenticator,
    AuditRecorder audit, AuthOptions options, TimeProvider time)
{
    public const int MinPasswordLength = 12;

    /// <summary>The outcomes audit events have (a query for another one is a mistake, not an empty result).</summary>
    public static readonly IReadOnlyList<string> AuditOutcomes = ["success", "failure", "throttled", "denied", AuditShaper.SuppressedOutcome];

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex NameGrammar();

    public async Task<UserRecord> CreateUserAsync(RegistryCaller caller, string name, string password, bool isAdmin, CancellationToken ct)
    {
        RequireAdmin(caller);
        ValidateName(name, "user");
        ValidatePassword(password);
        var user = await identities.CreateUserAsync(name, PasswordHasher.Hash(password, options.PasswordIterations), isAdmin, time.GetUtcNow(), ct).ConfigureAwait(false)
            ?? throw new ManagementException(ManagementError.Conflict, $"user '{name}' exists");
        Changed(caller, "user.create", name, isAdmin ? "admin" : null);
        return user;
    }

    /// <summary>Creates the first admin when there are no users at all.</summary>
    /// <returns>The generated password when one was generated, else null.</returns>
    public async Task<(bool Created, string? GeneratedPassword)> EnsureAdminAsync(CancellationToken ct)
    {
        if ((await identities.ListUsersAsync(ct).ConfigureAwait(false)).Count > 0) return (false, null);
        string? generated = options.AdminPassword is { Length: > 0 } ? null : Secrets.New("").Replace('-', 'x').Replace('_', 'y')[..24];
        string password = options.AdminPassword is { Length: > 0 } given ? given : generated!;
        ValidatePassword(password);
        await identities.CreateUserAsync("admin", PasswordHasher.Hash(password, options.PasswordIterations), true, time.GetUtcNow(), ct).ConfigureAwait(false);
        audit.Record("system", "", "user.create", "success", detail: "admin (first start)");
        return (true, generated);
    }

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync(RegistryCaller caller, CancellationToken ct)
    {
        RequireAdmin(caller);
        return await identities.ListUsersAsync(ct).ConfigureAwait(false);
    }

    public async Task UpdateUserAsync(RegistryCaller caller, string name, string? newPassword, string? currentPassword, bool? isAdmin, CancellationToken ct)
    {
        RequireAuthenticated(caller);
        var user = await identities.GetUserAsync(name, ct).ConfigureAwait(false);
        bool self = caller.Principal.Kind == PrincipalKind.User && user is not null && user.Id == caller.Principal.Id;
        if (!caller.Principal.IsAdmin)
        {
            // Users may change their own password (knowing the current one), nothing else.
            if (!self) throw new ManagementException(ManagementError.Forbidden, "only an admin may change other users");
            if (isAdmin is not null) throw new ManagementException(ManagementError.Forbidden, "only an admin may grant or revoke admin");
        }
        if (user is null) throw new ManagementException(ManagementError.NotFound, $"no user '{name}'");
        // One's own password is changed only with the password itself: a personal access token (which may be
        // short-lived, or leaked) must not be able to take the account over. Admins who logged in with their
        // password need not repeat it.
        if (self && newPassword is not null && (!caller.Principal.IsAdmin || caller.Principal.Credential?.Kind != CredentialKind.Password))
        {
            if (currentPassword is null)
                throw new ManagementException(ManagementError.Forbidden, "changing your password needs the current password (currentPassword)");
            bool right;
            try
            {
                right = await authenticator.CheckPasswordAsync(user, currentPassword, caller.ClientAddress, ct).ConfigureAwait(false);
            }
            catch (AuthException e) when (e.Failure == AuthFailure.Throttled)
            {
                throw new ManagementException(ManagementError.TooManyRequests, e.Message, e.RetryAfter);
            }
            if (!right) throw new ManagementException(ManagementError.Forbidden, "the current password is required and must be right");
        }
        else if (!caller.Principal.IsAdmin && !caller.Unrestricted)
            throw new ManagementException(ManagementError.Forbidden, "the current password is required and must be right");
        if (newPassword is not null) ValidatePassword(newPassword);
        if (isAdmin == false && self) throw new ManagementException(ManagementError.BadRequest, "an admin cannot revoke their own admin rights");
        await identities.UpdateUserAsync(user.Id, newPassword is null ? null : PasswordHasher.Hash(newPassword, options.PasswordIterations), isAdmin, ct).ConfigureAwait(false);
        // Refresh tokens obtained with the old password die with it.
        if (newPassword is not null) await identities.RevokeRefreshTokensAsync(PrincipalKind.User, user.Id, AuthCredential.Password.Tag, ct).ConfigureAwait(false);
        authenticator.Invalidate();
        Changed(caller, "user.update", name, string.Join(' ', new[] { newPassword is null ? null : "password", isAdmin is null ? null : $"admin={isAdmin}" }.Where(x => x is not null)));
    }

    public async Task DeleteUserAsync(RegistryCaller caller, string name, CancellationToken ct)
    {
        RequireAdmin(caller);
        var user = await identities.GetUserAsync(name, ct).ConfigureAwait(false) ?? throw new ManagementException(ManagementError.NotFound, $"no user '{name}'");
        if (caller.Principal.Kind == PrincipalKind.User && user.Id == caller.Principal.Id)
            throw new ManagementException(ManagementError.BadRequest, "you cannot delete yourself");
        await identities.DeleteUserAsync(user.Id, ct).ConfigureAwait(false);
        authenticator.Invalidate();
        evaluator.Invalidate();
        Changed(caller, "user.delete", name);
    }

    public async Task<(RobotRecord Robot, string Secret)> CreateRobotAsync(
        RegistryCaller caller, string name, string description, TimeSpan? expiresIn, IReadOnlyList<(Role Role, string Pattern)> bindings, CancellationToken ct)
    {
        RequireAdmin(caller);
        string bare = name.StartsWith(Authenticator.RobotPrefix, StringComparison.Ordinal) ? name[Authenticator.RobotPrefix.Length..] : name;
        ValidateName(bare, "robot");
        if (description.Length > 1024) throw new ManagementException(ManagementError.BadRequest, "description is at most 1024 characters");
        if (expiresIn is { } e && (e <= TimeSpan.Zero || e > TimeSpan.FromDays(3650)))
            throw new ManagementException(ManagementError.BadRequest, "expiry must be between 1 second and 10 years");
        foreach (var (_, pattern) in bindings) ParsePattern(pattern);
        string secret = Secrets.New(Authenticator.RobotSecretPrefix);
        var now = time.GetUtcNow();
        var robot = await identities.CreateRobotAsync(Authenticator.RobotPrefix + bare, Secrets.HashOf(secret), description,
                        expiresIn is null ? null : now + expiresIn.Value, caller.Principal.Name, now, ct).ConfigureAwait(false)
            ?? throw new ManagementException(ManagementError.Conflict, $"robot '{bare}' exists");
        foreach (var (role, pattern) in bindings)
            await access.AddBindingAsync(PrincipalKind.Robot, robot.Id, role, pattern, now, ct).ConfigureAwait(false);
        evaluator.Invalidate();
        Changed(caller, "robot.create", robot.Name, string.Join(", ", bindings.Select(b => $"{b.Role.Name()} on {b.Pattern}")));
        return (robot, secret);
    }

    public async Task<IReadOnlyList<RobotRecord>> ListRobotsAsync(RegistryCaller caller, CancellationToken ct)
    {
        RequireAdmin(caller);
        return await identities.ListRobotsAsync(ct).ConfigureAwait(false);
    }

    public async Task DeleteRobotAsync(RegistryCaller caller, string name, CancellationToken ct)
    {
        RequireAdmin(caller);
        string full = name.StartsWith(Authenticator.RobotPrefix, StringComparison.Ordinal) ? name : Authenticator.RobotPrefix + name;
        var robot = await identities.GetRobotAsync(full, ct).ConfigureAwait(false) ?? throw new ManagementException(ManagementError.NotFound, $"no robot '{name}'");
        await identities.DeleteRobotAsync(robot.Id, ct).ConfigureAwait(false);
        authenticator.Invalidate();
        evaluator.Invalidate();
        Changed(caller, "robot.delete", robot.Name);
    }

    public async Task<(AccessTokenRecord Token, string Secret)> CreateAccessTokenAsync(RegistryCaller caller, string name, TimeSpan? expiresIn, CancellationToken ct)
    {
        RequireUser(caller);
        if (name.Length is 0 or > 128) throw new ManagementException(ManagementError.BadRequest, "a token name is 1 to 128 characters");
        if (expiresIn is { } e && (e <= TimeSpan.Zero || e > TimeSpan.FromDays(3650)))
            throw new ManagementException(ManagementError.BadRequest, "expiry must be between 1 second and 10 years");
        string secret = Secrets.New(Authenticator.AccessTokenPrefix);
        var now = time.GetUtcNow();
        DateTimeOffset? expiresAt = expiresIn is null ? null : now + expiresIn.Value;
        // A token may not outlive the credential that made it: made with an expiring token, it expires no later.
        if (caller.Principal.Credential?.ExpiresAt is { } limit)
        {
            if (expiresAt > limit)
                throw new ManagementException(ManagementError.BadRequest,
                    $"the token you are logged in with expires at {limit:yyyy-MM-ddTHH:mm:ssZ}; a token made with it cannot expire later");
            expiresAt ??= limit;
        }
        var token = await identities.CreateAccessTokenAsync(caller.Principal.Id, name, Secrets.HashOf(secret), expiresAt, now, ct).ConfigureAwait(false);
        Changed(caller, "token.create", caller.Principal.Name, name);
        return (token, secret);
    }

    public async Task<IReadOnlyList<AccessTokenRecord>> ListAccessTokensAsync(RegistryCaller caller, CancellationToken ct)
    {
        RequireUser(caller);
        return await identities.ListAccessTokensAsync(caller.Principal.Id, ct).ConfigureAwait(false);
    }

    /// <summary>Only the caller's own tokens can be found, whatever the id (no BOLA).</summary>
    public async Task DeleteAccessTokenAsync(RegistryCaller caller, long id, CancellationToken ct)
    {
        RequireUser(caller);
        if (!await identities.DeleteAccessTokenAsync(caller.Principal.Id, id, ct).ConfigureAwait(false))
            throw new ManagementException(ManagementError.NotFound, $"no token {id}");
        // Refresh tokens obtained with it are revoked with it.
        await identities.RevokeRefreshTokensAsync(PrincipalKind.User, caller.Principal.Id, AuthCredential.AccessTokenTag(id), ct).ConfigureAwait(false);
        authenticator.Invalidate();
        Changed(caller, "token.delete", caller.Principal.Name, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task<RoleBindingRecord> AddBindingAsync(RegistryCaller caller, string principalName, Role role, string pattern, CancellationToken ct)
    {
        RequireAdmin(caller);
        ParsePattern(pattern);
        var (kind, id) = await FindPrincipalAsync(principalName, ct).ConfigureAwait(false);
        // Binding what is bound already changes nothing, and so is not audited as a change.
        var existing = (await access.ListBindingsAsync(ct).ConfigureAwait(false))
            .FirstOrDefault(b => b.Kind == kind && b.PrincipalId == id && b.Role == role && b.Pattern == pattern);
        if (existing is not null) return existing;
        var binding = await access.AddBindingAsync(kind, id, role, pattern, time.GetUtcNow(), ct).ConfigureAwait(false);
        evaluator.Invalidate();
        Changed(caller, "binding.create", principalName, $"{role.Name()} on {pattern}");
        return binding;
    }

    public async Task<IReadOnlyList<RoleBindingRecord>> ListBindingsAsync(RegistryCaller caller, CancellationToken ct)
    {
        RequireAuthenticated(caller);
        var all = await access.ListBindingsAsync(ct).ConfigureAwait(false);
        // Non-admins see their own bindings only.
        return caller.Principal.IsAdmin ? all : all.Where(b => b.Kind == caller.Principal.Kind && b.PrincipalId == caller.Principal.Id).ToList();
    }

    public async Task DeleteBindingAsync(RegistryCaller caller, long id, CancellationToken ct)
    {
        RequireAdmin(caller);
        if (!await access.DeleteBindingAsync(id, ct).ConfigureAwait(false))
            throw new ManagementException(ManagementError.NotFound, $"no role binding {id}");
        evaluator.Invalidate();
        Changed(caller, "binding.delete", null, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public async Task<IReadOnlyList<string>> ListPublicNamespacesAsync(CancellationToken ct) =>
        await access.ListPublicPatternsAsync(ct).ConfigureAwait(false);

    /// <summary>
    /// Opening a namespace to anonymous pull is a registry-wide security decision: admins only, maintainers of
    /// the namespace included (Harbor CVE-2024-22278 class: a maintainer must not lower security settings).
    /// </summary>
    public async Task SetPublicAsync(RegistryCaller caller, string pattern, bool isPublic, CancellationToken ct)
    {
        RequireAdmin(caller);
        ParsePattern(pattern);
        await access.SetPublicAsync(pattern, isPublic, ct).ConfigureAwait(false);
        evaluator.Invalidate();
        Changed(caller, isPublic ? "namespace.public" : "namespace.private", pattern);
    }

    public async Task<IReadOnlyList<AuditEvent>> QueryAuditAsync(RegistryCaller caller, AuditQuery query, IAuditLog log, CancellationToken ct)
    {
        RequireAuthenticated(caller);
        if (query.Outcome is { } outcome && !AuditOutcomes.Contains(outcome))
            throw new ManagementException(ManagementError.BadRequest, $"outcome '{outcome}' is not one of {string.Join(", ", AuditOutcomes)}");
        // Non-admins see only what they did themselves.
        if (!caller.Principal.IsAdmin) query = query with { Principal = caller.Principal.Name };
        await audit.FlushAsync(ct).ConfigureAwait(false);
        return await log.QueryAsync(query with { Limit = Math.Clamp(query.Limit, 1, 1000) }, ct).ConfigureAwait(false);
    }

    public static void RequireAdmin(RegistryCaller caller)
    {
        RequireAuthenticated(caller);
        if (!caller.Principal.IsAdmin && !caller.Unrestricted)
            throw new ManagementException(ManagementError.Forbidden, "this needs a registry admin");
    }

    private static void RequireAuthenticated(RegistryCaller caller)
    {
        if (!caller.Principal.IsAuthenticated && !caller.Unrestricted)
            throw new ManagementException(ManagementError.Unauthorized, "authentication required");
    }

    private static void RequireUser(RegistryCaller caller)
    {
        RequireAuthenticated(caller);
        if (caller.Principal.Kind != PrincipalKind.User)
            throw new ManagementException(ManagementError.Forbidden, "only users have personal access tokens");
    }

    private async Task<(PrincipalKind, long)> FindPrincipalAsync(string name, CancellationToken ct)
    {
        if (name.StartsWith(Authenticator.RobotPrefix, StringComparison.Ordinal))
        {
            var robot = await identities.GetRobotAsync(name, ct).ConfigureAwait(false) ?? throw new ManagementException(ManagementError.NotFound, $"no robot '{name}'");
            return (PrincipalKind.Robot, robot.Id);
        }
        var user = await identities.GetUserAsync(name, ct).ConfigureAwait(false) ?? throw new ManagementException(ManagementError.NotFound, $"no user '{name}'");
        return (PrincipalKind.User, user.Id);
    }

    private static void ValidateName(string name, string what)
    {
        if (!NameGrammar().IsMatch(name))
            throw new ManagementException(ManagementError.BadRequest, $"a {what} name is 1 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit");
    }

    private static void ValidatePassword(string password)
    {
        if (password.Length < MinPasswordLength || password.Length > 1024)
            throw new ManagementException(ManagementError.BadRequest, $"a password is {MinPasswordLength} to 1024 characters");
    }

    private static void ParsePattern(string pattern)
    {
        if (!NamespacePattern.TryParse(pattern, out _, out var problem)) throw new ManagementException(ManagementError.BadRequest, problem);
    }

    private void Changed(RegistryCaller caller, string action, string? target, string? detail = null) =>
        audit.Record(caller.Principal.Name, caller.ClientAddress, action, "success", reference: target, detail: detail);
}
