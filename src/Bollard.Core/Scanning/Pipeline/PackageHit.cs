namespace Bollard.Core.Scanning.Pipeline;

/// <summary>One package found by the packages query: which repository and image hold it, with the image's tags.</summary>
public sealed record PackageHit(string Repository, string Digest, IReadOnlyList<string> Tags, string Type, string Name, string Version, string Purl, string Path)
{
    /// <summary>Where the row is in the store's order, unique per hit: the next page starts after it (<see cref="PackageQuery.After"/>).</summary>
    public PackageCursor Cursor { get; init; }
}
