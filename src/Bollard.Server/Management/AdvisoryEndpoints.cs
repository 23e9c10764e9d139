using Bollard.Core.Auth;
using Bollard.Core.Jobs;
using Bollard.Scanning.Advisories;
using Bollard.Scanning.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary>
/// <c>/api/v1/advisories</c> (issue 8): import an advisory archive, the import history, one advisory by id or alias.
/// An import is a zip archive in the request body (any format <c>bollard db import</c> reads), streamed to a temp
/// file of at most <see cref="AdvisoryApiOptions.MaxUploadBytes"/> (413 past it), imported, then deleted. Paths on
/// the server are not accepted: an operator with a shell imports them with <c>bollard db import PATH --data DIR</c>
/// into the same database, and the server picks the new data up on its next match. Admins only.
/// </summary>
internal static class AdvisoryEndpoints
{
    private const int MaxHistory = 200;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/advisories/import", async (HttpContext http, AdvisoryDatabase database, AdvisoryApiOptions options, AuditRecorder audit) =>
        {
            var caller = await AdminAsync(http);
            var q = http.Request.Query;
            string? feed = ManagementParse.Optional(q["feed"]);
            string name = ManagementParse.Optional(q["name"]) is { } n ? Path.GetFileName(n) : "upload.zip";
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = options.MaxUploadBytes;
            string temp = Path.Combine(Path.GetTempPath(), $"bollard-advisories-{Guid.NewGuid():N}.zip");
            try
            {
                long written = 0;
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
                {
                    byte[] buffer = new byte[81920];
                    int read;
                    while ((read = await http.Request.Body.ReadAsync(buffer, http.RequestAborted)) > 0)
                    {
                        written += read;
                        if (written > options.MaxUploadBytes)
                            throw new BadHttpRequestException($"the archive is larger than {options.MaxUploadBytes} bytes (Advisories:MaxUploadBytes)", StatusCodes.Status413PayloadTooLarge);
                        await file.WriteAsync(buffer.AsMemory(0, read), http.RequestAborted);
                    }
                }
                if (written == 0) throw new ManagementException(ManagementError.BadRequest, "the request body is empty: send a zip archive of advisory files");
                AdvisoryImportResult result;
                try
                {
                    result = await database.ImportAsync(temp, new AdvisoryImportOptions { Feed = feed, DisplayPath = name }, http.RequestAborted);
                }
                catch (InvalidDataException e)
                {
                    throw new ManagementException(ManagementError.BadRequest, e.Message);
                }
                var r = result.Record;
                audit.Record(caller.Principal.Name, caller.ClientAddress, "advisories.import", "success", reference: r.Feed,
                    detail: $"{name}: {r.Added} added, {r.Changed} changed, {r.Removed} removed, {r.Unchanged} unchanged, {r.Warnings} warnings");
                return Results.Ok(AdvisoryImportView.From(r, result));
            }
            finally
            {
                File.Delete(temp);
            }
        }).Accepts<IFormFile>("application/zip")
            .WithSummary("Import a zip archive of advisories (OSV, Debian tracker, Alpine/Wolfi secdb, GitHub vuln-list); ?feed= names the data set it replaces (default source:name), ?name= the file name recorded (admin)");

        api.MapGet("/advisories/imports", async (HttpContext http, AdvisoryDatabase database) =>
        {
            await AdminAsync(http);
            int limit = ManagementParse.Optional(http.Request.Query["limit"]) is { } l ? (int)Math.Min(ManagementParse.Id(l), MaxHistory) : 50;
            var imports = await database.Store.ListImportsAsync(limit, http.RequestAborted);
            var feeds = await database.Store.CountByFeedAsync(http.RequestAborted);
            return Results.Ok(new AdvisoryImportListView(imports.Select(i => AdvisoryImportView.From(i)).ToList(), feeds));
        }).WithSummary("The advisory import history, newest first (?limit=, at most 200), and the advisories stored per feed (admin)");

        api.MapGet("/advisories/rematches", async (HttpContext http, IJobStore jobs) =>
        {
            await AdminAsync(http);
            int limit = ManagementParse.Optional(http.Request.Query["limit"]) is { } l ? (int)Math.Min(ManagementParse.Id(l), MaxHistory) : 20;
            var list = await jobs.ListAsync(ScanJobs.RematchKind, limit, http.RequestAborted);
            return Results.Ok(new RematchListView(list.Select(RematchView.From).ToList()));
        }).WithSummary("The re-match jobs queued by advisory imports (API or 'bollard db import'), newest first (?limit=, at most 200), with state and progress (admin)");

        api.MapGet("/advisories/{id}", async (HttpContext http, string id, AdvisoryDatabase database) =>
        {
            // Advisories are public data: any signed-in caller may read them.
            await ManagementApi.CallerAsync(http);
            var found = await database.Store.FindAsync(id, http.RequestAborted);
            if (found.Count == 0) throw new ManagementException(ManagementError.NotFound, $"no advisory with id or alias {id}");
            return Results.Ok(new AdvisoryLookupView(id, found.Select(f => new AdvisoryRecordView(f.Feed, f.Hash, f.Advisory)).ToList()));
        }).WithSummary("Every stored advisory whose id or alias is {id} (CVE, GHSA, DSA, GO-...), one per feed");
    }

    private static async Task<RegistryCaller> AdminAsync(HttpContext http)
    {
        var caller = await ManagementApi.CallerAsync(http);
        IdentityService.RequireAdmin(caller);
        return caller;
    }
}
