namespace Bollard.Core.Retention;

/// <summary>
/// What a retention run did: <see cref="Removed"/> the tags it deleted (a dry run: would delete, exactly the set a
/// real run at that moment deletes), <see cref="Skipped"/> the tags policies would remove but a push check (an
/// immutability rule) protects.
/// </summary>
public sealed record RetentionReport(bool DryRun, int Repositories, IReadOnlyList<RetentionItem> Removed, IReadOnlyList<RetentionItem> Skipped);
