using System.Collections.Concurrent;
using Bollard.Core.Auth;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Pipeline;
using Bollard.Core.Storage;
using Bollard.Core.Webhooks;
using Bollard.Scanning.Layers;
using Bollard.Scanning.Sbom;

namespace Bollard.Scanning.Pipeline;

/// <summary>
/// What the API (and the CLI through it) asks of the scan pipeline, with authorization in one place: reading scan
/// state, findings, SBOMs and the packages query needs pull on the repository (a repository the caller may not pull is
/// "not found"); a rescan needs push; exceptions need the maintainer role on a namespace covering the exception's
/// pattern (or admin), and each create and delete is audited (<c>scan-exception.add</c>, <c>scan-exception.remove</c>).
/// Findings are stored as matched; OpenVEX referrers of the image in the repository and unexpired exceptions are
/// applied here, when read, so that an exception expiring or a VEX document being attached shows at once.
/// </summary>
public sealed class ScanService(
    IScanStore scans, IScanExceptionStore exceptionStore, ScanJobs jobs, IManifestStore manifests, IBlobReader blobs,
    RepositoryManagement repositories, AccessEvaluator access, AuditRecorder audit, ScanOptions options, TimeProvider time)
{
    public const string ExceptionAddAction = "scan-exception.add";
    public const string ExceptionRemoveAction = "scan-exception.remove";

    /// <summary>The SBOM artifact types Bollard makes and recognises (CycloneDX and SPDX JSON).</summary>
    public const string CycloneDxArtifactType = "application/vnd.cyclonedx+json";
    public const string SpdxArtifactType = "application/spdx+json";

    /// <summary>The annotation on the SBOM referrers Bollard attaches (value: the engine version), so producer SBOMs are told apart.</summary>
    public const string GeneratorAnnotation = "dev.bollard.sbom.generator";

    /// <summary>Rows per page of the packages query.</summary>
    public const int PackagePage = 2_000;

    /// <summary>
    /// At most this many package rows are read for one packages query (hidden ones included): bounds the work an
    /// anonymous caller can ask for; past it the answer says it was truncated.
    /// </summary>
    public const int MaxPackageRowsExamined = 200_000;
    private readonly ConcurrentDictionary<Digest, (OpenVex? Doc, string? Problem)> _vexCache = new();
    private volatile IReadOnlyList<ScanExceptionRule>? _exceptions;

    public static bool IsSbomArtifactType(string? artifactType) =>
        artifactType is CycloneDxArtifactType or SpdxArtifactType or "application/vnd.cyclonedx" or "text/spdx+json" or "application/vnd.cyclonedx+xml" or "text/spdx";

    /// <summary>The scan state of an image of <paramref name="repository"/> and the SBOM referrers it has (Bollard's and the producer's).</summary>
    /// <exception cref="ManagementException">404 when the repository does not hold the manifest (or the caller may not pull it).</exception>
    public async Task<(ImageScan? Scan, IReadOnlyList<ReferrerRecord> Sboms)> StateAsync(RegistryCaller caller, string repository, string digest, CancellationToken ct)
    {
        var (name, d, _) = await ImageAsync(caller, repository, digest, RepositoryAccess.Pull, ct).ConfigureAwait(false);
        var scan = await scans.GetAsync(d.ToString(), ct).ConfigureAwait(false);
        var referrers = await manifests.ListReferrersAsync(name, d, null, ct).ConfigureAwait(false);
        return (scan, referrers.Where(r => IsSbomArtifactType(r.ArtifactType)).ToList());
    }

    /// <summary>Queues a scan that analyses the image again (push right).</summary>
    public async Task<long> RescanAsync(RegistryCaller caller, string repository, string digest, CancellationToken ct)
    {
        if (!options.Enabled) throw new ManagementException(ManagementError.Conflict, "scanning is off (Scanning:Enabled)");
        var (name, d, _) = await ImageAsync(caller, repository, digest, RepositoryAccess.Push, ct).ConfigureAwait(false);
        return await jobs.EnqueueScanAsync(name.Value, d.ToString(), force: true, ct).ConfigureAwait(false);
    }

    /// <summary>The image's findings as <paramref name="repository"/> sees them, filtered.</summary>
    public async Task<ImageFindings> FindingsAsync(RegistryCaller caller, string repository, string digest, FindingFilter filter, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var (name, d, _) = await ImageAsync(caller, repository, digest, RepositoryAccess.Pull, ct).ConfigureAwait(false);
        var scan = await scans.GetAsync(d.ToString(), ct).ConfigureAwait(false);
        var (findings, warnings) = await EffectiveFindingsAsync(name, d, ct).ConfigureAwait(false);
        return new ImageFindings(scan, findings.Where(filter.Matches).ToList(), warnings);
    }

    /// <summary>The stored inventory of the image (for SBOMs made on request).</summary>
    /// <returns>null when the image has not been inventoried (yet).</returns>
    public async Task<ImageInventory?> InventoryAsync(RegistryCaller caller, string repository, string digest, CancellationToken ct)
    {
        var (_, d, _) = await ImageAsync(caller, repository, digest, RepositoryAccess.Pull, ct).ConfigureAwait(false);
        return await scans.GetInventoryAsync(d.ToString(), ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The SBOM attached to the image in <paramref name="repository"/> with <paramref name="artifactType"/>: Bollard's
    /// own when there is one, else the producer's newest. The stream is the referrer's single layer.
    /// </summary>
    /// <returns>null when none is attached.</returns>
    public async Task<(ReferrerRecord Referrer, Stream Content, long Length, bool Generated)?> AttachedSbomAsync(
        RegistryCaller caller, string repository, string digest, string artifactType, CancellationToken ct)
    {
        var (name, d, _) = await ImageAsync(caller, repository, digest, RepositoryAccess.Pull, ct).ConfigureAwait(false);
        var referrers = await manifests.ListReferrersAsync(name, d, artifactType, ct).ConfigureAwait(false);
        foreach (var r in referrers.OrderByDescending(r => IsOwnSbom(r)).ThenByDescending(r => referrers.ToList().IndexOf(r)))
        {
            var manifest = await manifests.GetAsync(name, r.Digest, ct).ConfigureAwait(false);
            if (manifest is null) continue;
            ParsedManifest parsed;
            try
            {
                parsed = ManifestParser.Parse(manifest.Content, manifest.MediaType);
            }
            catch (OciException)
            {
                continue;
            }
            if (parsed.Layers.Count == 0) continue;
            var layer = parsed.Layers[0];
            try
            {
                var info = await blobs.StatAsync(name, layer.Digest, ct).ConfigureAwait(false);
                return (r, await blobs.OpenAsync(name, layer.Digest, null, ct).ConfigureAwait(false), info.Size, IsOwnSbom(r));
            }
            catch (OciException)
            {
                continue;
            }
        }
        return null;
    }

    /// <summary>
    /// The SBOM of the image in <paramref name="format"/> (<c>cyclonedx</c> or <c>spdx</c>): the attached referrer (Bollard's,
    /// else the producer's), or, when none is attached (<c>Scanning:AttachSbom</c> off, or the attach was refused), one
    /// made now from the stored inventory.
    /// </summary>
    /// <returns>null when there is neither an attached SBOM nor an inventory.</returns>
    public async Task<(Stream Content, string MediaType, Digest? Referrer, bool Generated)?> SbomAsync(
        RegistryCaller caller, string repository, string digest, string format, CancellationToken ct)
    {
        ISbomWriter writer = format switch
        {
            CycloneDxWriter.FormatName => new CycloneDxWriter(time),
            SpdxWriter.FormatName => new SpdxWriter(time),
            _ => throw new ManagementException(ManagementError.BadRequest, $"format '{format}' is not {CycloneDxWriter.FormatName} or {SpdxWriter.FormatName}"),
        };
        var attached = await AttachedSbomAsync(caller, repository, digest, writer.MediaType, ct).ConfigureAwait(false);
        if (attached is { } a) return (a.Content, writer.MediaType, a.Referrer.Digest, a.Generated);
        var (name, d, _) = await ImageAsync(caller, repository, digest, RepositoryAccess.Pull, ct).ConfigureAwait(false);
        var inventory = await scans.GetInventoryAsync(d.ToString(), ct).ConfigureAwait(false);
        if (inventory is null) return null;
        return (new MemoryStream(writer.Write(inventory, new SbomSubject(name.Value, null, d.ToString()))), writer.MediaType, null, true);
    }

    /// <summary>The image's size report, with the layers other images share (the base-image share) as the registry holds them now.</summary>
    /// <returns>null when the image has not been analysed (yet).</returns>
    public async Task<ImageSizeReport?> SizeAsync(RegistryCaller caller, string repository, string digest, CancellationToken ct)
    {
        var (_, d, _) = await ImageAsync(caller, repository, digest, RepositoryAccess.Pull, ct).ConfigureAwait(false);
        var report = await scans.GetSizeReportAsync(d.ToString(), ct).ConfigureAwait(false);
        if (report is null) return null;
        var shared = await scans.SharedLayersAsync(d.ToString(), report.Layers.Select(l => l.Digest).ToList(), ct).ConfigureAwait(false);
        return SizeReports.WithSharedLayers(report, shared);
    }

    public static bool IsOwnSbom(ReferrerRecord referrer) =>
        referrer.AnnotationsJson is { } a && a.Contains(GeneratorAnnotation, StringComparison.Ordinal);

    /// <summary>Per image of the repository (image manifests and indexes, not referrers): tags, scan state and visible finding counts by severity.</summary>
    public async Task<IReadOnlyList<(RepositoryImage Image, ImageScan? Scan, IReadOnlyDictionary<string, int> Counts)>> RepositorySummaryAsync(
        RegistryCaller caller, string repository, CancellationToken ct)
    {
        var name = await repositories.AuthorizeAsync(caller, repository, RepositoryAccess.Pull, ct).ConfigureAwait(false);
        var images = await scans.ListRepositoryImagesAsync(name, ct).ConfigureAwait(false);
        var result = new List<(RepositoryImage, ImageScan?, IReadOnlyDictionary<string, int>)>();
        foreach (var image in images)
        {
            var scan = image.State is null ? null : await scans.GetAsync(image.Digest, ct).ConfigureAwait(false);
            var counts = Severities.All.ToDictionary(s => s, _ => 0);
            if (scan is { State: ScanState.Done } || scan?.Findings > 0)
            {
                var (findings, _) = await EffectiveFindingsAsync(name, Digest.Parse(image.Digest), ct).ConfigureAwait(false);
                foreach (var f in findings.Where(FindingFilter.Visible.Matches))
                    counts[Severities.All.Contains(f.Severity) ? f.Severity : Severities.Unknown]++;
            }
            result.Add((image, scan, counts));
        }
        return result;
    }

    /// <summary>
    /// "Which images contain this package": every repository, image and tag holding it that the caller may pull, from
    /// the package index. <paramref name="versionFilter"/> (the ecosystem's version order) keeps the versions asked for.
    /// The index is walked in pages (<see cref="PackagePage"/> rows, keyset on <see cref="PackageHit.Cursor"/>) with the
    /// access and version filters applied to each, so rows the caller may not see never crowd out the ones it may; the
    /// walk stops at <paramref name="limit"/> hits or after <see cref="MaxPackageRowsExamined"/> rows (then truncated).
    /// </summary>
    /// <returns>The hits (at most <paramref name="limit"/>, the oldest rows first, sorted by repository, digest and
    /// path) and whether more were cut.</returns>
    public async Task<(IReadOnlyList<PackageHit> Hits, bool Truncated)> PackagesAsync(
        RegistryCaller caller, PackageQuery query, Func<PackageHit, bool>? versionFilter, int limit, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(query);
        // Anonymous callers are answered too: the per-repository check leaves them the public repositories only.
        var visible = new Dictionary<string, bool>(StringComparer.Ordinal);
        var hits = new List<PackageHit>();
        bool truncated = false;
        var after = default(PackageCursor);
        for (int examined = 0; ;)
        {
            if (examined >= MaxPackageRowsExamined)
            {
                truncated = true;
                break;
            }
            var rows = await scans.FindPackagesAsync(query with { After = after, Limit = PackagePage }, ct).ConfigureAwait(false);
            examined += rows.Count;
            foreach (var row in rows)
            {
                if (!visible.TryGetValue(row.Repository, out bool may))
                    visible[row.Repository] = may = caller.Unrestricted
                        || (await access.RightsAsync(caller.Principal, row.Repository, ct).ConfigureAwait(false)).HasFlag(RepositoryAccess.Pull);
                if (!may || (versionFilter is not null && !versionFilter(row))) continue;
                if (hits.Count == limit)
                {
                    truncated = true;
                    break;
                }
                hits.Add(row);
            }
            if (truncated || rows.Count < PackagePage) break;
            after = rows[^1].Cursor;
        }
        hits.Sort(static (x, y) =>
        {
            int c = string.CompareOrdinal(x.Repository, y.Repository);
            if (c == 0) c = string.CompareOrdinal(x.Digest, y.Digest);
            return c != 0 ? c : string.CompareOrdinal(x.Path, y.Path);
        });
        return (hits, truncated);
    }

    /// <summary>Raised after an exception is added or removed (the trust-policy decision caches drop what it may change).</summary>
    public event Action? ExceptionsChanged;

    /// <summary>Every exception (anyone authenticated may read them: they say what is hidden where).</summary>
    public async Task<IReadOnlyList<ScanExceptionRule>> ListExceptionsAsync(RegistryCaller caller, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.Unrestricted && !caller.Principal.IsAuthenticated) throw new ManagementException(ManagementError.Unauthorized, "authentication required");
        return await ExceptionsAsync(ct).ConfigureAwait(false);
    }

    /// <exception cref="ManagementException">400 for a bad field, 403 without the maintainer role on a namespace covering the pattern.</exception>
    public async Task<ScanExceptionRule> AddExceptionAsync(RegistryCaller caller, string? advisoryId, string? namespacePattern, string? imageDigest, string? package,
        string? reason, string? owner, DateTimeOffset? expiresAt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (string.IsNullOrWhiteSpace(advisoryId) || advisoryId.Length > 128) throw new ManagementException(ManagementError.BadRequest, "advisoryId: 1 to 128 characters");
        if (!NamespacePattern.TryParse(namespacePattern, out var ns, out var problem)) throw new ManagementException(ManagementError.BadRequest, $"namespace: {problem}");
        if (imageDigest is not null && !Digest.TryParse(imageDigest, out _)) throw new ManagementException(ManagementError.BadRequest, $"imageDigest: '{imageDigest}' is not a digest");
        if (package is { Length: 0 or > 512 }) throw new ManagementException(ManagementError.BadRequest, "package: 1 to 512 characters");
        if (string.IsNullOrWhiteSpace(reason) || reason.Length > 2000) throw new ManagementException(ManagementError.BadRequest, "reason: 1 to 2000 characters");
        if (string.IsNullOrWhiteSpace(owner) || owner.Length > 200) throw new ManagementException(ManagementError.BadRequest, "owner: 1 to 200 characters");
        var now = time.GetUtcNow();
        if (expiresAt is not { } expires || expires <= now) throw new ManagementException(ManagementError.BadRequest, "expiresAt: a time in the future is needed (exceptions always expire)");
        await RequireMaintainerAsync(caller, ns, ct).ConfigureAwait(false);
        var stored = await exceptionStore.AddAsync(new ScanExceptionRule
        {
            AdvisoryId = advisoryId.Trim(), Namespace = ns, ImageDigest = imageDigest, Package = package, Reason = reason.Trim(), Owner = owner.Trim(),
            ExpiresAt = expires, CreatedBy = caller.Principal.Name, CreatedAt = now,
        }, ct).ConfigureAwait(false);
        _exceptions = null;
        ExceptionsChanged?.Invoke();
        audit.Record(caller.Principal.Name, caller.ClientAddress, ExceptionAddAction, "success", reference: $"exception {stored.Id}",
            detail: $"{stored.AdvisoryId} in {stored.Namespace}{(stored.ImageDigest is null ? "" : " image " + stored.ImageDigest)}{(stored.Package is null ? "" : " package " + stored.Package)} until {stored.ExpiresAt:O}, owner {stored.Owner}");
        return stored;
    }

    public async Task RemoveExceptionAsync(RegistryCaller caller, long id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.Unrestricted && !caller.Principal.IsAuthenticated) throw new ManagementException(ManagementError.Unauthorized, "authentication required");
        var exception = (await exceptionStore.ListAsync(ct).ConfigureAwait(false)).FirstOrDefault(e => e.Id == id)
            ?? throw new ManagementException(ManagementError.NotFound, $"no exception {id}");
        await RequireMaintainerAsync(caller, exception.Namespace, ct).ConfigureAwait(false);
        if (!await exceptionStore.DeleteAsync(id, ct).ConfigureAwait(false)) throw new ManagementException(ManagementError.NotFound, $"no exception {id}");
        _exceptions = null;
        ExceptionsChanged?.Invoke();
        audit.Record(caller.Principal.Name, caller.ClientAddress, ExceptionRemoveAction, "success", reference: $"exception {id}",
            detail: $"{exception.AdvisoryId} in {exception.Namespace}");
    }

    private async Task RequireMaintainerAsync(RegistryCaller caller, NamespacePattern pattern, CancellationToken ct)
    {
        if (caller.Unrestricted || caller.Principal.IsAdmin) return;
        if (!caller.Principal.IsAuthenticated) throw new ManagementException(ManagementError.Unauthorized, "authentication required");
        var maintained = (await access.BindingsOfAsync(caller.Principal, ct).ConfigureAwait(false))
            .Where(b => b.Role >= Role.Maintainer).Select(b => NamespacePattern.Parse(b.Pattern));
        if (!maintained.Any(m => WebhookService.Covers(m, pattern)))
            throw new ManagementException(ManagementError.Forbidden, $"an exception for '{pattern}' needs the maintainer role on a namespace covering '{pattern}', or admin");
    }

    private async Task<IReadOnlyList<ScanExceptionRule>> ExceptionsAsync(CancellationToken ct) =>
        _exceptions ??= await exceptionStore.ListAsync(ct).ConfigureAwait(false);

    internal Task<(IReadOnlyList<Finding> Findings, IReadOnlyList<string> Warnings)> EffectiveFindingsAsync(RepositoryName repository, Digest digest, CancellationToken ct) =>
        EffectiveFindingsAsync(repository, digest, applyExceptions: true, ct);

    /// <summary>The stored findings with OpenVEX (referrers of the image in the repository) and, unless <paramref name="applyExceptions"/> is false, exceptions applied.</summary>
    /// <param name="applyExceptions">false for the trust-policy engine, which judges exceptions itself (and when they expire).</param>
    public async Task<(IReadOnlyList<Finding> Findings, IReadOnlyList<string> Warnings)> EffectiveFindingsAsync(RepositoryName repository, Digest digest, bool applyExceptions,
        CancellationToken ct)
    {
        var stored = await scans.GetFindingsAsync(digest.ToString(), ct).ConfigureAwait(false);
        if (stored.Count == 0) return (stored, []);
        var warnings = new List<string>();
        var vex = new List<OpenVex>();
        foreach (string type in OpenVex.ArtifactTypes)
            foreach (var referrer in await manifests.ListReferrersAsync(repository, digest, type, ct).ConfigureAwait(false))
            {
                var (doc, problem) = await VexAsync(repository, referrer, ct).ConfigureAwait(false);
                if (doc is not null) vex.Add(doc);
                if (problem is not null) warnings.Add($"OpenVEX {referrer.Digest}: {problem}");
            }
        var exceptions = applyExceptions ? await ExceptionsAsync(ct).ConfigureAwait(false) : [];
        var now = time.GetUtcNow();
        string d = digest.ToString();
        var result = new List<Finding>(stored.Count);
        foreach (var finding in stored)
        {
            var f = finding;
            if (OpenVex.Resolve(vex, finding, d) is { } verdict)
                f = verdict.Status is { } status
                    ? f with { Status = status, StatusReason = verdict.Reason }
                    : f with { StatusReason = string.Join("; ", new[] { f.StatusReason, $"OpenVEX {verdict.RawStatus}" + (verdict.Reason is null ? "" : ": " + verdict.Reason) }.OfType<string>()) };
            if (exceptions.FirstOrDefault(e => e.Applies(f, repository.Value, d, now)) is { } ex)
                f = f with { Status = FindingStatus.Excepted, StatusReason = $"exception {ex.Id} until {ex.ExpiresAt:O} ({ex.Owner}): {ex.Reason}" };
            result.Add(f);
        }
        return (result, warnings);
    }

    /// <summary>A VEX document is a referrer manifest whose first layer is the JSON; cached by manifest digest (content-addressed, so never stale).</summary>
    private async Task<(OpenVex? Doc, string? Problem)> VexAsync(RepositoryName repository, ReferrerRecord referrer, CancellationToken ct)
    {
        if (_vexCache.TryGetValue(referrer.Digest, out var cached)) return cached;
        OpenVex? doc = null;
        string? problem = null;
        try
        {
            var manifest = await manifests.GetAsync(repository, referrer.Digest, ct).ConfigureAwait(false);
            if (manifest is null) return (null, "gone");
            var parsed = ManifestParser.Parse(manifest.Content, manifest.MediaType);
            if (parsed.Layers.Count == 0) problem = "no layer holds the document";
            else if (parsed.Layers[0].Size > options.MaxVexBytes) problem = $"the document is {parsed.Layers[0].Size} bytes, over Scanning:MaxVexBytes";
            else
            {
                await using var stream = await blobs.OpenAsync(repository, parsed.Layers[0].Digest, null, ct).ConfigureAwait(false);
                var buffer = new byte[parsed.Layers[0].Size];
                await stream.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
                doc = OpenVex.Parse(buffer);
            }
        }
        catch (Exception e) when (e is FormatException or OciException or EndOfStreamException)
        {
            problem = e.Message;
        }
        if (_vexCache.Count > 10_000) _vexCache.Clear();
        _vexCache[referrer.Digest] = (doc, problem);
        return (doc, problem);
    }

    private async Task<(RepositoryName Name, Digest Digest, ManifestRecord Manifest)> ImageAsync(
        RegistryCaller caller, string repository, string digest, RepositoryAccess needed, CancellationToken ct)
    {
        var name = await repositories.AuthorizeAsync(caller, repository, needed, ct).ConfigureAwait(false);
        if (!Digest.TryParse(digest, out var d)) throw new ManagementException(ManagementError.BadRequest, $"'{digest}' is not a digest");
        var manifest = await manifests.GetAsync(name, d, ct).ConfigureAwait(false)
            ?? throw new ManagementException(ManagementError.NotFound, $"no manifest {d} in '{name}'");
        return (name, d, manifest);
    }
}
