using Bollard.Core.Oci;
using Bollard.Core.Storage;

namespace Bollard.Server.Distribution;

/// <summary>Maps Core's storage failures to their HTTP answer, once for the whole server.</summary>
public static class StorageErrors
{
    public readonly record struct Mapped(OciError Error, TimeSpan? RetryAfter);

    /// <param name="translator">The backend's translation of its own exceptions (e.g. SQLite's "disk full" raised in the
    /// middle of a unit of work), tried on every exception of the chain.</param>
    /// <returns>false for anything that is not a storage failure the backends reported (a bug: 500).</returns>
    public static bool TryMap(Exception e, IStorageErrorTranslator? translator, out Mapped mapped)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            switch (translator?.Translate(x) ?? x)
            {
                case StorageFullException:
                    mapped = new Mapped(OciErrors.InsufficientStorage, null);
                    return true;
                case StorageUnavailableException u:
                    mapped = new Mapped(OciErrors.Unavailable, u.RetryAfter);
                    return true;
            }
        }
        mapped = default;
        return false;
    }
}
