using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Scanning.Pipeline;

namespace Bollard.Scanning.Pipeline;

/// <summary>
/// Feeds the scan queue from the registry events (subscriber <c>scan</c>): every <c>ManifestPushed</c> of an image manifest
/// or an index queues a <c>scan</c> job for its digest (the job skips what is not an image, and queues each platform of
/// an index), except Bollard's own pushes (the SBOM referrers it attaches). Every <c>ManifestDeleted</c> removes the
/// scan rows of the digest once no repository holds it any more. Delivery is at least once: both are idempotent (the
/// job is unique per digest; a done image is not analysed again unless forced).
/// </summary>
public sealed class ScanEventSubscriber(ScanJobs jobs, IScanStore scans, ScanOptions options) : IRegistryEventSubscriber
{
    public string Name => "scan";

    public async Task HandleAsync(IReadOnlyList<RegistryEvent> events, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (var e in events)
        {
            if (e.Digest is not { } digest || e.Repository is not { } repository) continue;
            switch (e.Kind)
            {
                case RegistryEventKind.ManifestPushed when options.Enabled && options.OnPush && e.Principal != ScanActor.Principal
                    && e.MediaType is { } mediaType && MediaTypes.IsManifest(mediaType):
                    await jobs.EnqueueScanAsync(repository.Value, digest.ToString(), force: false, ct).ConfigureAwait(false);
                    break;
                case RegistryEventKind.ManifestDeleted:
                    await scans.ForgetIfUnreferencedAsync(digest.ToString(), ct).ConfigureAwait(false);
                    break;
            }
        }
    }
}
