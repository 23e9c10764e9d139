using Bollard.Core.Registry;

namespace Bollard.Core.Mirror;

/// <summary>
/// Told of every upstream fetch the mirror makes (a manifest or blob miss, a tag revalidation, a sync), so the audit
/// log can say who pulled what through the mirror (the server's implementation writes <c>mirror.fetch</c> entries).
/// Called after the fetch ended; must not throw or block.
/// </summary>
public interface IMirrorFetchObserver
{
    /// <param name="actor">Who caused it (<see cref="RegistryActor.Unknown"/> for Bollard's own: sync, scanner, signatures).</param>
    /// <param name="kind"><c>manifest</c>, <c>blob</c> or <c>revalidate</c>.</param>
    /// <param name="reference">The tag or digest asked for.</param>
    /// <param name="failure">Why it failed; null when it succeeded.</param>
    void Fetched(RegistryActor actor, MirrorRoute route, string kind, string reference, string? failure);
}

/// <summary>Observes nothing (no audit: access control off, unit tests).</summary>
public sealed class NoMirrorFetchObserver : IMirrorFetchObserver
{
    public void Fetched(RegistryActor actor, MirrorRoute route, string kind, string reference, string? failure) { }
}
