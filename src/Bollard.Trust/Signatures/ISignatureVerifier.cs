using Bollard.Core.Oci;

namespace Bollard.Trust.Signatures;

/// <summary>
/// Verifies the signatures of one <see cref="SignatureFormat"/>. Pure CPU, no I/O, thread-safe; never throws for bad
/// input (a malformed signature is a verdict with <see cref="SignatureVerdict.Problems"/>). Registered in
/// <see cref="SignatureVerifiers"/>.
/// </summary>
public interface ISignatureVerifier
{
    SignatureFormat Format { get; }

    SignatureVerdict Verify(FoundSignature signature, VerificationRequest request);
}

/// <param name="ExpectedDigest">The image asked about: a payload naming any other digest does not count.</param>
/// <param name="Repository">The image's repository as the payload should name it (cosign <c>docker-reference</c> ends with it: <c>host/team/app</c>).</param>
/// <param name="Anchors">Every anchor the caller wants an answer for.</param>
/// <param name="Now">Validity of certificates is judged at this time unless a trusted timestamp says when it was signed.</param>
public sealed record VerificationRequest(Digest ExpectedDigest, string Repository, IReadOnlyList<TrustAnchor> Anchors, DateTimeOffset Now)
{
    /// <summary>
    /// Other repository names a payload may give for this image: a mirrored repository's upstream name
    /// (<c>library/alpine</c> for <c>mirror/docker.io/library/alpine</c>), since it was signed there.
    /// </summary>
    public IReadOnlyList<string> AlsoSignedAs { get; init; } = [];
}
