using Bollard.Core.Oci;

namespace Bollard.Core.Gc;

/// <summary>A manifest GC deletes, with what it saw when it decided (re-checked inside the delete's transaction).</summary>
/// <param name="Tags">Its tags when planned (empty, or only cosign tags whose subject is gone, or any tags of a referrer whose subject is gone).</param>
/// <param name="GoneSubjects">Manifests that must not exist when it is deleted: its <c>subject</c>, the subjects of its cosign tags.</param>
/// <param name="DependsOn">Planned deletions that come first and without which it is kept: the indexes that reference it, its subject.</param>
/// <param name="Reason">Why: <c>untagged</c>, <c>subject gone</c>, <c>signature subject gone</c>.</param>
public sealed record GcManifestDeletion(
    Digest Digest,
    IReadOnlyList<string> Tags,
    IReadOnlyList<Digest> GoneSubjects,
    IReadOnlyList<Digest> DependsOn,
    IReadOnlyList<Digest> Blobs,
    string Reason);
