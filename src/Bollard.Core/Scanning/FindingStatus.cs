namespace Bollard.Core.Scanning;

/// <summary>Stored by name: add at the end, never rename.</summary>
public enum FindingStatus
{
    /// <summary>Affected, and a fixed version exists.</summary>
    Affected,

    /// <summary>Affected and no fix is published (Debian/Alpine unfixed, OSV range without a fix).</summary>
    Unfixed,

    /// <summary>An OpenVEX statement attached to the image says <c>not_affected</c>.</summary>
    NotAffected,

    /// <summary>An OpenVEX statement attached to the image says <c>fixed</c>.</summary>
    Fixed,

    /// <summary>Hidden by an unexpired exception (the finding stays visible to whoever asks for hidden ones).</summary>
    Excepted,
}
