using Bollard.Core.Oci;

namespace Bollard.Trust.Policy;

/// <summary>What the server calls on registry events so that cached decisions never outlive what they were made from. Thread-safe.</summary>
public interface ITrustDecisionCache
{
    /// <summary>A signature of the image was pushed or deleted in <paramref name="repository"/>.</summary>
    void Invalidate(RepositoryName repository, Digest digest);

    /// <summary>The image's findings, scan state or SBOM changed (shared by every repository holding it).</summary>
    void Invalidate(Digest digest);

    /// <summary>A policy, an exception or a server-held key changed.</summary>
    void InvalidateAll();
}

/// <summary>Evaluates a policy (saved or not) against images, without the cache and without enforcing anything.</summary>
public interface ITrustDryRun
{
    /// <summary>One decision per image, in order. An <c>off</c> policy is evaluated as <c>warn</c>; images outside its namespace are evaluated and say so in a note.</summary>
    /// <exception cref="ArgumentException">More images than <see cref="TrustEngineOptions.MaxDryRunImages"/>.</exception>
    Task<IReadOnlyList<PolicyDecision>> DryRunAsync(TrustPolicy policy, IReadOnlyList<(RepositoryName Repository, Digest Digest)> images, CancellationToken ct);
}

/// <summary>
/// The signatures of an image as the engine sees them, without a decision: each one found (every format, within the
/// discovery bounds) with who signed what and whether it counts through each signer of the policy covering the
/// repository. With no policy (or one without signers) the verdicts still show the signer, the digest the payload names
/// and any problem, with no anchor to count through.
/// </summary>
public interface ITrustSignatureInspector
{
    Task<SignatureReport> InspectAsync(RepositoryName repository, Digest digest, CancellationToken ct);
}

/// <param name="Policy">The policy whose signers were the anchors; null when none applies.</param>
/// <param name="Anchors">The signer names verified against, in the policy's order.</param>
/// <param name="SignerProblems">Signers that could not be used as anchors (a missing server key), by name.</param>
/// <param name="Notes">Discovery warnings and bounds reached.</param>
public sealed record SignatureReport(
    string? Policy, long? PolicyVersion, IReadOnlyList<string> Anchors, IReadOnlyDictionary<string, string> SignerProblems,
    IReadOnlyList<Signatures.SignatureVerdict> Signatures, IReadOnlyList<string> Notes);
