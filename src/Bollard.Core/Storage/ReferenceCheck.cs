using Bollard.Core.Oci;

namespace Bollard.Core.Storage;

/// <summary>
/// What a manifest references that its repository lacks, seen at one <see cref="Generation"/> of the repository.
/// </summary>
/// <param name="Generation">
/// The repository's removal generation when the check ran (0 for a repository that does not exist). Every
/// removal (blob unlinked, manifest deleted) increases it, so a check made outside the write transaction is
/// still valid inside it when the generation has not moved: adding can only make fewer references missing.
/// </param>
public sealed record ReferenceCheck(IReadOnlyList<Digest> MissingBlobs, IReadOnlyList<Digest> MissingManifests, long Generation)
{
    public bool Complete => MissingBlobs.Count == 0 && MissingManifests.Count == 0;
}
