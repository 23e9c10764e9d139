using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Registry.Hooks;

/// <summary>What a push check sees of a change that is about to commit.</summary>
public sealed record PushCheckContext
{
    public required RegistryChange Change { get; init; }
    public required RepositoryName Repository { get; init; }

    /// <summary>The manifest being pushed or deleted; for <see cref="RegistryChange.DeleteTag"/>, the tag's target.</summary>
    public required Digest Digest { get; init; }

    /// <summary>The tag pushed or deleted; null for a push or delete by digest.</summary>
    public string? Tag { get; init; }

    /// <summary>Where the tag pointed before this change (null: the tag is new, or there is no tag).</summary>
    public Digest? PreviousTagTarget { get; init; }

    /// <summary>The parsed manifest for <see cref="RegistryChange.PutManifest"/>; null for deletes.</summary>
    public ParsedManifest? Manifest { get; init; }

    /// <summary>The size in bytes of the manifest pushed (<see cref="RegistryChange.PutManifest"/>); 0 for deletes.</summary>
    public long ManifestSize { get; init; }

    /// <summary>The repository already held this manifest before a <see cref="RegistryChange.PutManifest"/>.</summary>
    public bool ManifestExisted { get; init; }

    public required RegistryActor Actor { get; init; }

    /// <summary>Reads inside the change's transaction (they see the state the change commits against).</summary>
    public required IMetadataReads Reads { get; init; }
}
