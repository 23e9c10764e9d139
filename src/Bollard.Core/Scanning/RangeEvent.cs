namespace Bollard.Core.Scanning;

/// <summary>
/// One event of an affected-version range, as OSV writes them (<c>introduced</c>, <c>fixed</c>,
/// <c>last_affected</c>, <c>limit</c>). Every advisory source is converted to these: Debian/Alpine "fixed in V" is
/// <c>introduced 0, fixed V</c>; "unfixed" is <c>introduced 0</c> alone. <c>introduced "0"</c> means from the first
/// version. Evaluated by <c>Bollard.Scanning.Versions.RangeEvaluator</c> with the ecosystem's version order.
/// </summary>
public sealed record RangeEvent(RangeEventKind Kind, string Version);

/// <summary>OSV range event kinds.</summary>
public enum RangeEventKind
{
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}
