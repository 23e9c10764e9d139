using Bollard.Scanning.Advisories;

namespace Bollard.Scanning.Pipeline;

/// <summary>After every advisory import that changed something, queues one <c>rematch</c> job over the (type, name) keys it changed (releases are not kept apart: an image of any release holding the package is re-matched).</summary>
public sealed class RematchOnImport(ScanJobs jobs, ScanOptions options) : IAdvisoryImportListener
{
    public async Task OnImportedAsync(AdvisoryImportResult result, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (!options.Enabled || !result.HasChanges) return;
        var keys = result.ChangedKeys.Select(k => new RematchKey(k.Type, k.Name)).Distinct().ToList();
        await jobs.EnqueueRematchAsync(keys, $"import {result.Record.Id} of {result.Record.Feed}", ct).ConfigureAwait(false);
    }
}
