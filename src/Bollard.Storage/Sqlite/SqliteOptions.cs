namespace Bollard.Storage.Sqlite;

public sealed record SqliteOptions
{
    /// <summary>Path of the database file; created with its folder when missing.</summary>
    public required string Path { get; init; }

    /// <summary>
    /// How long a statement waits for a lock held by another connection or process before the request is answered
    /// 503 with <c>Retry-After</c> (<see cref="Bollard.Core.Storage.StorageUnavailableException"/>).
    /// </summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
