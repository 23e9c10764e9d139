namespace Bollard.Core.Storage;

/// <summary>
/// A backend cannot serve the operation now: the database is locked or busy (SQLITE_BUSY/LOCKED), the storage
/// is read-only or not writable (EACCES, EROFS), or cannot be reached. The operation did not happen; a client
/// may retry after <see cref="RetryAfter"/>. Served as 503 with <c>Retry-After</c>.
/// </summary>
public sealed class StorageUnavailableException : IOException
{
    public StorageUnavailableException(string message, Exception? innerException, TimeSpan? retryAfter) : base(message, innerException) =>
        RetryAfter = retryAfter ?? TimeSpan.FromSeconds(5);

    public StorageUnavailableException() : this("the storage is unavailable", null) { }

    public StorageUnavailableException(string message) : this(message, null) { }

    public StorageUnavailableException(string message, Exception? innerException) : this(message, innerException, null) { }

    /// <summary>How long a client should wait before it retries.</summary>
    public TimeSpan RetryAfter { get; }
}
