namespace Bollard.Core.Scanning.Pipeline;

/// <summary>Where the scan of one image manifest is. Stored by name: add at the end, never rename.</summary>
public enum ScanState
{
    /// <summary>A scan job is waiting for a free runner.</summary>
    Queued,

    Running,

    /// <summary>The inventory and findings are stored.</summary>
    Done,

    /// <summary>The last attempt failed; <see cref="ImageScan.Reason"/> says why (the job retries until its attempts are used up).</summary>
    Failed,

    /// <summary>Not scanned because it is not an image (a signature, an SBOM, an index: <see cref="ImageScan.Reason"/> says which).</summary>
    Skipped,
}
