namespace Bollard.Core.Scanning.Advisories;

/// <summary>
/// One severity statement of an advisory. <see cref="Kind"/> is <see cref="AdvisorySeverityKinds"/>:
/// a CVSS vector (<see cref="Vector"/>, with <see cref="Score"/> when the source gives it), or a rating word of the
/// source (<see cref="Rating"/>: the GHSA <c>database_specific.severity</c>, Debian's urgency).
/// </summary>
public sealed record AdvisorySeverity(string Kind, string? Vector, double? Score, string? Rating);
