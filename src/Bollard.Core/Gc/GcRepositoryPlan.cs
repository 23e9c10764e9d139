using Bollard.Core.Oci;

namespace Bollard.Core.Gc;

/// <summary>What GC removes from one repository, in the order it must: manifests (parents and subjects first), then links.</summary>
public sealed record GcRepositoryPlan(RepositoryName Repository, IReadOnlyList<GcManifestDeletion> Manifests, IReadOnlyList<GcLink> Links);
