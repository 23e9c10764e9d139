namespace Bollard.Core.Retention;

/// <summary>One tag a retention run removed (or, in a dry run, would remove), or skipped, and why.</summary>
public sealed record RetentionItem(string Repository, string Tag, string Digest, string Reason);
