namespace Bollard.Core.Scanning.Pipeline;

/// <summary>
/// A position in the packages query's order (keyset paging): the package row and the repository holding its image.
/// Neither alone is unique (an image in two repositories is two hits of one package row; one image may list a package
/// at one path twice), the pair is. <c>default</c> is before the first hit.
/// </summary>
public readonly record struct PackageCursor(long Row, long Repository);
