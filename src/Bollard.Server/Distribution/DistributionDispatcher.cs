using System.Globalization;
using Bollard.Core.Auth;
using Bollard.Core.Oci;
using Bollard.Server.Auth;
using Bollard.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Bollard.Server.Distribution;

/// <summary>
/// The one entry point of every <c>/v2/</c> request: routes from the raw request target (see
/// <see cref="DistributionRoute"/>: a security property, dot segments and encoded slashes never reach a
/// handler), authorizes what the endpoint needs, hands the request to the resource's class, and turns every
/// failure into distribution-spec's error body through <see cref="OciErrorWriter"/>, including the unexpected
/// ones (500 <c>UNKNOWN</c> with the request id that the log line carries, see <see cref="RequestLoggingMiddleware"/>).
/// </summary>
public sealed partial class DistributionDispatcher(
    CatalogEndpoint catalog, BlobEndpoint blobs, UploadEndpoint uploads, ManifestEndpoint manifests,
    TagEndpoint tags, ReferrersEndpoint referrers, IRegistryGate gate, ChallengeRealm realm, AuthOptions authOptions,
    TransparentMirror transparent, ILogger<DistributionDispatcher> logger, Bollard.Core.Storage.IStorageErrorTranslator? storageErrors = null)
{
    public async Task HandleAsync(HttpContext context)
    {
        context.Response.Headers[DistributionHeaders.ApiVersion] = "registry/2.0";
        DistributionRoute? route = null;
        DistributionRoute? served = null;
        try
        {
            string raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "";
            route = DistributionRoute.Parse(RawPath(raw));
            if (route is null)
            {
                await OciErrorWriter.WriteAsync(context, new OciError("NOT_FOUND", "no such endpoint", 404), null).ConfigureAwait(false);
                return;
            }
            context.Features.Set(Metrics.RouteTemplateFeature.For(route.Endpoint));
            served = await MapTransparentAsync(context, route).ConfigureAwait(false);
            await AuthorizeAsync(context, served).ConfigureAwait(false);
            await DispatchAsync(context, served).ConfigureAwait(false);
        }
        catch (RegistryAuthException e)
        {
            await WriteRefusalAsync(context, e, route, served).ConfigureAwait(false);
        }
        catch (OciException e)
        {
            await OciErrorWriter.WriteAsync(context, e.Error, e.Detail, h =>
            {
                if (e.RetryAfter is { } wait) h.RetryAfter = RetryAfterSeconds(wait);
            }).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's verdict on the body: shorter than Content-Length, over a limit, bad chunking.
            await OciErrorWriter.WriteAsync(context, e.StatusCode == 413 ? OciErrors.ManifestTooLarge : OciErrors.BlobUploadInvalid, e.Message).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // Client went away; the upload session rolled its chunk back.
        }
        catch (IOException e) when (context.RequestAborted.IsCancellationRequested)
        {
            Log.ClientAborted(logger, e.Message);
        }
        catch (Exception e) when (StorageErrors.TryMap(e, storageErrors, out var mapped))
        {
            Log.StorageFailed(logger, context.TraceIdentifier, mapped.Error.HttpStatus, e.Message, e);
            await OciErrorWriter.WriteWithDetailAsync(context, mapped.Error, RequestIdDetail(context), h =>
            {
                if (mapped.RetryAfter is { } wait) h.RetryAfter = RetryAfterSeconds(wait);
            }).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Anything else is a bug: the client gets the spec's body and an id to quote, the log gets the stack.
            Log.Unexpected(logger, context.TraceIdentifier, e);
            await OciErrorWriter.WriteWithDetailAsync(context, OciErrors.Unknown, RequestIdDetail(context)).ConfigureAwait(false);
        }
    }

    private static Dictionary<string, string> RequestIdDetail(HttpContext context) => new() { ["requestId"] = context.TraceIdentifier };

    /// <summary>Whole seconds, at least 1 (RFC 9110 10.2.3: delay-seconds; 0 would invite an immediate retry).</summary>
    private static string RetryAfterSeconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A read of a name outside the mirror namespace that a transparent mirror client means (see
    /// <see cref="TransparentMirror"/>) is routed to the mirrored repository: everything after this (the gate, the
    /// handler, the pull gate, events) sees <c>mirror/docker.io/library/alpine</c>. Writes are never mapped: a push of
    /// <c>library/alpine</c> creates that local repository, which from then on wins over the mirror.
    /// </summary>
    private async Task<DistributionRoute> MapTransparentAsync(HttpContext context, DistributionRoute route)
    {
        if (!transparent.Enabled) return route;
        bool read = (route.Endpoint, context.Request.Method) switch
        {
            (DistributionEndpoint.Manifest or DistributionEndpoint.Blob, "GET" or "HEAD") => true,
            (DistributionEndpoint.TagList or DistributionEndpoint.Referrers, "GET") => true,
            _ => false,
        };
        if (!read) return route;
        var mapped = await transparent.MapAsync(route.Name.Value, TransparentMirror.NamespaceOf(context.Request), context.RequestAborted).ConfigureAwait(false);
        return mapped is { } name ? route with { Name = name } : route;
    }

    private Task DispatchAsync(HttpContext context, DistributionRoute route) => (route.Endpoint, context.Request.Method) switch
    {
        (DistributionEndpoint.Base, "GET" or "HEAD") => BaseEndpoint.GetAsync(context),
        (DistributionEndpoint.Catalog, "GET") => catalog.GetAsync(context),
        (DistributionEndpoint.Blob, "GET" or "HEAD") => blobs.GetAsync(context, route),
        (DistributionEndpoint.Blob, "DELETE") => blobs.DeleteAsync(context, route),
        (DistributionEndpoint.UploadStart, "POST") => uploads.StartAsync(context, route),
        (DistributionEndpoint.Upload, "GET") => uploads.StatusAsync(context, route),
        (DistributionEndpoint.Upload, "PATCH") => uploads.PatchAsync(context, route),
        (DistributionEndpoint.Upload, "PUT") => uploads.PutAsync(context, route),
        (DistributionEndpoint.Upload, "DELETE") => uploads.CancelAsync(context, route),
        (DistributionEndpoint.Manifest, "GET" or "HEAD") => manifests.GetAsync(context, route),
        (DistributionEndpoint.Manifest, "PUT") => manifests.PutAsync(context, route),
        (DistributionEndpoint.Manifest, "DELETE") => manifests.DeleteAsync(context, route),
        (DistributionEndpoint.TagList, "GET") => tags.GetAsync(context, route),
        (DistributionEndpoint.Referrers, "GET") => referrers.GetAsync(context, route),
        _ => throw new OciException(OciErrors.Unsupported, $"{context.Request.Method} is not supported on this endpoint"),
    };

    /// <summary>What each endpoint needs (Docker token scopes: pull, push, delete); the catalog filters instead.</summary>
    private Task AuthorizeAsync(HttpContext context, DistributionRoute route)
    {
        RepositoryAccess needed = (route.Endpoint, context.Request.Method) switch
        {
            (DistributionEndpoint.Base or DistributionEndpoint.Catalog, _) => RepositoryAccess.None,
            (DistributionEndpoint.Blob or DistributionEndpoint.Manifest, "DELETE") => RepositoryAccess.Delete,
            (DistributionEndpoint.UploadStart or DistributionEndpoint.Upload, _) => RepositoryAccess.Push,
            (DistributionEndpoint.Manifest, "PUT") => RepositoryAccess.Push,
            _ => RepositoryAccess.Pull,
        };
        if (route.Endpoint == DistributionEndpoint.Base) return gate.RequireAuthenticatedAsync(context);
        // A HEAD of a blob is an existence probe (containers/image asks the source repository before a mount);
        // the gate does not audit its refusal as a denial when it is a mount's source check (issue 6, C8).
        bool probe = route.Endpoint == DistributionEndpoint.Blob && HttpMethods.IsHead(context.Request.Method);
        return needed == RepositoryAccess.None ? Task.CompletedTask : gate.RequireAsync(context, route.Name, needed, probe);
    }

    /// <summary>
    /// The scope a 401 challenge names when the refusal itself did not say (e.g. Basic credentials refused on
    /// <c>/v2/</c>): what the endpoint needs. A mount also names <c>repository:&lt;from&gt;:pull</c>, as CNCF
    /// Distribution does, so a client that asks for exactly the challenged scope gets a token that can mount.
    /// </summary>
    private static string? ChallengeScope(HttpContext context, DistributionRoute? route, string? refusalScope)
    {
        if (route is null) return refusalScope;
        string? scope = refusalScope;
        if (scope is null)
        {
            string method = context.Request.Method;
            scope = route.Endpoint switch
            {
                DistributionEndpoint.Base => null,
                DistributionEndpoint.Catalog => RegistryGate.CatalogScope,
                DistributionEndpoint.UploadStart or DistributionEndpoint.Upload => $"repository:{route.Name}:pull,push",
                DistributionEndpoint.Manifest when method == "PUT" => $"repository:{route.Name}:pull,push",
                DistributionEndpoint.Blob or DistributionEndpoint.Manifest when method == "DELETE" => $"repository:{route.Name}:delete",
                _ => $"repository:{route.Name}:pull",
            };
        }
        if (route.Endpoint == DistributionEndpoint.UploadStart && scope is not null
            && context.Request.Query.TryGetValue("mount", out _)
            && context.Request.Query.TryGetValue("from", out var from)
            && RepositoryName.TryParse(from.ToString(), out var source) && source != route.Name)
            scope += $" repository:{source}:pull";
        return scope;
    }

    /// <summary>401 with the Bearer challenge of the Docker token protocol, 403 DENIED, or 429 with Retry-After.</summary>
    /// <param name="route">The route as the client asked for it.</param>
    /// <param name="served">The route being served (another name when the request was mapped to the mirror).</param>
    private async Task WriteRefusalAsync(HttpContext context, RegistryAuthException e, DistributionRoute? route, DistributionRoute? served)
    {
        if (e.Status == StatusCodes.Status401Unauthorized)
        {
            bool mapped = served is not null && route is not null && served.Name != route.Name;
            string tokenRealm = realm.For(context);
            // A transparent request is challenged with the scope the client asked about (a Docker daemon asks the
            // token endpoint for repository:library/alpine:pull whatever the challenge says; containerd asks for the
            // challenged scope); the token endpoint maps it as the dispatcher did. containerd's ?ns= travels in the
            // realm, which clients keep when they add their own parameters to it.
            if (mapped && TransparentMirror.NamespaceOf(context.Request) is { } ns)
                tokenRealm += (tokenRealm.Contains('?', StringComparison.Ordinal) ? "&" : "?") + TransparentMirror.NamespaceParameter + "=" + Uri.EscapeDataString(ns);
            var challenge = $"Bearer realm=\"{tokenRealm}\",service=\"{authOptions.Service}\"";
            if (ChallengeScope(context, route, mapped ? null : e.ChallengeScope) is { } scope) challenge += $",scope=\"{scope}\"";
            if (e.ChallengeError is not null) challenge += $",error=\"{e.ChallengeError}\"";
            await OciErrorWriter.WriteAsync(context, OciErrors.Unauthorized, e.Message, h => h.WWWAuthenticate = challenge).ConfigureAwait(false);
            return;
        }
        var error = e.Status == StatusCodes.Status429TooManyRequests ? OciErrors.TooManyRequests : OciErrors.Denied;
        await OciErrorWriter.WriteAsync(context, error, e.Message, h =>
        {
            if (e.RetryAfter is { } wait) h.RetryAfter = RetryAfterSeconds(wait);
        }).ConfigureAwait(false);
    }

    /// <summary>The path of a raw request target (origin-form or absolute-form), without the query.</summary>
    internal static string RawPath(string rawTarget)
    {
        if (rawTarget.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || rawTarget.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            int pathStart = rawTarget.IndexOf('/', rawTarget.IndexOf("//", StringComparison.Ordinal) + 2);
            rawTarget = pathStart < 0 ? "/" : rawTarget[pathStart..];
        }
        int q = rawTarget.IndexOf('?');
        return q >= 0 ? rawTarget[..q] : rawTarget;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Client aborted the request: {Reason}")]
        public static partial void ClientAborted(ILogger logger, string reason);

        [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "Request {RequestId} failed with an unexpected error")]
        public static partial void Unexpected(ILogger logger, string requestId, Exception exception);

        [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Request {RequestId} failed in storage ({Status}): {Reason}")]
        public static partial void StorageFailed(ILogger logger, string requestId, int status, string reason, Exception exception);
    }
}
