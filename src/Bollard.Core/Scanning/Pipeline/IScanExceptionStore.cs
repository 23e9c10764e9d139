namespace Bollard.Core.Scanning.Pipeline;

/// <summary>Exceptions (<see cref="ScanExceptionRule"/>), few and read whole (cached by the scan service). Thread-safe.</summary>
public interface IScanExceptionStore
{
    Task<IReadOnlyList<ScanExceptionRule>> ListAsync(CancellationToken ct);

    /// <returns>The stored exception with its id.</returns>
    Task<ScanExceptionRule> AddAsync(ScanExceptionRule exception, CancellationToken ct);

    /// <returns>false when there is no such exception.</returns>
    Task<bool> DeleteAsync(long id, CancellationToken ct);
}
