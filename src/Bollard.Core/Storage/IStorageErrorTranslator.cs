namespace Bollard.Core.Storage;

/// <summary>
/// Turns a backend's own exception (a <c>SqliteException</c> raised in the middle of a unit of work, a driver's
/// timeout) into Core's storage exceptions (<see cref="StorageFullException"/>, <see cref="StorageUnavailableException"/>),
/// so the server answers 507/503 wherever the failure surfaced instead of a 500. Registered by the storage backend;
/// the HTTP host asks it once, where it maps storage failures. Returns null for anything it does not recognise.
/// </summary>
public interface IStorageErrorTranslator
{
    Exception? Translate(Exception exception);
}
