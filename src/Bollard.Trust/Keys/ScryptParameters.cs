namespace Bollard.Trust.Keys;

/// <summary>scrypt cost parameters: N (a power of two), r (block size), p (parallelism).</summary>
public sealed record ScryptParameters(long N, long R, long P)
{
    /// <summary>Why these parameters are refused (malformed, or more memory or work than <see cref="CosignPrivateKey"/> allows); null when acceptable.</summary>
    public string? Problem()
    {
        if (N < 2 || (N & (N - 1)) != 0) return $"N={N} is not a power of two of at least 2";
        if (R < 1 || P < 1) return $"r={R} and p={P} must be at least 1";
        if (N > 1 << 22 || R > 64 || P > 64) return $"N={N}, r={R}, p={P} exceed the limits (N at most 2^22, r and p at most 64)";
        if (128 * N * R > CosignPrivateKey.MaxScryptMemoryBytes)
            return $"N={N}, r={R} need {128 * N * R / (1024 * 1024)} MiB, more than the {CosignPrivateKey.MaxScryptMemoryBytes / (1024 * 1024)} MiB allowed";
        if (N * R * P > CosignPrivateKey.MaxScryptWork)
            return $"N={N}, r={R}, p={P} is more work than allowed (N·r·p at most {CosignPrivateKey.MaxScryptWork})";
        return null;
    }
}
