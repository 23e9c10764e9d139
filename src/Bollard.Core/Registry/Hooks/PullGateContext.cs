using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Core.Registry.Hooks;

/// <summary>What the pull gate sees of a manifest about to be served.</summary>
public sealed record PullGateContext
{
    public required RepositoryName Repository { get; init; }

    /// <summary>The reference as requested (tag or digest).</summary>
    public required Reference Reference { get; init; }

    /// <summary>The manifest that would be served.</summary>
    public required ManifestRecord Manifest { get; init; }

    public required RegistryActor Actor { get; init; }
}
