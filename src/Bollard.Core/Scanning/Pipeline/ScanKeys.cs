using Bollard.Core.Scanning.Advisories;

namespace Bollard.Core.Scanning.Pipeline;

/// <summary>The name of a package as the package index keys it: the advisory key's normalization (<see cref="AdvisoryKey.NormalizeName"/>), so a changed advisory key finds its images.</summary>
public static class ScanKeys
{
    public static string Name(string type, string name) => AdvisoryKey.NormalizeName(type, name);
}
