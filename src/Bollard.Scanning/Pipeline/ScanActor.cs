using Bollard.Core.Registry;

namespace Bollard.Scanning.Pipeline;

/// <summary>The actor of the scan pipeline's own registry writes (SBOM referrers): events, audit and push checks name it.</summary>
public static class ScanActor
{
    public const string Principal = "system:scanner";

    public static RegistryActor Actor { get; } = new(Principal, "");
}
