namespace Bollard.Core.Storage;

/// <summary>
/// A backend could not store data because its storage is full (ENOSPC, SQLITE_FULL, a quota of the object store).
/// Nothing was half-written: the operation that failed left no state behind. Served as 507.
/// </summary>
public sealed class StorageFullException : IOException
{
    public StorageFullException(string message, Exception? innerException) : base(message, innerException) { }

    public StorageFullException() : this("the storage is full", null) { }

    public StorageFullException(string message) : this(message, null) { }
}
