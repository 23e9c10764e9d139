namespace Bollard.Trust.Admission;

/// <summary>One <c>op: replace</c> of a JSON Patch (RFC 6902).</summary>
public sealed record PatchOperation(string Path, string Value);

/// <summary>
/// The answer to one review: allowed or not, a readable message (each image with its decision's reasons), warnings
/// for the user (warn-mode violations, external images allowed), and the pinning patch (mutating webhook only).
/// </summary>
public sealed record AdmissionVerdict
{
    public required bool Allowed { get; init; }

    public required string Message { get; init; }

    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>Empty unless the review was for the mutating endpoint, allowed, and some image was not pinned yet.</summary>
    public IReadOnlyList<PatchOperation> Patch { get; init; } = [];

    /// <summary>Each distinct image checked (empty when the object was not checked at all).</summary>
    public IReadOnlyList<ImageCheck> Images { get; init; } = [];
}
