using Bollard.Scanning.Layers;
using Bollard.Scanning.Sbom;

namespace Bollard.Scanning.Sources;

/// <summary>One image (one platform) found at a source: what to call it in reports and SBOMs, and what to analyze.</summary>
public sealed record SourceImage(SbomSubject Subject, ImageToScan Image, string? Platform);
