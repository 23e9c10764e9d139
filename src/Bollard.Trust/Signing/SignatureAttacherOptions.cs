using System.ComponentModel.DataAnnotations;

namespace Bollard.Trust.Signing;

/// <summary>Bounds of <see cref="SignatureAttacher"/>. Bound from <c>Trust:Signing</c>.</summary>
public sealed record SignatureAttacherOptions
{
    public const string Section = "Trust:Signing";

    /// <summary>Most signatures (layers) one cosign <c>.sig</c> manifest may hold; one more is refused with the reason.</summary>
    [Range(1, 100_000)]
    public int MaxSignatureLayers { get; init; } = 1000;

    /// <summary>Largest <c>.sig</c> manifest or fallback index written (the registry's own manifest limit, <c>Registry:MaxManifestBytes</c>, 4 MiB by default).</summary>
    [Range(4096, 64 * 1024 * 1024)]
    public int MaxManifestBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Attempts of one read-modify-write of a tag when concurrent writers keep moving it (each lost race is one).</summary>
    [Range(1, 1000)]
    public int MaxAttempts { get; init; } = 32;
}
