using System.Globalization;
using Bollard.Core.Auth;
using Bollard.Core.Storage;
using Bollard.Server.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary>
/// <c>/api/v1/</c>: JSON management of users, robots, tokens, role bindings, public namespaces and the audit log.
/// Callers authenticate with Basic credentials (password, personal access token or robot secret); registry
/// bearer tokens are not accepted here, so a token scoped to one repository can never be used to manage.
/// All authorization rules live in <see cref="IdentityService"/>; this class only maps HTTP to it.
/// </summary>
public static class ManagementApi
{
    private const long MaxBodyBytes = 1024 * 1024;

    public static void Map(WebApplication app)
    {
        var api = app.MapGroup("/api/v1").AddEndpointFilter(HandleErrorsAsync).WithTags("management");

        api.MapGet("/me", async (HttpContext http, AccessEvaluator evaluator) =>
        {
            var caller = await CallerAsync(http);
            if (!caller.Principal.IsAuthenticated && !caller.Unrestricted) throw new ManagementException(ManagementError.Unauthorized, "authentication required");
            var bindings = await evaluator.BindingsOfAsync(caller.Principal, http.RequestAborted);
            return Results.Ok(new MeResponse(caller.Principal.Name, caller.Principal.Kind.ToString().ToLowerInvariant(), caller.Principal.IsAdmin || caller.Unrestricted,
                bindings.Select(b => new BindingView(0, caller.Principal.Name, caller.Principal.Kind.ToString().ToLowerInvariant(), b.Role.Name(), b.Pattern, default)).ToList()));
        }).WithSummary("Who am I: the caller and its role bindings");

        api.MapPost("/users", async (HttpContext http, CreateUserRequest body, IdentityService ids) =>
        {
            var user = await ids.CreateUserAsync(await CallerAsync(http), body.Name ?? "", body.Password ?? "", body.Admin, http.RequestAborted);
            return Results.Created($"/api/v1/users/{user.Name}", new UserView(user.Name, user.IsAdmin, user.CreatedAt));
        }).WithSummary("Create a user (admin)");

        api.MapGet("/users", async (HttpContext http, IdentityService ids) =>
            Results.Ok((await ids.ListUsersAsync(await CallerAsync(http), http.RequestAborted)).Select(u => new UserView(u.Name, u.IsAdmin, u.CreatedAt)).ToList()))
            .WithSummary("List users (admin)");

        api.MapMethods("/users/{name}", ["PATCH"], async (HttpContext http, string name, UpdateUserRequest body, IdentityService ids) =>
        {
            await ids.UpdateUserAsync(await CallerAsync(http), name, body.Password, body.CurrentPassword, body.Admin, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Change a password (yourself, with the current one) or admin rights (admin)");

        api.MapDelete("/users/{name}", async (HttpContext http, string name, IdentityService ids) =>
        {
            await ids.DeleteUserAsync(await CallerAsync(http), name, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Delete a user with their tokens and role bindings (admin)");

        api.MapPost("/robots", async (HttpContext http, CreateRobotRequest body, IdentityService ids, TimeProvider time) =>
        {
            TimeSpan? expires = null;
            if (body.ExpiresIn is not null)
                expires = Durations.TryParse(body.ExpiresIn, out var d) ? d : throw new ManagementException(ManagementError.BadRequest, $"expiresIn '{body.ExpiresIn}' is not like 90d, 12h, 30m");
            var bindings = (body.Bindings ?? []).Select(b => (ParseRole(b.Role), b.Namespace ?? "")).ToList();
            var (robot, secret) = await ids.CreateRobotAsync(await CallerAsync(http), body.Name ?? "", body.Description ?? "", expires, bindings, http.RequestAborted);
            http.Response.Headers.CacheControl = "no-store";
            return Results.Created($"/api/v1/robots/{robot.Name}", new RobotCreated(robot.Name, secret, robot.ExpiresAt));
        }).WithSummary("Create a robot account; the secret is in this response only (admin)");

        api.MapGet("/robots", async (HttpContext http, IdentityService ids, TimeProvider time) =>
            Results.Ok((await ids.ListRobotsAsync(await CallerAsync(http), http.RequestAborted))
                .Select(r => new RobotView(r.Name, r.Description, r.ExpiresAt, r.CreatedBy, r.CreatedAt, r.ExpiresAt <= time.GetUtcNow())).ToList()))
            .WithSummary("List robot accounts (admin)");

        api.MapDelete("/robots/{name}", async (HttpContext http, string name, IdentityService ids) =>
        {
            await ids.DeleteRobotAsync(await CallerAsync(http), name, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Delete a robot account; its tokens stop working at once (admin)");

        api.MapPost("/tokens", async (HttpContext http, CreateTokenRequest body, IdentityService ids) =>
        {
            TimeSpan? expires = null;
            if (body.ExpiresIn is not null)
                expires = Durations.TryParse(body.ExpiresIn, out var d) ? d : throw new ManagementException(ManagementError.BadRequest, $"expiresIn '{body.ExpiresIn}' is not like 90d, 12h, 30m");
            var (token, secret) = await ids.CreateAccessTokenAsync(await CallerAsync(http), body.Name ?? "", expires, http.RequestAborted);
            http.Response.Headers.CacheControl = "no-store";
            return Results.Created($"/api/v1/tokens/{token.Id}", new TokenCreated(token.Id, token.Name, secret, token.ExpiresAt));
        }).WithSummary("Create a personal access token for yourself; usable as a password; shown once");

        api.MapGet("/tokens", async (HttpContext http, IdentityService ids) =>
            Results.Ok((await ids.ListAccessTokensAsync(await CallerAsync(http), http.RequestAborted)).Select(t => new TokenView(t.Id, t.Name, t.ExpiresAt, t.CreatedAt)).ToList()))
            .WithSummary("List your personal access tokens");

        api.MapDelete("/tokens/{id}", async (HttpContext http, string id, IdentityService ids) =>
        {
            await ids.DeleteAccessTokenAsync(await CallerAsync(http), ParseId(id), http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Revoke one of your personal access tokens");

        api.MapPost("/bindings", async (HttpContext http, CreateBindingRequest body, IdentityService ids) =>
        {
            var b = await ids.AddBindingAsync(await CallerAsync(http), body.Principal ?? "", ParseRole(body.Role), body.Namespace ?? "", http.RequestAborted);
            return Results.Created($"/api/v1/bindings/{b.Id}", View(b));
        }).WithSummary("Bind a role on a namespace pattern to a user or robot (admin)");

        api.MapGet("/bindings", async (HttpContext http, IdentityService ids) =>
            Results.Ok((await ids.ListBindingsAsync(await CallerAsync(http), http.RequestAborted)).Select(View).ToList()))
            .WithSummary("List role bindings (admin: all; others: their own)");

        api.MapDelete("/bindings/{id}", async (HttpContext http, string id, IdentityService ids) =>
        {
            await ids.DeleteBindingAsync(await CallerAsync(http), ParseId(id), http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Remove a role binding (admin)");

        api.MapGet("/namespaces/public", async (IdentityService ids, HttpContext http) =>
            Results.Ok(new PublicNamespaces(await ids.ListPublicNamespacesAsync(http.RequestAborted))))
            .WithSummary("Namespace patterns open to anonymous pull");

        api.MapPut("/namespaces/public", async (HttpContext http, PublicNamespaceRequest body, IdentityService ids) =>
        {
            await ids.SetPublicAsync(await CallerAsync(http), body.Namespace ?? "", body.Public, http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Open or close a namespace pattern to anonymous pull (admin)");

        api.MapGet("/audit", async (HttpContext http, IdentityService ids, IAuditLog log) =>
        {
            var q = http.Request.Query;
            var query = new AuditQuery
            {
                Principal = Opt(q["principal"]), Action = Opt(q["action"]), Repository = Opt(q["repository"]), Outcome = Opt(q["outcome"]),
                Since = OptTime(q["since"], "since"), Until = OptTime(q["until"], "until"),
                BeforeId = Opt(q["before"]) is { } b ? ParseId(b) : null,
                Limit = Opt(q["limit"]) is { } l ? (int)Math.Min(ParseId(l), 1000) : 100,
            };
            var events = await ids.QueryAuditAsync(await CallerAsync(http), query, log, http.RequestAborted);
            var views = events.Select(e => new AuditEventView(e.Id, e.Time, e.Principal, e.ClientAddress, e.Action, e.Repository, e.Reference, e.Outcome, e.Detail, e.Count)).ToList();
            return Results.Ok(new AuditPage(views, views.Count == query.Limit ? views[^1].Id : null));
        }).WithSummary("Query the audit log, newest first; page with ?before=nextBefore (admin: all; others: their own)");

        api.MapPost("/token-keys/rotate", async (HttpContext http, TokenService tokens, AuditRecorder audit) =>
        {
            var caller = await CallerAsync(http);
            IdentityService.RequireAdmin(caller);
            string kid = await tokens.RotateAsync(http.RequestAborted);
            audit.Record(caller.Principal.Name, caller.ClientAddress, "token-key.rotate", "success", detail: kid);
            return Results.Ok(new KeyRotated(kid));
        }).WithSummary("Rotate the token signing key; tokens signed by the old key stay valid until they expire (admin)");
    }

    /// <summary>The caller of a management request (Basic credentials only; see the class comment).</summary>
    private static async Task<RegistryCaller> CallerAsync(HttpContext http)
    {
        var gate = http.RequestServices.GetService(typeof(RegistryGate)) as RegistryGate ?? throw new InvalidOperationException("RegistryGate missing");
        string client = http.Connection.RemoteIpAddress?.ToString() ?? "";
        if (!gate.Enabled) return RegistryCaller.Open(client);
        if (BasicCredentials.TryRead(http.Request, out var user, out var password))
        {
            var caller = new RegistryCaller(await gate.AuthenticateAsync(user, password, client, http), null, client);
            http.Items[typeof(RegistryCaller)] = caller; // for the audit record of a refusal (HandleErrorsAsync)
            return caller;
        }
        if (http.Request.Headers.Authorization.Count > 0)
            throw new ManagementException(ManagementError.Unauthorized, "the management API takes Basic credentials (password, personal access token or robot secret)");
        return new RegistryCaller(Principal.Anonymous, null, client);
    }

    private static async ValueTask<object?> HandleErrorsAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxBodyBytes;
        try
        {
            return await next(context);
        }
        catch (ManagementException e)
        {
            if (e.Error == ManagementError.Unauthorized) http.Response.Headers.WWWAuthenticate = "Basic realm=\"bollard\"";
            // Refused management calls (self-promotion, other principals' objects, public namespaces) are exactly
            // what an audit must show; they were not recorded at all, only the successful changes were.
            if (e.Error is ManagementError.Forbidden or ManagementError.Unauthorized && http.RequestServices.GetService(typeof(AuditRecorder)) is AuditRecorder audit)
            {
                var caller = http.Items.TryGetValue(typeof(RegistryCaller), out var c) ? c as RegistryCaller : null;
                audit.Record(caller?.Principal.Name ?? "", http.Connection.RemoteIpAddress?.ToString() ?? "", "access.denied", "denied",
                    reference: http.Request.Path.Value, detail: $"{http.Request.Method}: {e.Message}");
            }
            return Results.Json(new ApiErrorBody(new ApiError(Code(e.Error), e.Message)), ManagementJson.Default.ApiErrorBody, statusCode: (int)e.Error);
        }
        catch (RegistryAuthException e)
        {
            if (e.RetryAfter is { } wait) http.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            if (e.Status == 401) http.Response.Headers.WWWAuthenticate = "Basic realm=\"bollard\"";
            return Results.Json(new ApiErrorBody(new ApiError(e.Code, e.Message)), ManagementJson.Default.ApiErrorBody, statusCode: e.Status);
        }
    }

    private static string Code(ManagementError error) => error switch
    {
        ManagementError.BadRequest => "BAD_REQUEST",
        ManagementError.Unauthorized => "UNAUTHORIZED",
        ManagementError.Forbidden => "FORBIDDEN",
        ManagementError.NotFound => "NOT_FOUND",
        ManagementError.Conflict => "CONFLICT",
        _ => "ERROR",
    };

    private static BindingView View(RoleBindingRecord b) =>
        new(b.Id, b.PrincipalName, b.Kind.ToString().ToLowerInvariant(), b.Role.Name(), b.Pattern, b.CreatedAt);

    private static Role ParseRole(string? role) =>
        Roles.TryParse(role, out var r) ? r : throw new ManagementException(ManagementError.BadRequest, $"role '{role}' is not one of reader, developer, maintainer, admin");

    private static long ParseId(string text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long id) ? id : throw new ManagementException(ManagementError.BadRequest, $"'{text}' is not a number");

    private static string? Opt(string? value) => string.IsNullOrEmpty(value) ? null : value;

    private static DateTimeOffset? OptTime(string? value, string name) =>
        string.IsNullOrEmpty(value) ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t
        : throw new ManagementException(ManagementError.BadRequest, $"{name} '{value}' is not an ISO 8601 time");
}
