namespace Bollard.Core.Gc;

/// <summary>What a run removed (or would remove), counted from its items.</summary>
public sealed record GcTotals(long Manifests, long Links, long Blobs, long BytesFreed, long Skipped);
