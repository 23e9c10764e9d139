using System.ComponentModel.DataAnnotations;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Policy;

/// <summary>Bounds and cache settings of <see cref="TrustEngine"/> (bound from <c>Trust:Engine</c> by the server).</summary>
public sealed record TrustEngineOptions
{
    public const string Section = "Trust:Engine";

    /// <summary>Decisions kept (LRU); an entry is a few KiB at most.</summary>
    [Range(0, 1_000_000)]
    public int CacheEntries { get; init; } = 10_000;

    /// <summary>The longest a decision is served from the cache without an invalidation (bounds a missed event).</summary>
    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Signatures verified per image (discovery returns at most <see cref="DiscoveryLimits.MaxSignatures"/>); the rest are listed as not verified.</summary>
    [Range(1, 10_000)]
    public int MaxSignaturesVerified { get; init; } = 64;

    [Range(1, 100_000)]
    public int MaxDryRunImages { get; init; } = 1_000;

    public DiscoveryLimits Discovery { get; init; } = DiscoveryLimits.Default;
}
