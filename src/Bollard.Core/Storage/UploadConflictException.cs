namespace Bollard.Core.Storage;

/// <summary>
/// Upload data is not in the state its caller expected: another writer (another request, another node) appended
/// to it, is appending to it now, or cut it back. Core answers with a clean error and hashes the data again
/// before it trusts it.
/// </summary>
public sealed class UploadConflictException : Exception
{
    public UploadConflictException() { }
    public UploadConflictException(string message) : base(message) { }
    public UploadConflictException(string message, Exception inner) : base(message, inner) { }
}
