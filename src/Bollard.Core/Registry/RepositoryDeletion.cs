namespace Bollard.Core.Registry;

/// <summary>What a repository delete removed.</summary>
/// <param name="Tags">Tags removed.</param>
/// <param name="Manifests">Manifests removed (images, indexes, referrers).</param>
/// <param name="Blobs">Blob links removed (the bytes stay until garbage collection finds nothing else uses them).</param>
/// <param name="Uploads">Upload sessions in progress that were cancelled.</param>
public sealed record RepositoryDeletion(int Tags, int Manifests, int Blobs, int Uploads);
