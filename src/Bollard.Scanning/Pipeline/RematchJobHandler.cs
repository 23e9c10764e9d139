using System.Globalization;
using Bollard.Core.Auth;
using Bollard.Core.Events;
using Bollard.Core.Jobs;
using Bollard.Core.Oci;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Pipeline;

namespace Bollard.Scanning.Pipeline;

/// <summary>
/// The <c>rematch</c> job kind, queued after every advisory import (<see cref="RematchOnImport"/>): finds the stored
/// inventories holding a package whose advisories changed through the package index, matches each again against the
/// new index (no layer is read: only the stored inventory), stores the new findings, and appends one
/// <c>FindingsChanged</c> event per image and repository holding it whose finding set changed (detail: advisories gained,
/// lost and changed). Audited as <c>scan.rematch</c> with the counts. Idempotent: a repeated run finds nothing changed.
/// </summary>
public sealed class RematchJobHandler(IScanStore scans, FindingMatcher matcher, ScanEvents events, AuditRecorder audit, TimeProvider time) : IJobHandler
{
    public const string AuditAction = "scan.rematch";
    private const int Page = 500;

    public string Kind => ScanJobs.RematchKind;

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(context);
        var payload = ScanJobs.ReadRematch(context.Job.Payload);
        var (index, generation) = await matcher.CurrentAsync(ct).ConfigureAwait(false);
        IReadOnlyList<string> digests;
        if (payload.Keys is { } keys)
            digests = await scans.FindImagesWithPackagesAsync(keys.Select(k => (k.Type, k.Name)).ToList(), ct).ConfigureAwait(false);
        else
        {
            var all = new List<string>();
            for (string? after = null; ;)
            {
                var page = await scans.ListInventoriesAsync(after, Page, ct).ConfigureAwait(false);
                all.AddRange(page);
                if (page.Count < Page) break;
                after = page[^1];
            }
            digests = all;
        }

        int changed = 0, done = 0;
        foreach (string digest in digests)
        {
            ct.ThrowIfCancellationRequested();
            var inventory = await scans.GetInventoryAsync(digest, ct).ConfigureAwait(false);
            if (inventory is null) continue;
            var before = await scans.GetFindingsAsync(digest, ct).ConfigureAwait(false);
            var after = FindingMatcher.Match(inventory, index);
            if (!await scans.SaveFindingsAsync(digest, after, generation, time.GetUtcNow(), ct).ConfigureAwait(false)) continue;
            if (Diff(before, after) is { } detail)
            {
                changed++;
                await events.AppendAsync(RegistryEventKind.FindingsChanged, await scans.RepositoriesOfAsync(digest, ct).ConfigureAwait(false),
                    Digest.Parse(digest), detail, ct).ConfigureAwait(false);
            }
            if (++done % 100 == 0)
                await context.ReportProgressAsync((double)done / digests.Count, $"{done} of {digests.Count} images re-matched, {changed} changed", ct).ConfigureAwait(false);
        }
        string summary = string.Create(CultureInfo.InvariantCulture,
            $"{done} images re-matched against {generation}, {changed} changed{(payload.Reason is { } r ? " (" + r + ")" : "")}");
        await context.ReportProgressAsync(1, summary, ct).ConfigureAwait(false);
        audit.Record(ScanActor.Principal, "", AuditAction, "success", detail: summary);
    }

    /// <summary><c>gained: A,B; lost: C; changed: D</c>, or null when the finding sets are equal.</summary>
    public static string? Diff(IReadOnlyList<Finding> before, IReadOnlyList<Finding> after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var oldIds = before.Select(f => f.AdvisoryId).ToHashSet(StringComparer.Ordinal);
        var newIds = after.Select(f => f.AdvisoryId).ToHashSet(StringComparer.Ordinal);
        var gained = newIds.Except(oldIds).Order(StringComparer.Ordinal).ToList();
        var lost = oldIds.Except(newIds).Order(StringComparer.Ordinal).ToList();
        var oldSig = Signatures(before);
        var newSig = Signatures(after);
        var changedIds = newSig.Where(n => oldSig.TryGetValue(n.Key, out string? o) && o != n.Value).Select(n => n.Key).Order(StringComparer.Ordinal).ToList();
        if (gained.Count + lost.Count + changedIds.Count == 0) return null;
        var parts = new List<string>();
        if (gained.Count > 0) parts.Add("gained: " + ScanEvents.List(gained));
        if (lost.Count > 0) parts.Add("lost: " + ScanEvents.List(lost));
        if (changedIds.Count > 0) parts.Add("changed: " + ScanEvents.List(changedIds));
        return string.Join("; ", parts);
    }

    /// <summary>Per advisory id, everything that makes its findings what they are (package, version, path, fix, severity, status).</summary>
    private static Dictionary<string, string> Signatures(IReadOnlyList<Finding> findings) =>
        findings.GroupBy(f => f.AdvisoryId, StringComparer.Ordinal).ToDictionary(g => g.Key,
            g => string.Join('\n', g.Select(f => string.Join('|', f.PackageType, f.PackageName, f.InstalledVersion, f.Path, f.FixedVersion, f.Severity, f.Status,
                f.CvssScore?.ToString(CultureInfo.InvariantCulture))).Order(StringComparer.Ordinal)), StringComparer.Ordinal);
}
