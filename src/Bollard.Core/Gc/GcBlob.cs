using Bollard.Core.Oci;

namespace Bollard.Core.Gc;

/// <summary>A blob of the blob store as its metadata row says (never its bytes).</summary>
/// <param name="Links">How many repositories link it.</param>
/// <param name="Pinned">A linker holds a live pin on it (an upload commit or mount in progress).</param>
/// <param name="Deleting">GC marked it for deletion; its bytes may already be gone.</param>
public sealed record GcBlob(Digest Digest, long Size, DateTimeOffset CreatedAt, int Links, bool Pinned, bool Deleting);
