namespace Bollard.Core.Scanning.Advisories;

/// <summary>
/// What the source says about a package in a release (stored by name: add at the end, never rename). Everything but
/// <see cref="NotAffected"/> is matched by the ranges; a match is <see cref="FindingStatus.Affected"/> only with
/// <see cref="Affected"/> and a fixed version above the installed one, else <see cref="FindingStatus.Unfixed"/>, with
/// the status and <see cref="AffectedPackage.Note"/> as its reason.
/// </summary>
public enum AffectedStatus
{
    /// <summary>Affected in the ranges given (fixed where a <c>fixed</c> event says so).</summary>
    Affected,

    /// <summary>
    /// Affected, no fix published for this release (Debian <c>&lt;unfixed&gt;</c>, or a fix only in unstable): the ranges
    /// still bound which versions are affected, but a finding has no fixed version.
    /// </summary>
    Unfixed,

    /// <summary>The package in this release was never affected (Debian <c>not-affected</c>, secdb fixed version <c>0</c>).</summary>
    NotAffected,

    /// <summary>Debian <c>&lt;no-dsa&gt;</c>: affected, minor; no security advisory planned (maybe fixed in a point release).</summary>
    NoDsa,

    /// <summary>Debian <c>&lt;postponed&gt;</c>: affected, the fix is deferred to a later update.</summary>
    Postponed,

    /// <summary>Debian <c>&lt;end-of-life&gt;</c>: affected, the package is no longer supported in this release.</summary>
    EndOfLife,

    /// <summary>Debian <c>&lt;ignored&gt;</c>: affected, the team will not fix it.</summary>
    Ignored,
}
