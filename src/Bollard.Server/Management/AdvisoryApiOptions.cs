using System.ComponentModel.DataAnnotations;

namespace Bollard.Server.Management;

/// <summary>Settings of the advisory API (section <c>Advisories</c>).</summary>
public sealed class AdvisoryApiOptions
{
    public const string Section = "Advisories";

    /// <summary>Largest archive <c>POST /api/v1/advisories/import</c> accepts (default 2 GiB; the whole OSV export is about 1 GiB).</summary>
    [Range(1, long.MaxValue)]
    public long MaxUploadBytes { get; set; } = 2L * 1024 * 1024 * 1024;
}
