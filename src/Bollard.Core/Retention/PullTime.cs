using Bollard.Core.Oci;

namespace Bollard.Core.Retention;

/// <summary>The latest pull of a tag (<paramref name="Tag"/> set) or of a manifest (<paramref name="Tag"/> null) in one batch.</summary>
public readonly record struct PullTime(RepositoryName Repository, string? Tag, Digest? Digest, DateTimeOffset At);
