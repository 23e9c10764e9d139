using System.Globalization;
using Bollard.Core.Events;
using Bollard.Core.Oci;
using Bollard.Core.Registry;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Pipeline;
using Bollard.Core.Storage;
using Bollard.Scanning.Layers;

namespace Bollard.Scanning.Pipeline;

/// <summary>
/// Scans one image manifest of a repository (what the <c>scan</c> job runs): loads the manifest and config through the
/// registry's read seams (<see cref="IManifestReader"/>, <see cref="IBlobReader"/>), skips what is not an image (an
/// artifact whose config is not an image config: signatures, SBOMs, ...) and queues each platform of an index, runs
/// <see cref="ImageAnalyzer"/> (each layer read once, cached per layer digest), stores the inventory and its size report,
/// matches it against the advisory index, stores the findings, attaches the SBOMs as referrers and appends an
/// <c>ImageScanned</c> event. An image already inventoried by this engine version is not read again unless forced:
/// its stored inventory is re-matched (a second repository pushing the same image gets its SBOM referrers this way).
/// Of an index only the platform manifests stored here are queued: a pull-through mirror keeps an index whole but
/// fetches only the platforms clients pull, and scanning must not fetch the others (a platform fetched later is
/// stored with its own <c>ManifestPushed</c>, and scanned then).
/// </summary>
public sealed class ImageScanner(
    IManifestReader manifests, IBlobReader blobs, IScanStore scans, ScanJobs jobs, ImageAnalyzer analyzer, FindingMatcher matcher,
    SbomAttacher sboms, ScanEvents events, ScanOptions options, TimeProvider time, IManifestStore stored)
{
    private long _layersRead;

    /// <summary>Layers this scanner read from blobs (cache hits and re-matches read none): for tests and metrics.</summary>
    public long LayersRead => Interlocked.Read(ref _layersRead);

    /// <summary>Image config media types (image-spec config.md, Docker image v1): anything else is an artifact, not an image.</summary>
    public static bool IsImageConfig(string mediaType) =>
        mediaType is "application/vnd.oci.image.config.v1+json" or "application/vnd.docker.container.image.v1+json";

    /// <exception cref="OciException">The manifest or a blob could not be read (the job retries).</exception>
    public async Task ScanAsync(long jobId, RepositoryName repository, Digest digest, bool force, Func<double, string, Task> progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(progress);
        string d = digest.ToString();
        var record = await manifests.GetAsync(repository, new Reference(null, digest), ct).ConfigureAwait(false);
        if (record is null)
        {
            // Deleted before its scan ran: nothing to show, and no row may outlive the last copy.
            await scans.ForgetIfUnreferencedAsync(d, ct).ConfigureAwait(false);
            return;
        }
        var parsed = ManifestParser.Parse(record.Content, record.MediaType);
        if (parsed.IsIndex)
        {
            int queued = 0, absent = 0;
            foreach (var child in parsed.Manifests.Where(m => MediaTypes.IsImageManifest(m.MediaType)))
            {
                // Asked of the store, not the read seam: a mirror's reader would fetch the platform from the upstream.
                if (await stored.GetAsync(repository, child.Digest, ct).ConfigureAwait(false) is null)
                {
                    absent++;
                    continue;
                }
                await jobs.EnqueueScanAsync(repository.Value, child.Digest.ToString(), force, ct).ConfigureAwait(false);
                queued++;
            }
            string notHere = absent == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" ({absent} not fetched yet: each is scanned once it is)");
            await scans.MarkSkippedAsync(d, string.Create(CultureInfo.InvariantCulture,
                $"an image index: each of its {queued} platform manifests is scanned as an image of its own{notHere}"), time.GetUtcNow(), ct).ConfigureAwait(false);
            return;
        }
        if (parsed.Config is not { } config || !IsImageConfig(config.MediaType))
        {
            string what = parsed.Config is null ? "it has no config" : $"its config is {parsed.Config.MediaType}";
            await scans.MarkSkippedAsync(d, $"not an image ({what}{(parsed.ArtifactType is { } at ? ", artifactType " + at : "")})", time.GetUtcNow(), ct).ConfigureAwait(false);
            return;
        }

        await scans.MarkRunningAsync(d, jobId, time.GetUtcNow(), ct).ConfigureAwait(false);
        var existing = force ? null : await scans.GetInventoryAsync(d, ct).ConfigureAwait(false);
        ImageInventory inventory;
        ImageSizeReport? size = null;
        if (existing is not null && existing.EngineVersion == ScanEngine.Version)
        {
            inventory = existing;
        }
        else
        {
            if (config.Size > options.MaxConfigBytes)
                throw new InvalidDataException($"the image config is {config.Size} bytes, over Scanning:MaxConfigBytes ({options.MaxConfigBytes})");
            byte[] configJson = new byte[config.Size];
            await using (var stream = await blobs.OpenAsync(repository, config.Digest, null, ct).ConfigureAwait(false))
                await stream.ReadExactlyAsync(configJson, ct).ConfigureAwait(false);
            if (Digest.Compute(config.Digest.Algorithm, configJson) != config.Digest)
                throw new InvalidDataException($"the config blob does not match its digest {config.Digest}");
            var shared = await scans.SharedLayersAsync(d, parsed.Layers.Select(l => l.Digest.ToString()).ToList(), ct).ConfigureAwait(false);
            var image = new ImageToScan(d, parsed.Layers, configJson) { SharedLayerDigests = shared };
            var reporter = new Progress(progress);
            var analysis = await analyzer.AnalyzeAsync(image, new RegistryBlobSource(blobs, repository), reporter, ct).ConfigureAwait(false);
            Interlocked.Add(ref _layersRead, analysis.LayersRead);
            inventory = analysis.Inventory;
            size = analysis.Size;
        }

        var (index, generation) = await matcher.CurrentAsync(ct).ConfigureAwait(false);
        var findings = FindingMatcher.Match(inventory, index);

        // The SBOM referrers are attached before the scan is saved as done: whoever waits for "done" (a CI step, a
        // policy requiring an SBOM) then finds them.
        var warnings = new List<string>();
        if (options.AttachSbom)
            foreach (var repo in await scans.RepositoriesOfAsync(d, ct).ConfigureAwait(false))
                warnings.AddRange(await sboms.AttachAsync(repo, digest, record, inventory, ct).ConfigureAwait(false));
        await scans.SaveScanAsync(inventory, size, findings, generation, time.GetUtcNow(), ct).ConfigureAwait(false);
        if (warnings.Count > 0) await scans.AddWarningsAsync(d, warnings, ct).ConfigureAwait(false);
        await progress(0.95, $"{inventory.Packages.Count} packages, {findings.Count} findings").ConfigureAwait(false);

        string counts = string.Join(", ", Severities.All.Select(s => (s, n: findings.Count(f => f.Severity == s))).Where(x => x.n > 0).Select(x => $"{x.n} {x.s}"));
        await events.AppendAsync(RegistryEventKind.ImageScanned, [repository], digest,
            string.Create(CultureInfo.InvariantCulture, $"done: {inventory.Packages.Count} packages, {findings.Count} findings{(counts.Length > 0 ? " (" + counts + ")" : "")}"), ct).ConfigureAwait(false);
    }

    private sealed class Progress(Func<double, string, Task> report) : IProgress<ScanProgress>
    {
        private long _last;

        public void Report(ScanProgress value)
        {
            // Reported at most every 500 ms (a store write each); fire and forget: progress is advisory.
            long now = Environment.TickCount64;
            if (now - Interlocked.Read(ref _last) < 500 && value.LayersDone < value.LayersTotal) return;
            Interlocked.Exchange(ref _last, now);
            double share = value.BytesTotal > 0 ? (double)value.BytesRead / value.BytesTotal : value.LayersTotal > 0 ? (double)value.LayersDone / value.LayersTotal : 0;
            _ = SafeAsync(report(share * 0.9, string.Create(CultureInfo.InvariantCulture, $"layer {value.LayersDone}/{value.LayersTotal}")));
        }

        private static async Task SafeAsync(Task task)
        {
            try
            {
                await task.ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A lost progress write changes nothing; the next one or the job's end records the state.
            }
        }
    }
}
