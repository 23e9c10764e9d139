using Bollard.Core.Scanning.Advisories;

namespace Bollard.Scanning.Advisories;

/// <summary>One affected package of one advisory, as the index hands it to the matcher.</summary>
public sealed record AdvisoryIndexEntry(string Feed, Advisory Advisory, AffectedPackage Package);
