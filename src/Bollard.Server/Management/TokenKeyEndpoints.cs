using Bollard.Core.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>POST /api/v1/token-keys/rotate</c>.</summary>
internal static class TokenKeyEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/token-keys/rotate", async (HttpContext http, TokenService tokens, AuditRecorder audit) =>
        {
            var caller = await ManagementApi.CallerAsync(http);
            IdentityService.RequireAdmin(caller);
            string kid = await tokens.RotateAsync(http.RequestAborted);
            audit.Record(caller.Principal.Name, caller.ClientAddress, "token-key.rotate", "success", detail: kid);
            return Results.Ok(new KeyRotated(kid));
        }).WithSummary("Rotate the token signing key; tokens signed by the old key stay valid until they expire (admin)");
    }
}
