namespace Bollard.Core.Gc;

/// <summary>What a GC run removed (or would remove), or kept against its plan. Stored by name.</summary>
public enum GcItemKind
{
    Manifest,
    Link,
    Blob,

    /// <summary>Planned but kept: a push check refused, or a client changed it meanwhile (the detail says which).</summary>
    Skipped,
}
