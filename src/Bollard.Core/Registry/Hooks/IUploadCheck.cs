using Bollard.Core.Oci;

namespace Bollard.Core.Registry.Hooks;

/// <summary>
/// A rule blob uploads must pass (quotas plug in here), asked by <see cref="BlobService"/> when an upload session
/// opens, when a monolithic upload or a mount is asked for, and before a finished upload is linked. A refusal becomes
/// the result's error (<c>DENIED</c> by default) with its reason; refused bytes that reached the blob store are not
/// linked, so garbage collection removes them. None is registered by default. Runs outside any metadata transaction.
/// </summary>
public interface IUploadCheck
{
    ValueTask<PushCheckResult> CheckAsync(RepositoryName repository, RegistryActor actor, CancellationToken ct);
}
