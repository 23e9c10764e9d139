namespace Bollard.Core.Trust;

/// <summary>
/// One version of a trust policy (issue 9). Every create, change and delete of a policy is a new version: numbers run
/// 1, 2, 3, ... per name and are never reused, also across a delete and a re-create, so "policy prod v4" in a decision,
/// an event or the audit log always means the same document. A delete is a tombstone (<see cref="Document"/> null).
/// </summary>
public sealed record TrustPolicyVersion
{
    /// <summary>The policy's name (<c>a-z</c>, <c>0-9</c>, <c>-</c>, <c>_</c>, <c>.</c>; 1 to 64 characters).</summary>
    public required string Name { get; init; }

    public required long Version { get; init; }

    /// <summary>The namespace pattern the policy attaches to (copied from the document, so rights and listings need not parse it); the previous one for a tombstone.</summary>
    public required string Pattern { get; init; }

    /// <summary>The policy's mode (<c>off</c>, <c>warn</c>, <c>enforce</c>), copied from the document.</summary>
    public required string Mode { get; init; }

    /// <summary>The policy document as submitted (JSON), or null for a tombstone.</summary>
    public string? Document { get; init; }

    /// <summary>An admin set this version as a floor: a maintainer may not loosen or delete it (docs/trust.md, "Who may change a policy").</summary>
    public bool Locked { get; init; }

    /// <summary>Who made the change (the principal's name).</summary>
    public required string ChangedBy { get; init; }

    public required DateTimeOffset ChangedAt { get; init; }

    /// <summary>The author's note, at most 1,000 characters.</summary>
    public string? Comment { get; init; }

    public bool Deleted => Document is null;
}
