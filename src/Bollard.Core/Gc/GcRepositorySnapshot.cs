using Bollard.Core.Oci;

namespace Bollard.Core.Gc;

/// <summary>A repository's manifests and links, read at one moment (one read transaction).</summary>
public sealed record GcRepositorySnapshot(RepositoryName Repository, IReadOnlyList<GcManifest> Manifests, IReadOnlyList<GcLink> Links);
