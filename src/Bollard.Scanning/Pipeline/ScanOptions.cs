using System.ComponentModel.DataAnnotations;

namespace Bollard.Scanning.Pipeline;

/// <summary>The scan pipeline's settings, bound from the <c>Scanning</c> section (docs/configuration.md).</summary>
public sealed record ScanOptions
{
    public const string Section = "Scanning";

    /// <summary>Off: no scan or re-match jobs run, pushes are not queued, the API answers what is stored.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Queue a scan for every pushed image manifest (and each platform of a pushed index).</summary>
    public bool OnPush { get; init; } = true;

    /// <summary>Attach the CycloneDX and SPDX SBOMs Bollard makes to the image as OCI referrers.</summary>
    public bool AttachSbom { get; init; } = true;

    /// <summary>Attempts of one scan job before it is failed for good (with the last reason).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Largest image config read (JSON); a bigger one fails the scan with that reason.</summary>
    [Range(1024, 64 << 20)]
    public int MaxConfigBytes { get; init; } = 8 << 20;

    /// <summary>Largest OpenVEX document read from a referrer; bigger ones are ignored (and named in the scan warnings of the answer).</summary>
    [Range(1024, 64 << 20)]
    public int MaxVexBytes { get; init; } = 4 << 20;
}
