using Bollard.Core.Oci;
using Bollard.Trust.Policy;

namespace Bollard.Trust.Admission;

/// <summary>What admission did with one image.</summary>
public enum ImageOutcome
{
    /// <summary>This registry's image, resolved, and its policy is met (or none applies).</summary>
    Allowed,

    /// <summary>Allowed with a warning: a warn-mode policy is violated, an external image under <c>warn</c>, a template without an image yet.</summary>
    Warned,

    /// <summary>Allowed without a check: an external image under <c>allow</c>.</summary>
    NotChecked,

    /// <summary>Refused: the review is denied.</summary>
    Denied,
}

/// <summary>
/// One distinct image of a review (several containers may share it): what was decided, why, and the digest it was
/// resolved to (for the pinning patch).
/// </summary>
public sealed record ImageCheck
{
    public required string Image { get; init; }

    public required IReadOnlyList<ContainerImage> Containers { get; init; }

    public required ImageOutcome Outcome { get; init; }

    /// <summary>Readable reasons: the policy's violations, why the image is unknown, which rule applied.</summary>
    public required IReadOnlyList<string> Reasons { get; init; }

    public ImageReference? Reference { get; init; }

    /// <summary>The manifest digest decided on; null when the image was not resolved.</summary>
    public Digest? Digest { get; init; }

    public PolicyDecision? Decision { get; init; }

    /// <summary>
    /// <c>HOST/PATH@sha256:…</c> when this registry's image was resolved from a tag; null when it already names its
    /// digest (tag+digest included: the runtime pulls the digest, so there is nothing to pin).
    /// </summary>
    public string? Pinned => Reference is { Digest: null } r && Digest is { } d ? r.Pinned(d) : null;

    /// <summary>The image as written, the full name when that differs (<c>nginx = docker.io/library/nginx</c>), the digest a tag resolved to, and the reasons.</summary>
    public string Describe()
    {
        string full = Reference?.ToString() is { } f && f != Image ? $"{Image} = {f}" : Image;
        if (Digest is { } d && Reference?.Digest is null) full += $" ({d})";
        return full + ": " + string.Join("; ", Reasons);
    }
}
