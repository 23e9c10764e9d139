using Bollard.Core.Oci;

namespace Bollard.Server.Trust;

/// <summary>
/// The one place the server's trust caches are dropped: the stored policies (<see cref="StoredPolicySource"/>), the
/// exceptions (<see cref="StoredScanFacts"/>) and, through <see cref="AllChanged"/>, <see cref="ImageInvalidated"/> and
/// <see cref="RepositoryInvalidated"/>, the engine's cached decisions (the engine's registration subscribes). Called by the
/// policy service at once after a change (so the next decision on this node sees it), by the scan service's exception
/// changes and by <see cref="TrustCacheInvalidator"/> from the registry events.
/// </summary>
public sealed class TrustCaches(StoredPolicySource policies, StoredScanFacts scanFacts)
{
    /// <summary>Every cached decision may be wrong now (a policy or an exception changed).</summary>
    public event Action? AllChanged;

    /// <summary>The decisions of one image (in one repository, or in every repository when the repository is null).</summary>
    public event Action<RepositoryName?, Digest>? ImageInvalidated;

    public event Action<RepositoryName>? RepositoryInvalidated;

    public void PoliciesChanged()
    {
        policies.Invalidate();
        AllChanged?.Invoke();
    }

    /// <summary>A server-held signing key was added or deleted: decisions of policies naming it (serverKey) change.</summary>
    public void ServerKeysChanged() => AllChanged?.Invoke();

    public void ExceptionsChanged()
    {
        scanFacts.ExceptionsChanged();
        AllChanged?.Invoke();
    }

    /// <param name="repository">null: in every repository.</param>
    public void ImageChanged(RepositoryName? repository, Digest digest) => ImageInvalidated?.Invoke(repository, digest);

    public void RepositoryChanged(RepositoryName repository) => RepositoryInvalidated?.Invoke(repository);
}
