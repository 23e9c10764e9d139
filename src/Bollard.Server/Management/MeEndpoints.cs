using Bollard.Core.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>GET /api/v1/me</c>.</summary>
internal static class MeEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/me", async (HttpContext http, AccessEvaluator evaluator) =>
        {
            var caller = await ManagementApi.CallerAsync(http);
            if (!caller.Principal.IsAuthenticated && !caller.Unrestricted) throw new ManagementException(ManagementError.Unauthorized, "authentication required");
            var bindings = await evaluator.BindingsOfAsync(caller.Principal, http.RequestAborted);
            return Results.Ok(new MeResponse(caller.Principal.Name, caller.Principal.Kind.ToString().ToLowerInvariant(), caller.Principal.IsAdmin || caller.Unrestricted,
                bindings.Select(b => new BindingView(0, caller.Principal.Name, caller.Principal.Kind.ToString().ToLowerInvariant(), b.Role.Name(), b.Pattern, default)).ToList()));
        }).WithSummary("Who am I: the caller and its role bindings");
    }
}
