namespace Bollard.Scanning.Advisories;

/// <summary>
/// Told after every advisory import that was stored (the pipeline enqueues the re-match job). Called once per import,
/// after the new index is in place, in registration order; an exception is logged and does not undo the import.
/// Listeners are resolved when an import finishes, so one may depend on <see cref="AdvisoryDatabase"/>.
/// </summary>
public interface IAdvisoryImportListener
{
    Task OnImportedAsync(AdvisoryImportResult result, CancellationToken ct);
}
