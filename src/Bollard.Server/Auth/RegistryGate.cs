using Bollard.Core.Auth;
using Bollard.Core.Oci;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Auth;

/// <summary>
/// Access control for <c>/v2/</c>: finds the caller (bearer token, Basic credentials when allowed, or
/// anonymous), and decides whether it may do what a request needs. Refusals follow the Docker token protocol:
/// 401 with <c>WWW-Authenticate: Bearer realm=...,service=...,scope=...</c> when a (better) token would help,
/// 403 <c>DENIED</c> when the caller is known and simply lacks the right.
/// </summary>
public sealed class RegistryGate(AuthOptions options, TokenService tokens, Authenticator authenticator, AccessEvaluator evaluator, AuditRecorder audit, Metrics.BollardMetrics metrics)
    : IRegistryGate
{
    private static readonly object CallerKey = new();

    /// <summary>The scope that lists the catalog (Docker token spec: <c>registry:catalog:*</c>).</summary>
    public const string CatalogScope = "registry:catalog:*";

    public async Task<RegistryCaller> CallerAsync(HttpContext context)
    {
        if (context.Items.TryGetValue(CallerKey, out var cached) && cached is RegistryCaller c) return c;
        string client = context.Connection.RemoteIpAddress?.ToString() ?? "";
        RegistryCaller caller;
        if (BasicCredentials.BearerSpan(context.Request, out var headerToken))
        {
            // Known tokens are found from a slice of the header, without copying it (this runs on every pull).
            var (validated, problem) = tokens.TryGetVerified(headerToken.Span, out var known)
                ? (known, null)
                : await tokens.ValidateAsync(headerToken.ToString(), context.RequestAborted).ConfigureAwait(false);
            if (validated is null)
            {
                audit.Record("", client, "token.reject", "failure", detail: problem);
                metrics.AuthFailed("invalid_token");
                throw new RegistryAuthException(401, "UNAUTHORIZED", $"invalid bearer token: {problem}", null, "invalid_token");
            }
            var principal = await authenticator.ResolveSubjectAsync(validated.Subject, context.RequestAborted).ConfigureAwait(false);
            // A token names its subject; one issued before the current holder of that name existed belonged to a
            // deleted user or robot and must not act with the new one's rights (second granularity, as in JWTs).
            if (principal is { IsAuthenticated: true } && validated.IssuedAt < principal.CreatedAt.AddSeconds(-1)) principal = null;
            if (principal is null)
            {
                audit.Record(validated.Subject, client, "token.reject", "failure", detail: "subject no longer exists or expired");
                metrics.AuthFailed("invalid_token");
                throw new RegistryAuthException(401, "UNAUTHORIZED", "the token's subject no longer exists or has expired", null, "invalid_token");
            }
            caller = new RegistryCaller(principal, validated.Access, client);
        }
        else if (BasicCredentials.TryRead(context.Request, out var user, out var password))
        {
            if (!options.AllowBasicOnRegistry)
                throw new RegistryAuthException(401, "UNAUTHORIZED", "use a bearer token from the token endpoint (Basic auth on /v2/ is disabled)", null);
            caller = new RegistryCaller(await AuthenticateAsync(user, password, client, context).ConfigureAwait(false), null, client);
        }
        else caller = new RegistryCaller(Principal.Anonymous, null, client);
        context.Items[CallerKey] = caller;
        return caller;
    }

    public async Task<RegistryCaller> ManagementCallerAsync(HttpContext context)
    {
        if (context.Items.TryGetValue(CallerKey, out var cached) && cached is RegistryCaller c) return c;
        string client = context.Connection.RemoteIpAddress?.ToString() ?? "";
        RegistryCaller caller;
        if (BasicCredentials.TryRead(context.Request, out var user, out var password))
            caller = new RegistryCaller(await AuthenticateAsync(user, password, client, context).ConfigureAwait(false), null, client);
        else if (context.Request.Headers.Authorization.Count > 0)
            throw new ManagementException(ManagementError.Unauthorized, "the management API takes Basic credentials (password, personal access token or robot secret)");
        else caller = new RegistryCaller(Principal.Anonymous, null, client);
        context.Items[CallerKey] = caller; // also for the audit record of a refusal
        return caller;
    }

    public Task<Principal> AuthenticateAsync(string user, string password, string client, HttpContext context) =>
        AuthenticateAsync(authenticator, metrics, user, password, client, context.RequestAborted);

    /// <summary>Authenticates Basic credentials, mapping failures to 401/429.</summary>
    internal static async Task<Principal> AuthenticateAsync(Authenticator authenticator, Metrics.BollardMetrics metrics, string user, string password, string client, CancellationToken ct)
    {
        try
        {
            return await authenticator.AuthenticateAsync(user, password, client, ct).ConfigureAwait(false);
        }
        catch (AuthException e) when (e.Failure == AuthFailure.Throttled)
        {
            metrics.AuthFailed("throttled");
            throw new RegistryAuthException(429, "TOO_MANY_REQUESTS", e.Message, null, retryAfter: e.RetryAfter);
        }
        catch (AuthException e)
        {
            metrics.AuthFailed("invalid_credentials");
            throw new RegistryAuthException(401, "UNAUTHORIZED", e.Message, null);
        }
    }

    /// <summary>The access the caller has in <paramref name="repository"/>: token grant ∩ current rights.</summary>
    public async Task<RepositoryAccess> AccessAsync(RegistryCaller caller, RepositoryName repository, CancellationToken ct)
    {
        if (caller.Unrestricted) return RepositoryAccess.All;
        var rights = await evaluator.RightsAsync(caller.Principal, repository.Value, ct).ConfigureAwait(false);
        return rights & caller.GrantedFor(repository.Value);
    }

    public async Task RequireAsync(HttpContext context, RepositoryName repository, RepositoryAccess needed, bool probe = false)
    {
        var caller = await CallerAsync(context).ConfigureAwait(false);
        if (caller.Unrestricted) return;
        var ct = context.RequestAborted;
        var have = await AccessAsync(caller, repository, ct).ConfigureAwait(false);
        if ((have & needed) == needed) return;
        string scope = $"repository:{repository}:{string.Join(',', RepositoryAccessNames.Names(needed | (needed.HasFlag(RepositoryAccess.Push) ? RepositoryAccess.Pull : 0)))}";
        if (!(probe && IsMountProbe(caller, repository))) audit.Record(caller.Principal.Name, caller.ClientAddress, "access.denied", "denied", repository.Value, detail: string.Join(',', RepositoryAccessNames.Names(needed)));
        if (!caller.Principal.IsAuthenticated)
            throw new RegistryAuthException(401, "UNAUTHORIZED", "authentication required", scope);
        var rights = await evaluator.RightsAsync(caller.Principal, repository.Value, ct).ConfigureAwait(false);
        if (caller.ByToken && (rights & needed) == needed)
            throw new RegistryAuthException(401, "UNAUTHORIZED", "the token does not grant this access", scope, "insufficient_scope");
        throw new RegistryAuthException(403, "DENIED", "requested access to the resource is denied", null);
    }

    /// <summary>A token that pushes to another repository checking for a blob here: the source check of a mount.</summary>
    private static bool IsMountProbe(RegistryCaller caller, RepositoryName repository) =>
        caller.Granted is { } granted
        && granted.Any(s => s.Type == Scope.RepositoryType && s.Name != repository.Value && s.Actions.HasFlag(RepositoryAccess.Push));

    public async Task RequireAuthenticatedAsync(HttpContext context)
    {
        var caller = await CallerAsync(context).ConfigureAwait(false);
        if (caller.Unrestricted || caller.Principal.IsAuthenticated || caller.ByToken) return;
        throw new RegistryAuthException(401, "UNAUTHORIZED", "authentication required", null);
    }

    /// <summary>For the catalog: a caller needs the <c>registry:catalog:*</c> scope (any token can ask for it).</summary>
    public async Task<RegistryCaller> RequireCatalogAsync(HttpContext context)
    {
        var caller = await CallerAsync(context).ConfigureAwait(false);
        if (caller.Unrestricted) return caller;
        if (caller.ByToken && caller.HasCatalogScope) return caller;
        if (!caller.ByToken && caller.Principal.IsAuthenticated) return caller;
        // As CNCF Distribution: a token without the scope gets error="insufficient_scope", which is what makes
        // containers/image (podman search) ask for a token with exactly the challenged scope and retry.
        if (caller.ByToken)
            throw new RegistryAuthException(401, "UNAUTHORIZED", "the token does not grant registry:catalog:*", CatalogScope, "insufficient_scope");
        throw new RegistryAuthException(401, "UNAUTHORIZED", "authentication required", CatalogScope);
    }

    public async Task<bool> CanPullAsync(RegistryCaller caller, RepositoryName repository, CancellationToken ct, bool ignoreTokenScope = false)
    {
        var access = ignoreTokenScope && !caller.Unrestricted
            ? await evaluator.RightsAsync(caller.Principal, repository.Value, ct).ConfigureAwait(false)
            : await AccessAsync(caller, repository, ct).ConfigureAwait(false);
        return access.HasFlag(RepositoryAccess.Pull);
    }

    public async Task RecordAsync(HttpContext context, string action, RepositoryName repository, string reference)
    {
        var caller = await CallerAsync(context).ConfigureAwait(false);
        audit.Record(caller.Principal.Name, caller.ClientAddress, action, "success", repository.Value, reference);
    }

    /// <summary>The caller a management request authenticated as, if it got that far (for the audit of a refusal).</summary>
    public static RegistryCaller? KnownCaller(HttpContext context) =>
        context.Items.TryGetValue(CallerKey, out var cached) ? cached as RegistryCaller : null;
}
