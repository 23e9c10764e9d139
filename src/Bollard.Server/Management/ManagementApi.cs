using Bollard.Core.Auth;
using Bollard.Server.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary>
/// <c>/api/v1/</c>: JSON management of users, robots, tokens, role bindings, public namespaces and the audit log,
/// one file per area (<see cref="UserEndpoints"/>, <see cref="RobotEndpoints"/>, ...). Callers authenticate with
/// Basic credentials (password, personal access token or robot secret); registry bearer tokens are not accepted
/// here, so a token scoped to one repository can never be used to manage. All authorization rules live in
/// <see cref="IdentityService"/>; the endpoints only map HTTP to it. Every error, including the framework's own
/// (unknown route, wrong method, wrong content type, bad JSON), leaves as <c>{"error":{...}}</c> through
/// <see cref="ManagementErrorMiddleware"/>.
/// </summary>
public static class ManagementApi
{
    public const string Prefix = "/api/v1";

    public static void Map(WebApplication app)
    {
        app.UseWhen(c => c.Request.Path.StartsWithSegments(Prefix), b => b.UseMiddleware<ManagementErrorMiddleware>());
        var api = app.MapGroup(Prefix).WithTags("management");
        MeEndpoints.Map(api);
        UserEndpoints.Map(api);
        RobotEndpoints.Map(api);
        AccessTokenEndpoints.Map(api);
        BindingEndpoints.Map(api);
        NamespaceEndpoints.Map(api);
        AuditEndpoints.Map(api);
        TokenKeyEndpoints.Map(api);
        RepositoryEndpoints.Map(api);
        ImmutabilityEndpoints.Map(api);
        WebhookEndpoints.Map(api);
        RetentionEndpoints.Map(api);
        GcEndpoints.Map(api);
        UsageEndpoints.Map(api);
        QuotaEndpoints.Map(api);
        ScanEndpoints.Map(api);
        PackageEndpoints.Map(api);
        ExceptionEndpoints.Map(api);
        AdvisoryEndpoints.Map(api);
        PolicyEndpoints.Map(api);
        SigningKeyEndpoints.Map(api);
        MirrorEndpoints.Map(api);
    }

    /// <summary>The caller of a management request (Basic credentials only; see the class comment).</summary>
    internal static Task<RegistryCaller> CallerAsync(HttpContext http) =>
        ((IRegistryGate)(http.RequestServices.GetService(typeof(IRegistryGate)) ?? throw new InvalidOperationException("IRegistryGate missing")))
            .ManagementCallerAsync(http);
}
