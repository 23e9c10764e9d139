using Bollard.Core.Oci;

namespace Bollard.Core.Gc;

/// <summary>One manifest of a repository as GC sees it (metadata only).</summary>
/// <param name="UntaggedAt">When it last became untagged (or was pushed untagged); null while tagged.</param>
/// <param name="Children">The manifests it references as an index.</param>
/// <param name="Blobs">The blobs it references (config, layers).</param>
public sealed record GcManifest(
    Digest Digest,
    Digest? Subject,
    DateTimeOffset CreatedAt,
    DateTimeOffset? UntaggedAt,
    IReadOnlyList<string> Tags,
    IReadOnlyList<Digest> Children,
    IReadOnlyList<Digest> Blobs);
