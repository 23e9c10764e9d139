using Bollard.Core.Oci;

namespace Bollard.Scanning.Sources;

/// <summary>An SBOM Bollard stored as a referrer of an image (<see cref="Pipeline.SbomAttacher"/>): the referrer manifest, the SBOM blob and the engine version that made it.</summary>
public sealed record StoredSbom(Digest Referrer, Descriptor Blob, int EngineVersion);

/// <summary>What <see cref="RegistrySource.FindStoredSbomAsync"/> found: the SBOM, or why there is none (for the CLI's message).</summary>
public sealed record StoredSbomLookup(StoredSbom? Sbom, string? Reason);
