using Bollard.Core.Oci;

namespace Bollard.Trust.Signatures;

/// <summary>
/// Where signature discovery reads artifacts from: the registry's own stores in the server
/// (<c>Bollard.Server</c>'s stored-artifact source, not access-checked: the caller decided), a <c>RegistryClient</c> in
/// the CLI. Every read is bounded by its caller.
/// </summary>
public interface IArtifactSource
{
    /// <param name="reference">A tag or a digest.</param>
    /// <returns>null when the repository has no such manifest.</returns>
    Task<ArtifactManifest?> GetManifestAsync(string repository, string reference, CancellationToken ct);

    /// <summary>The referrers of <paramref name="subject"/> (OCI 1.1 referrers API, or its tag-schema fallback), at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<ArtifactReferrer>> ListReferrersAsync(string repository, Digest subject, int max, CancellationToken ct);

    /// <summary>A blob's bytes, verified against <paramref name="digest"/>.</summary>
    /// <exception cref="InvalidDataException">It is larger than <paramref name="maxBytes"/>, or its bytes do not match the digest.</exception>
    /// <exception cref="FileNotFoundException">The repository does not hold it.</exception>
    Task<byte[]> ReadBlobAsync(string repository, Digest digest, long maxBytes, CancellationToken ct);
}

public sealed record ArtifactManifest(Digest Digest, string MediaType, byte[] Body);

public sealed record ArtifactReferrer(Digest Digest, string MediaType, string? ArtifactType, long Size)
{
    public IReadOnlyDictionary<string, string> Annotations { get; init; } = new Dictionary<string, string>();
}
