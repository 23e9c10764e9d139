namespace Bollard.Core.Scanning.Advisories;

/// <summary>An advisory with the feed it belongs to and its content hash (<see cref="AdvisoryJson.Hash"/>).</summary>
public sealed record StoredAdvisory(string Feed, Advisory Advisory, string Hash);
