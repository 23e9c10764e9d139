using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Registry;

/// <summary>
/// The read side of manifests that <see cref="ManifestService"/> serves from: the seam a pull-through mirror
/// decorates (as distribution's <c>proxy</c> package wraps its stores). The default is
/// <see cref="StoredManifestReader"/>; a decorator is registered over it:
/// <code>
/// services.AddSingleton&lt;StoredManifestReader&gt;();
/// services.AddSingleton&lt;IManifestReader&gt;(sp => new MirrorManifestReader(sp.GetRequiredService&lt;StoredManifestReader&gt;(), ...));
/// </code>
/// A decorator that stores what it fetched writes through <see cref="ManifestService.PutAsync"/> (so the
/// write gets its checks and events). The blob side is <c>BlobService</c>'s reads, decorated the same way.
/// </summary>
public interface IManifestReader
{
    /// <returns>The manifest, or null when the repository does not have it (by digest, or tag).</returns>
    ValueTask<ManifestRecord?> GetAsync(RepositoryName repository, Reference reference, CancellationToken ct);

    /// <summary>
    /// As <see cref="GetAsync(RepositoryName, Reference, CancellationToken)"/>, for a client's pull: a decorator that
    /// fetches on a miss charges <paramref name="actor"/> (rate limits, audit). The pull right on the repository was
    /// checked before; internal readers (scanner, trust) use the overload without an actor.
    /// </summary>
    ValueTask<ManifestRecord?> GetAsync(RepositoryName repository, Reference reference, RegistryActor actor, CancellationToken ct) =>
        GetAsync(repository, reference, ct);
}
