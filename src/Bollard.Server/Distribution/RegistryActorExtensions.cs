using Bollard.Core.Registry;
using Bollard.Server.Auth;
using Microsoft.AspNetCore.Http;

namespace Bollard.Server.Distribution;

/// <summary>The <see cref="RegistryActor"/> of a request, as Core's services record it (events, audit, hooks).</summary>
public static class RegistryActorExtensions
{
    public static async Task<RegistryActor> ActorAsync(this IRegistryGate gate, HttpContext context)
    {
        var caller = await gate.CallerAsync(context).ConfigureAwait(false);
        return new RegistryActor(caller.Principal.Name, caller.ClientAddress);
    }
}
