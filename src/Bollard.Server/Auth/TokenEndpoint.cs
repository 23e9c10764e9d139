using System.Text.Json.Serialization;
using Bollard.Core.Auth;
using Bollard.Server.Distribution;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Auth;

/// <summary>
/// <c>/auth/token</c>, the Docker token service (spec-auth-token.md, spec-auth-oauth.md). GET with optional
/// Basic credentials, or the OAuth2 POST form (<c>grant_type=password</c> or <c>refresh_token</c>). The token
/// grants the intersection of the requested scopes and the caller's rights; asking for more is not an error.
/// Malformed scopes (wildcards, <c>..</c>, extra colons, unknown types) are dropped: they grant nothing.
/// A pull scope on a name that the transparent mirror maps (<see cref="TransparentMirror"/>: <c>library/alpine</c>, with
/// the <c>?ns=</c> that the challenge's realm carried) is judged on the mirrored repository and granted under that
/// name (<c>repository:mirror/docker.io/library/alpine:pull</c>), which is the name the gate sees on the retried request.
/// </summary>
public sealed class TokenEndpoint(
    AuthOptions options, TokenService tokens, AccessEvaluator evaluator,
    RefreshTokenService refreshTokens, IRegistryGate gate, AuditRecorder audit, Metrics.BollardMetrics metrics,
    TransparentMirror transparent)
{
    public async Task HandleAsync(HttpContext context)
    {
        // A token request is a few hundred bytes; Kestrel's body limit is off globally for blob uploads.
        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = 64 * 1024;
        try
        {
            await IssueAsync(context).ConfigureAwait(false);
        }
        catch (Exception e) when (e is BadHttpRequestException or InvalidDataException)
        {
            // Oversized or malformed form bodies: a clear OAuth error, not a 500.
            context.Response.StatusCode = e is BadHttpRequestException b ? b.StatusCode : StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new OAuthError("invalid_request", e.Message), AuthJson.Relaxed.OAuthError).ConfigureAwait(false);
        }
        catch (TokenRequestException e)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsJsonAsync(new OAuthError(e.Error, e.Message), AuthJson.Relaxed.OAuthError).ConfigureAwait(false);
        }
        catch (RegistryAuthException e)
        {
            context.Response.StatusCode = e.Status;
            if (e.RetryAfter is { } wait) context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (e.Status == 401) context.Response.Headers.WWWAuthenticate = $"Basic realm=\"{options.Service}\"";
            await context.Response.WriteAsJsonAsync(new OAuthError(e.Status == 429 ? "slow_down" : "invalid_grant", e.Message), AuthJson.Relaxed.OAuthError).ConfigureAwait(false);
        }
    }

    private static void Grant(List<Scope> granted, Scope scope)
    {
        int at = granted.FindIndex(g => g.Type == scope.Type && g.Name == scope.Name);
        if (at < 0) granted.Add(scope);
        else granted[at] = granted[at] with { Actions = granted[at].Actions | scope.Actions };
    }

    private async Task IssueAsync(HttpContext context)
    {
        var request = context.Request;
        string client = context.Connection.RemoteIpAddress?.ToString() ?? "";
        Principal principal = Principal.Anonymous;
        List<string?> scopeValues;
        string? service;
        bool offline;
        string? rotated = null;

        if (HttpMethods.IsPost(request.Method))
        {
            if (!request.HasFormContentType) throw new RegistryAuthException(400, "", "expected an application/x-www-form-urlencoded body", null);
            var form = await request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            service = form["service"];
            scopeValues = [.. form["scope"]];
            offline = form["access_type"] == "offline";
            switch ((string?)form["grant_type"])
            {
                case "password":
                    principal = await gate.AuthenticateAsync(form["username"].ToString(), form["password"].ToString(), client, context).ConfigureAwait(false);
                    break;
                case "refresh_token":
                    try
                    {
                        (principal, rotated) = await refreshTokens.RedeemAsync(form["refresh_token"].ToString(), service, client, context.RequestAborted).ConfigureAwait(false);
                    }
                    catch (AuthException e)
                    {
                        metrics.AuthFailed("invalid_refresh_token");
                        throw new RegistryAuthException(401, "", e.Message, null);
                    }
                    offline = false; // the answer carries the used token's replacement (when rotation is on), not another one
                    break;
                default:
                    throw new RegistryAuthException(400, "", "grant_type must be password or refresh_token", null);
            }
        }
        else
        {
            service = request.Query["service"];
            scopeValues = [.. request.Query["scope"]];
            offline = request.Query["offline_token"] == "true";
            if (BasicCredentials.TryRead(request, out var user, out var password))
                principal = await gate.AuthenticateAsync(user, password, client, context).ConfigureAwait(false);
            else if (request.Headers.Authorization.Count > 0)
                throw new RegistryAuthException(401, "", "unsupported Authorization header", null);
        }
        if (!string.IsNullOrEmpty(service) && service != options.Service)
            throw new RegistryAuthException(400, "", $"unknown service '{service}'", null);

        var rejected = new List<string>();
        var requested = Scope.ParseRequest(scopeValues, rejected);
        var granted = new List<Scope>();
        foreach (var scope in requested)
        {
            if (scope.Type == Scope.RegistryType)
            {
                granted.Add(scope); // the catalog is filtered by the caller's rights anyway
                continue;
            }
            var rights = await evaluator.RightsAsync(principal, scope.Name, context.RequestAborted).ConfigureAwait(false);
            var allowed = scope.Actions & rights & (RepositoryAccess.Pull | RepositoryAccess.Push | RepositoryAccess.Delete);
            if (allowed != RepositoryAccess.None) Grant(granted, scope with { Actions = allowed });
            // Only reads are mapped (a push of library/alpine creates that repository), so only pull is judged there.
            if (scope.Actions.HasFlag(RepositoryAccess.Pull)
                && await transparent.MapAsync(scope.Name, TransparentMirror.NamespaceOf(request), context.RequestAborted).ConfigureAwait(false) is { } mirrored
                && (await evaluator.RightsAsync(principal, mirrored.Value, context.RequestAborted).ConfigureAwait(false)).HasFlag(RepositoryAccess.Pull))
                Grant(granted, new Scope(Scope.RepositoryType, mirrored.Value, RepositoryAccess.Pull));
        }
        var issued = await tokens.IssueAsync(principal, granted, context.RequestAborted).ConfigureAwait(false);
        string? refresh = offline ? await refreshTokens.IssueAsync(principal, context.RequestAborted).ConfigureAwait(false) : rotated;
        audit.Record(principal.Name, client, "token.issue", "success",
            detail: string.Join(' ', granted.Select(s => s.ToString())) + (rejected.Count > 0 ? $" (rejected: {string.Join(' ', rejected)})" : ""));
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsJsonAsync(new TokenResponse(issued.Token, issued.Token, (int)issued.ExpiresIn.TotalSeconds,
            issued.IssuedAt.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), refresh), AuthJson.Relaxed.TokenResponse).ConfigureAwait(false);
    }
}

public sealed record TokenResponse(
    [property: JsonPropertyName("token")] string Token,
    [property: JsonPropertyName("access_token")] string AccessToken,
    [property: JsonPropertyName("expires_in")] int ExpiresIn,
    [property: JsonPropertyName("issued_at")] string IssuedAt,
    [property: JsonPropertyName("refresh_token"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RefreshToken);

public sealed record OAuthError(
    [property: JsonPropertyName("error")] string Error,
    [property: JsonPropertyName("error_description")] string Description);

[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(OAuthError))]
internal sealed partial class AuthJson : JsonSerializerContext
{
    /// <summary>Served as application/json, never inside HTML: <c>'</c> need not become <c>\u0027</c> (issue 6, C8).</summary>
    public static AuthJson Relaxed { get; } = new(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
}
