using Bollard.Core.Oci;
using Bollard.Trust.Signatures;

namespace Bollard.Trust.Policy;

/// <summary>Everything a policy is evaluated against for one image (<see cref="PolicyEvaluator"/>).</summary>
public sealed record PolicyFacts
{
    public required string Repository { get; init; }

    public required Digest Digest { get; init; }

    /// <summary>The image's signatures, verified against the policy's anchors (<see cref="TrustAnchor.Name"/> = signer name).</summary>
    public IReadOnlyList<SignatureVerdict> Signatures { get; init; } = [];

    /// <summary>What discovery and verification had to say besides verdicts (a limit reached, a broken signature manifest).</summary>
    public IReadOnlyList<string> SignatureNotes { get; init; } = [];

    /// <summary>Signers that cannot be satisfied whatever was signed, with why (<c>server key ci-key does not exist</c>).</summary>
    public IReadOnlyDictionary<string, string> SignerProblems { get; init; } = new Dictionary<string, string>();

    /// <summary>Null: not known (evaluated as never scanned).</summary>
    public ScanFacts? Scan { get; init; }
}
