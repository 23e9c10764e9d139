using Bollard.Core.Oci;

namespace Bollard.Core.Gc;

/// <summary>A blob linked into a repository; <paramref name="Since"/> is when it was linked or last released by a manifest delete, whichever is later.</summary>
public sealed record GcLink(Digest Digest, long Size, DateTimeOffset Since);
