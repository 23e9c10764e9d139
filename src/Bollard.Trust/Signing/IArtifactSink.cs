using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Signing;

/// <summary>
/// Where <see cref="SignatureAttacher"/> writes signatures: the registry's own services in the server
/// (<see cref="RegistryArtifactSink"/>: push checks, quotas and events apply), a <c>RegistryClient</c> in the CLI. The
/// reads are <see cref="IArtifactSource"/>'s (the attacher reads the manifest it modifies, and the referrers index).
/// </summary>
public interface IArtifactSink : IArtifactSource
{
    /// <summary>
    /// Whether <see cref="PutManifestAsync"/> enforces its condition. Bollard does (412 <c>PRECONDITION_FAILED</c>); a
    /// registry that ignores <c>If-Match</c> does not, and then the attacher reads its write back and re-applies a lost
    /// change (read-modify-write with verification: converges for attachers that all verify, but a non-Bollard writer
    /// can still overwrite in the moment between).
    /// </summary>
    bool EnforcesConditions { get; }

    /// <summary>
    /// Whether the registry answers the OCI 1.1 referrers API. When it does not, the attacher also keeps the tag-schema
    /// fallback index <c>&lt;alg&gt;-&lt;hex&gt;</c> (distribution-spec "Referrers Tag Schema") up to date.
    /// </summary>
    bool SupportsReferrers { get; }

    /// <summary>Stores a blob in <paramref name="repository"/>; idempotent.</summary>
    Task PutBlobAsync(string repository, Digest digest, ReadOnlyMemory<byte> content, CancellationToken ct);

    /// <summary>Stores a manifest under <paramref name="reference"/> (a tag or its digest).</summary>
    /// <param name="condition">Where the tag must point now (null: unconditional).</param>
    /// <returns>The manifest's digest.</returns>
    /// <exception cref="ArtifactConflictException">The condition did not hold (the tag moved): nothing was written.</exception>
    Task<Digest> PutManifestAsync(string repository, string reference, string mediaType, byte[] body, TagCondition? condition, CancellationToken ct);
}

/// <summary>A conditional manifest PUT lost a race: the tag no longer points where the writer read it.</summary>
public sealed class ArtifactConflictException : Exception
{
    public ArtifactConflictException() { }

    public ArtifactConflictException(string message) : base(message) { }

    public ArtifactConflictException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A signature that cannot be attached, with the reason (a cap reached, a tag holding something else, a tag that kept moving).</summary>
public sealed class SignatureAttachException : Exception
{
    public SignatureAttachException() { }

    public SignatureAttachException(string message) : base(message) { }

    public SignatureAttachException(string message, Exception inner) : base(message, inner) { }
}
