namespace Bollard.Core.Events;

/// <summary>What changed. Stored by name: add new kinds at the end, never rename one.</summary>
public enum RegistryEventKind
{
    /// <summary>A repository came into existence (first blob link or manifest).</summary>
    RepositoryCreated,

    /// <summary>A repository was removed. Nothing removes repositories yet; the kind is reserved for the lifecycle issue.</summary>
    RepositoryDeleted,

    /// <summary>A blob was linked into a repository: an upload committed, or a mount. <see cref="RegistryEvent.Detail"/> says which.</summary>
    BlobLinked,

    /// <summary>A blob was unlinked from a repository (DELETE of the blob).</summary>
    BlobDeleted,

    /// <summary>A manifest PUT succeeded (also when the repository already had those bytes); <see cref="RegistryEvent.Tag"/> is the pushed tag, if any.</summary>
    ManifestPushed,

    /// <summary>A manifest was deleted by digest (its tags are reported as <see cref="TagDeleted"/> with <see cref="RegistryEvent.CascadeDetail"/>).</summary>
    ManifestDeleted,

    TagCreated,

    /// <summary>A tag now points at another manifest; <see cref="RegistryEvent.PreviousDigest"/> is where it pointed.</summary>
    TagMoved,

    TagDeleted,
}
