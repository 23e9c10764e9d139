namespace Bollard.Core.Scanning.Advisories;

/// <summary>What an incremental import needs of a stored advisory: its content hash and the index keys of its affected packages.</summary>
public sealed record StoredAdvisoryState(string Hash, IReadOnlyList<AdvisoryKey> Keys);
