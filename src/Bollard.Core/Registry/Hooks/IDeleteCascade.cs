using Bollard.Core.Oci;

namespace Bollard.Core.Registry.Hooks;

/// <summary>
/// Names manifests that exist only because of another one and go with it, in the same transaction, when it is deleted by
/// digest (by a client, retention or garbage collection): the SBOM referrers Bollard generated for an image are the
/// scanner's. Without this, those referrers would keep the blobs they share with the client's own artifacts (the OCI
/// empty config) referenced, so a client's blob DELETE after its manifest DELETE would be refused until the next GC.
/// Referrers a client pushed are never named: they stay until garbage collection removes referrers of deleted subjects.
/// Register any number with <c>services.AddSingleton&lt;IDeleteCascade, X&gt;()</c>. Each dependent is deleted through the
/// same path (index check, push checks, events); a dependent's own dependents are not followed.
/// </summary>
public interface IDeleteCascade
{
    /// <summary>Manifests of <paramref name="repository"/> to delete with <paramref name="deleted"/>; read-only, cheap, no network.</summary>
    ValueTask<IReadOnlyList<Digest>> DependentsAsync(RepositoryName repository, Digest deleted, CancellationToken ct);
}
