namespace Bollard.Core.Storage;

/// <summary>How a manifest references a digest.</summary>
public enum ReferenceKind
{
    /// <summary>A blob: the config or a layer of an image manifest.</summary>
    Blob,

    /// <summary>A child manifest of an index.</summary>
    Manifest,
}
