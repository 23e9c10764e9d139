namespace Bollard.Core.Scanning.Pipeline;

/// <summary>An image manifest of a repository with its tags and scan state (null: never queued), for summaries.</summary>
public sealed record RepositoryImage(string Digest, string MediaType, IReadOnlyList<string> Tags, ScanState? State);
