using Bollard.Core.Auth;
using Bollard.Core.Oci;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Auth;

/// <summary>
/// Access control as the HTTP layer sees it: who the caller is and whether it may do what a request needs.
/// <see cref="RegistryGate"/> enforces it; <see cref="OpenRegistryGate"/> is the null object registered when
/// <c>Auth:Enabled</c> is false, so no handler ever branches on whether access control is on.
/// </summary>
public interface IRegistryGate
{
    /// <summary>The caller of a <c>/v2/</c> request (bearer token, Basic credentials when allowed, or anonymous); cached per request.</summary>
    /// <exception cref="RegistryAuthException">An invalid token or refused credentials.</exception>
    Task<RegistryCaller> CallerAsync(HttpContext context);

    /// <summary>The caller of a management request: Basic credentials only, never a registry bearer token.</summary>
    /// <exception cref="RegistryAuthException">Refused credentials (401) or throttled (429).</exception>
    /// <exception cref="ManagementException">An Authorization header that is not Basic.</exception>
    Task<RegistryCaller> ManagementCallerAsync(HttpContext context);

    /// <summary>Authenticates Basic credentials, mapping failures to 401/429.</summary>
    Task<Principal> AuthenticateAsync(string user, string password, string client, HttpContext context);

    /// <param name="probe">The request only checks that a blob exists (HEAD). containers/image (skopeo, podman) checks
    /// the source repository that way before a cross-repository mount; when its token pushes to another repository
    /// and cannot read this one, the refusal is routine during a successful push and is not audited as a denial.</param>
    /// <exception cref="RegistryAuthException">When the caller may not do <paramref name="needed"/> in <paramref name="repository"/>.</exception>
    Task RequireAsync(HttpContext context, RepositoryName repository, RepositoryAccess needed, bool probe = false);

    /// <summary>For <c>/v2/</c> itself: any authenticated caller (anonymous gets the challenge that starts a login).</summary>
    Task RequireAuthenticatedAsync(HttpContext context);

    /// <summary>For the catalog: the caller, if it may list at all (the list is then filtered by <see cref="CanPullAsync"/>).</summary>
    Task<RegistryCaller> RequireCatalogAsync(HttpContext context);

    /// <summary>Whether the caller's principal may pull <paramref name="repository"/> (catalog filtering, mounts).</summary>
    Task<bool> CanPullAsync(RegistryCaller caller, RepositoryName repository, CancellationToken ct, bool ignoreTokenScope = false);

    /// <summary>Records a registry action of the request's caller in the audit log (nothing when access control is off).</summary>
    Task RecordAsync(HttpContext context, string action, RepositoryName repository, string reference);
}
