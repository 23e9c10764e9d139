namespace Bollard.Scanning;

/// <summary>The engine's identity. Bump <see cref="Version"/> when an analyzer or the layer-index format changes: cached layer indexes and stored inventories of an older version are then re-made.</summary>
public static class ScanEngine
{
    public const int Version = 2; // 2: yarn.lock and pnpm-lock.yaml analyzers
}
