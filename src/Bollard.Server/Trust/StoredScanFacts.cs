using Bollard.Core.Oci;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Advisories;
using Bollard.Core.Scanning.Pipeline;
using Bollard.Core.Storage;
using Bollard.Scanning.Pipeline;
using Bollard.Trust.Policy;

namespace Bollard.Server.Trust;

/// <summary>
/// The scanner's knowledge of an image for the policy engine, from issue 8's stores: the scan state, the stored findings
/// with the image's OpenVEX applied (exceptions are passed as they are: the evaluator judges them and their expiry), whether
/// an SBOM referrer is attached, when the manifest was pushed here (for grace periods), and when the advisories that
/// matched were published. An index is judged by its children (at most <see cref="MaxChildren"/>): the union of their
/// findings, scanned only when every child was. Every read is bounded.
/// </summary>
public sealed class StoredScanFacts(IScanStore scans, ScanService scanService, IManifestStore manifests, IScanExceptionStore exceptionStore, IAdvisoryStore advisories)
    : IScanFactsSource
{
    public const int MaxChildren = 64;
    public const int MaxPublishedLookups = 200;
    private volatile IReadOnlyList<ScanExceptionRule>? _exceptions;
    private long _generation;

    /// <summary>Forgets the cached exceptions (one was added or removed).</summary>
    public void ExceptionsChanged()
    {
        Interlocked.Increment(ref _generation);
        _exceptions = null;
    }

    private async Task<IReadOnlyList<ScanExceptionRule>> ExceptionsAsync(CancellationToken ct)
    {
        if (_exceptions is { } cached) return cached;
        long generation = Interlocked.Read(ref _generation);
        var list = await exceptionStore.ListAsync(ct).ConfigureAwait(false);
        if (Interlocked.Read(ref _generation) == generation) _exceptions = list;
        return list;
    }

    public async Task<ScanFacts> GetAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        var manifest = await manifests.GetAsync(repository, digest, ct).ConfigureAwait(false);
        if (manifest is null) return ScanFacts.NotScanned;
        var exceptions = await ExceptionsAsync(ct).ConfigureAwait(false);
        ScanFacts facts;
        if (!MediaTypes.IsIndex(manifest.MediaType)) facts = await ImageAsync(repository, digest, ct).ConfigureAwait(false);
        else
        {
            ParsedManifest parsed;
            try
            {
                parsed = ManifestParser.Parse(manifest.Content, manifest.MediaType);
            }
            catch (OciException e)
            {
                return new ScanFacts { State = ScanFactsState.Skipped, Reason = $"the index cannot be read: {e.Message}", AdmittedAt = manifest.CreatedAt, Exceptions = exceptions };
            }
            var children = new List<ScanFacts>();
            foreach (var child in parsed.Manifests.Where(m => MediaTypes.IsImageManifest(m.MediaType)).Take(MaxChildren))
                children.Add(await ImageAsync(repository, child.Digest, ct).ConfigureAwait(false));
            facts = Union(children, await HasSbomAsync(repository, digest, ct).ConfigureAwait(false));
        }
        return facts with
        {
            AdmittedAt = manifest.CreatedAt, Exceptions = exceptions,
            AdvisoryPublished = await PublishedAsync(facts.Findings, ct).ConfigureAwait(false),
        };
    }

    private async Task<ScanFacts> ImageAsync(RepositoryName repository, Digest digest, CancellationToken ct)
    {
        var scan = await scans.GetAsync(digest.ToString(), ct).ConfigureAwait(false);
        var state = scan?.State switch
        {
            null => ScanFactsState.None,
            ScanState.Queued => ScanFactsState.Queued,
            ScanState.Running => ScanFactsState.Running,
            ScanState.Done => ScanFactsState.Done,
            ScanState.Failed => ScanFactsState.Failed,
            _ => ScanFactsState.Skipped,
        };
        bool scanned = scan is { State: ScanState.Done } || scan?.MatchedAt is not null;
        IReadOnlyList<Finding> findings = scanned
            ? (await scanService.EffectiveFindingsAsync(repository, digest, applyExceptions: false, ct).ConfigureAwait(false)).Findings
            : [];
        return new ScanFacts
        {
            State = state, Reason = scan?.Reason, Scanned = scanned, Findings = findings, SbomStored = await HasSbomAsync(repository, digest, ct).ConfigureAwait(false),
        };
    }

    private static ScanFacts Union(List<ScanFacts> children, bool indexSbom)
    {
        if (children.Count == 0) return new ScanFacts { State = ScanFactsState.Skipped, Reason = "the index lists no image manifest", SbomStored = indexSbom };
        var worst = children.FirstOrDefault(c => !c.Scanned && c.State != ScanFactsState.Done);
        return new ScanFacts
        {
            State = worst?.State ?? ScanFactsState.Done,
            Reason = worst?.Reason,
            Scanned = worst is null,
            Findings = children.SelectMany(c => c.Findings).ToList(),
            SbomStored = indexSbom || children.All(c => c.SbomStored),
        };
    }

    private async Task<bool> HasSbomAsync(RepositoryName repository, Digest digest, CancellationToken ct) =>
        (await manifests.ListReferrersAsync(repository, digest, null, ct).ConfigureAwait(false)).Any(r => ScanService.IsSbomArtifactType(r.ArtifactType));

    private async Task<IReadOnlyDictionary<string, DateTimeOffset>> PublishedAsync(IReadOnlyList<Finding> findings, CancellationToken ct)
    {
        var published = new Dictionary<string, DateTimeOffset>(StringComparer.OrdinalIgnoreCase);
        foreach (string id in findings.Select(f => f.AdvisoryId).Distinct(StringComparer.OrdinalIgnoreCase).Take(MaxPublishedLookups))
        {
            var earliest = (await advisories.FindAsync(id, ct).ConfigureAwait(false)).Select(a => a.Advisory.Published).Where(p => p is not null).Min();
            if (earliest is { } t) published[id] = t;
        }
        return published;
    }
}
