using Bollard.Core.Oci;

namespace Bollard.Core.Gc;

/// <summary>One thing a GC run removed, would remove (dry run) or skipped; <see cref="Repository"/> is "" for a blob.</summary>
public sealed record GcItem(GcItemKind Kind, string Repository, Digest Digest, long Size, string? Detail = null);
