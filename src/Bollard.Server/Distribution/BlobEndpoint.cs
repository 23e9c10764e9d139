using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Server.Auth;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Distribution;

/// <summary><c>/v2/&lt;name&gt;/blobs/&lt;digest&gt;</c>: GET and HEAD (whole, ranged, conditional: <see cref="BlobResponse"/>), DELETE.</summary>
public sealed class BlobEndpoint(BlobService blobs, IBlobReader reader, IRegistryGate gate)
{
    public async Task GetAsync(HttpContext context, DistributionRoute route) =>
        await BlobResponse.WriteAsync(context, reader, route.Name, Digest.Parse(route.Reference), await gate.ActorAsync(context).ConfigureAwait(false)).ConfigureAwait(false);

    public async Task DeleteAsync(HttpContext context, DistributionRoute route)
    {
        await blobs.DeleteAsync(route.Name, Digest.Parse(route.Reference), await gate.ActorAsync(context).ConfigureAwait(false), context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status202Accepted;
        context.Response.ContentLength = 0;
    }
}
