using Bollard.Core.Oci;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary>
/// Route constraint <c>manifestpath(SUFFIX)</c> on a catch-all: the value must be <c>NAME/manifests/DIGEST/SUFFIX</c>.
/// Repository names have slashes, so <c>/repositories/{name}/manifests/{digest}/scan</c> cannot be a plain template;
/// a constrained catch-all outranks the unconstrained <c>/repositories/{**name}</c> of the usage endpoint, and the
/// name is the part before the last <c>/manifests/</c> (as the distribution API reads <c>/v2/NAME/manifests/REF</c>).
/// </summary>
public sealed class ManifestPathConstraint(string suffix) : IRouteConstraint
{
    public const string Name = "manifestpath";

    public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection)
    {
        ArgumentNullException.ThrowIfNull(values);
        return values.TryGetValue(routeKey, out var value) && value is string path && TryParse(path, suffix, out _, out _);
    }

    /// <summary>Splits <c>NAME/manifests/DIGEST/SUFFIX</c>.</summary>
    public static bool TryParse(string path, string suffix, out string repository, out string digest)
    {
        ArgumentNullException.ThrowIfNull(path);
        repository = digest = "";
        string end = "/" + suffix;
        if (!path.EndsWith(end, StringComparison.Ordinal)) return false;
        string rest = path[..^end.Length];
        int at = rest.LastIndexOf("/manifests/", StringComparison.Ordinal);
        if (at <= 0) return false;
        digest = rest[(at + "/manifests/".Length)..];
        repository = rest[..at];
        return digest.Length > 0 && !digest.Contains('/', StringComparison.Ordinal) && Digest.TryParse(digest, out _);
    }
}
