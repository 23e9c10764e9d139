namespace Bollard.Trust.Signatures;

/// <summary>
/// What one discovery may read, so that a <c>.sig</c> manifest with thousands of layers or an image with thousands of
/// referrers costs a bounded amount of work (the rest is reported as a warning, never silently dropped).
/// </summary>
public sealed record DiscoveryLimits
{
    public static DiscoveryLimits Default { get; } = new();

    /// <summary>Signatures read and returned per image; the newest are kept (cosign appends, referrers are listed oldest first).</summary>
    public int MaxSignatures { get; init; } = 256;

    /// <summary>Referrers looked at per image.</summary>
    public int MaxReferrers { get; init; } = 2_000;

    /// <summary>A signature manifest larger than this is skipped.</summary>
    public long MaxManifestBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>A signature layer (payload, bundle, envelope) larger than this is skipped.</summary>
    public long MaxLayerBytes { get; init; } = 1024 * 1024;

    /// <summary>All signature layers of one image together.</summary>
    public long MaxTotalBytes { get; init; } = 32 * 1024 * 1024;
}

/// <summary>What discovery found for one image, and what it could not read or left out (readable).</summary>
public sealed record DiscoveryResult(IReadOnlyList<FoundSignature> Signatures, IReadOnlyList<string> Warnings);
