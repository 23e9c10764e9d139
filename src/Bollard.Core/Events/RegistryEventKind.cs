namespace Bollard.Core.Events;

/// <summary>What changed. Stored by name: add new kinds at the end, never rename one.</summary>
public enum RegistryEventKind
{
    /// <summary>A repository came into existence (first blob link or manifest).</summary>
    RepositoryCreated,

    /// <summary>A repository was removed with everything in it (its manifest and tag deletions are reported before it, with <see cref="RegistryEvent.CascadeDetail"/>).</summary>
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

    /// <summary>
    /// A push was refused because it would exceed a namespace quota (issue 7). Appended in its own transaction after
    /// the refused change rolled back; <see cref="RegistryEvent.Detail"/> is the refusal message (built from the rule's
    /// pattern and byte counts, never from client text), <see cref="RegistryEvent.Size"/> the usage the push would have reached.
    /// </summary>
    QuotaExceeded,

    /// <summary>
    /// A garbage-collection run ended (issue 7). Registry-wide: <see cref="RegistryEvent.Repository"/> is null;
    /// <see cref="RegistryEvent.Size"/> is the bytes freed, <see cref="RegistryEvent.Detail"/> a short summary (run id, counts).
    /// </summary>
    GcFinished,

    /// <summary>
    /// An image was scanned (issue 8): <see cref="RegistryEvent.Digest"/> is the image manifest, <see cref="RegistryEvent.Detail"/>
    /// a short summary (state, finding counts by severity). Appended by the scan pipeline in its own transaction.
    /// </summary>
    ImageScanned,

    /// <summary>
    /// Re-matching after an advisory import changed an image's findings (issue 8): <see cref="RegistryEvent.Digest"/> is the
    /// image, <see cref="RegistryEvent.Detail"/> the advisories gained and lost. One event per changed image, never for unchanged ones.
    /// </summary>
    FindingsChanged,

    /// <summary>
    /// A signature of an image arrived (issue 9): a cosign <c>.sig</c> manifest, a Sigstore bundle or a Notation referrer was
    /// pushed or made by a server-held key. <see cref="RegistryEvent.Digest"/> is the signed image, <see cref="RegistryEvent.Detail"/>
    /// the format and the signature manifest. Appended by the trust feature in its own transaction, after the push.
    /// </summary>
    ImageSigned,

    /// <summary>
    /// An enforcement point found an image violating its trust policy (issue 9): <see cref="RegistryEvent.Digest"/> is the
    /// image, <see cref="RegistryEvent.Detail"/> the point, the mode (blocked or warned) and the first reasons.
    /// </summary>
    PolicyViolation,

    /// <summary>A trust policy was created, changed or removed (issue 9); <see cref="RegistryEvent.Detail"/> names it and its new version.</summary>
    PolicyChanged,
}
