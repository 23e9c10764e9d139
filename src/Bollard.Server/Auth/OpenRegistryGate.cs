using Bollard.Core.Auth;
using Bollard.Core.Oci;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Auth;

/// <summary>The gate when access control is off (<c>Auth:Enabled: false</c>): every caller may do everything.</summary>
public sealed class OpenRegistryGate(Authenticator authenticator, Metrics.BollardMetrics metrics) : IRegistryGate
{
    public Task<RegistryCaller> CallerAsync(HttpContext context) => Task.FromResult(RegistryCaller.Open(Client(context)));

    public Task<RegistryCaller> ManagementCallerAsync(HttpContext context) => CallerAsync(context);

    public Task<Principal> AuthenticateAsync(string user, string password, string client, HttpContext context) =>
        RegistryGate.AuthenticateAsync(authenticator, metrics, user, password, client, context.RequestAborted);

    public Task RequireAsync(HttpContext context, RepositoryName repository, RepositoryAccess needed, bool probe = false) => Task.CompletedTask;

    public Task RequireAuthenticatedAsync(HttpContext context) => Task.CompletedTask;

    public Task<RegistryCaller> RequireCatalogAsync(HttpContext context) => CallerAsync(context);

    public Task<bool> CanPullAsync(RegistryCaller caller, RepositoryName repository, CancellationToken ct, bool ignoreTokenScope = false) => Task.FromResult(true);

    public Task RecordAsync(HttpContext context, string action, RepositoryName repository, string reference) => Task.CompletedTask;

    private static string Client(HttpContext context) => context.Connection.RemoteIpAddress?.ToString() ?? "";
}
