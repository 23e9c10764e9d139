using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Distribution;

/// <summary><c>GET /v2/</c>: the API version check (distribution-spec end-1).</summary>
public static class BaseEndpoint
{
    public static Task GetAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = 2;
        return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : context.Response.WriteAsync("{}");
    }
}
