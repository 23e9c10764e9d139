using System.ComponentModel.DataAnnotations;

namespace Bollard.Core.Registry;

/// <summary>Limits of the distribution API. Bound from the <c>Registry</c> configuration section.</summary>
public sealed record RegistryOptions
{
    public const string Section = "Registry";

    /// <summary>Largest manifest accepted; larger pushes get 413 (distribution-spec asks for at least 4 MiB).</summary>
    [Range(4096, 64 * 1024 * 1024)]
    public int MaxManifestBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Most blobs plus child manifests one manifest may reference; more is <c>MANIFEST_INVALID</c>. Bounds the
    /// work of one push's reference check (issue 6 B7: 37k missing layers held the writer for 1.4 s).
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxManifestReferences { get; init; } = 10_000;

    /// <summary>Cap on <c>n</c> for tag and catalog lists, and the page size when <c>n</c> is absent (CVE-2023-2253).</summary>
    [Range(1, 100_000)]
    public int MaxPageSize { get; init; } = 1000;

    /// <summary>Upload sessions untouched for this long are removed with their data.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "365.00:00:00")]
    public TimeSpan UploadExpiry { get; init; } = TimeSpan.FromHours(24);

    /// <summary>How often expired uploads are looked for.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan UploadSweepInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Upload sessions one principal (user, robot, or the anonymous caller when access control is off) may have
    /// open at once; one more POST gets 429 <c>TOOMANYREQUESTS</c>. Sessions close on commit, cancel or expiry.
    /// </summary>
    [Range(1, 1_000_000)]
    public int MaxOpenUploadsPerPrincipal { get; init; } = 100;

    /// <summary>
    /// Most repository names one <c>_catalog</c> request examines to find the ones the caller may see (issue 6 B6).
    /// When it runs out, the page is shorter and its <c>Link</c> continues where the scan stopped. Never less
    /// than the page size.
    /// </summary>
    [Range(1, 10_000_000)]
    public int MaxCatalogScan { get; init; } = 5000;
}
