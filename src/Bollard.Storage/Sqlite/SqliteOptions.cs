namespace Bollard.Storage.Sqlite;

public sealed record SqliteOptions
{
    /// <summary>Path of the database file; created with its folder when missing.</summary>
    public required string Path { get; init; }
}
