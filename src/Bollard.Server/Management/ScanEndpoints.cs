using Bollard.Core.Auth;
using Bollard.Core.Scanning;
using Bollard.Core.Scanning.Pipeline;
using Bollard.Scanning.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary>
/// The scan endpoints of an image (issue 8; docs/api.md, "Scanning"): <c>/api/v1/repositories/{name}/manifests/{digest}/</c>
/// <c>scan</c> (state; POST: rescan), <c>findings</c>, <c>sbom</c>, and <c>/api/v1/vulnerabilities?repository=NAME</c>
/// (the repository's summary). Reading needs pull on the repository, a rescan push (<see cref="ScanService"/>).
/// </summary>
internal static class ScanEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/repositories/{**path:manifestpath(scan)}", async (HttpContext http, string path, ScanService scans) =>
        {
            var (repository, digest) = Split(path, "scan");
            var (scan, sboms) = await scans.StateAsync(await ManagementApi.CallerAsync(http), repository, digest, http.RequestAborted);
            return Results.Ok(State(repository, digest, scan, sboms));
        }).WithSummary("An image's scan state: queued, running, done, failed (with the reason) or skipped, and its SBOM referrers (pull). Path: /repositories/{name}/manifests/{digest}/scan");

        api.MapPost("/repositories/{**path:manifestpath(scan)}", async (HttpContext http, string path, ScanService scans) =>
        {
            var (repository, digest) = Split(path, "scan");
            long job = await scans.RescanAsync(await ManagementApi.CallerAsync(http), repository, digest, http.RequestAborted);
            return Results.Accepted($"{ManagementApi.Prefix}/repositories/{repository}/manifests/{digest}/scan", new RescanView(repository, digest, job));
        }).WithSummary("Scan the image again (push). Path: /repositories/{name}/manifests/{digest}/scan");

        api.MapGet("/repositories/{**path:manifestpath(findings)}", async (HttpContext http, string path, string? severity, bool? fixable, string? package, bool? all, ScanService scans) =>
        {
            var (repository, digest) = Split(path, "findings");
            var severities = (severity ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => s.ToLowerInvariant()).ToList();
            foreach (string s in severities)
                if (!Severities.All.Contains(s)) throw new ManagementException(ManagementError.BadRequest, $"severity '{s}' is not one of {string.Join(", ", Severities.All)}");
            var filter = new FindingFilter { Severities = severities, Fixable = fixable, Package = string.IsNullOrEmpty(package) ? null : package, IncludeHidden = all ?? false };
            var result = await scans.FindingsAsync(await ManagementApi.CallerAsync(http), repository, digest, filter, http.RequestAborted);
            var counts = Severities.All.ToDictionary(s => s, s => result.Findings.Count(f => f.Severity == s && !FindingFilter.IsHidden(f.Status)));
            return Results.Ok(new FindingsView(repository, digest, StateName(result.Scan), result.Scan?.AdvisoryGeneration, counts, result.Findings, result.Warnings));
        }).WithSummary("An image's findings with OpenVEX and exceptions applied; ?severity=high,critical&fixable=true&package=NAME, ?all=true to include excepted and VEX-resolved ones (pull). Path: /repositories/{name}/manifests/{digest}/findings");

        api.MapGet("/repositories/{**path:manifestpath(sbom)}", async (HttpContext http, string path, string? format, ScanService scans) =>
        {
            var (repository, digest) = Split(path, "sbom");
            string f = (format ?? "cyclonedx").ToLowerInvariant();
            var sbom = await scans.SbomAsync(await ManagementApi.CallerAsync(http), repository, digest, f, http.RequestAborted)
                ?? throw new ManagementException(ManagementError.NotFound, $"no {f} SBOM for {digest} in '{repository}' yet (see .../scan for the scan state)");
            if (sbom.Referrer is { } referrer) http.Response.Headers["X-Bollard-Sbom-Referrer"] = referrer.ToString();
            http.Response.Headers["X-Bollard-Sbom-Generated"] = sbom.Generated ? "true" : "false";
            return Results.Stream(sbom.Content, sbom.MediaType);
        }).WithSummary("The image's SBOM (?format=cyclonedx|spdx): the attached referrer (Bollard's, else the producer's), else made from the stored inventory (pull). Path: /repositories/{name}/manifests/{digest}/sbom");

        api.MapGet("/repositories/{**path:manifestpath(size)}", async (HttpContext http, string path, ScanService scans) =>
        {
            var (repository, digest) = Split(path, "size");
            var report = await scans.SizeAsync(await ManagementApi.CallerAsync(http), repository, digest, http.RequestAborted)
                ?? throw new ManagementException(ManagementError.NotFound, $"no size report for {digest} in '{repository}' yet (see .../scan for the scan state)");
            return Results.Ok(report);
        }).WithSummary("The image's size analysis: per layer compressed and uncompressed size and command, largest files, wasted bytes, base-image share (pull). Path: /repositories/{name}/manifests/{digest}/size");

        api.MapGet("/vulnerabilities", async (HttpContext http, string? repository, ScanService scans) =>
        {
            var images = await scans.RepositorySummaryAsync(await ManagementApi.CallerAsync(http), repository ?? "", http.RequestAborted);
            var total = Severities.All.ToDictionary(s => s, s => images.Sum(i => i.Counts[s]));
            return Results.Ok(new RepositoryVulnerabilitiesView(repository!, total, images.Count, images.Count(i => i.Scan?.State == ScanState.Done),
                images.Select(i => new ImageSummaryView(i.Image.Digest, i.Image.MediaType, i.Image.Tags, StateName(i.Scan), i.Scan?.Reason, i.Counts)).ToList()));
        }).WithSummary("A repository's vulnerability summary: visible findings by severity per image and in total (pull)");
    }

    internal static (string Repository, string Digest) Split(string path, string suffix) =>
        ManifestPathConstraint.TryParse(path, suffix, out string repository, out string digest)
            ? (repository, digest)
            : throw new ManagementException(ManagementError.NotFound, "not NAME/manifests/DIGEST/" + suffix);

    private static string StateName(ImageScan? scan) => scan is null ? "none" : scan.State.ToString().ToLowerInvariant();

    private static ScanStateView State(string repository, string digest, ImageScan? s, IReadOnlyList<Core.Storage.ReferrerRecord> sboms) => new(
        repository, digest, StateName(s), s?.Reason, s?.JobId, s?.EngineVersion, s?.AdvisoryGeneration, s?.Platform, s?.Packages ?? 0, s?.Findings ?? 0,
        s?.Warnings ?? [], s?.QueuedAt, s?.StartedAt, s?.FinishedAt, s?.MatchedAt,
        sboms.Select(r => new SbomReferrerView(r.Digest.ToString(), r.ArtifactType!, r.Size, ScanService.IsOwnSbom(r))).ToList());
}
