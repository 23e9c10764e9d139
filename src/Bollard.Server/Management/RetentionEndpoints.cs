using System.Globalization;
using Bollard.Core.Auth;
using Bollard.Core.Registry;
using Bollard.Core.Retention;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary>
/// <c>/api/v1/retention</c>: retention policies and runs (admin; see <see cref="RetentionService"/>), and
/// <c>/api/v1/tags?repository=NAME</c>: a repository's tags with push and last-pull times (anyone who may pull it).
/// </summary>
internal static class RetentionEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/retention", async (HttpContext http, RetentionPolicyRequest body, RetentionService retention) =>
        {
            TimeSpan? untagged = body.UntaggedAfter is null ? null
                : Durations.TryParse(body.UntaggedAfter, out var d) ? d
                : throw new ManagementException(ManagementError.BadRequest, $"untaggedAfter '{body.UntaggedAfter}' is not like 30d, 12h, 2w");
            var policy = await retention.AddAsync(await ManagementApi.CallerAsync(http), body.Namespace, body.KeepLast, body.Order, body.KeepTags, untagged, http.RequestAborted);
            return Results.Created($"/api/v1/retention/{policy.Id}", View(policy));
        }).WithSummary("Add a retention policy for a namespace pattern (admin)");

        api.MapGet("/retention", async (HttpContext http, RetentionService retention) =>
            Results.Ok((await retention.ListAsync(await ManagementApi.CallerAsync(http), http.RequestAborted)).Select(View).ToList()))
            .WithSummary("List retention policies (admin)");

        api.MapDelete("/retention/{id}", async (HttpContext http, string id, RetentionService retention) =>
        {
            await retention.RemoveAsync(await ManagementApi.CallerAsync(http), ManagementParse.Id(id), http.RequestAborted);
            return Results.NoContent();
        }).WithSummary("Remove a retention policy (admin)");

        api.MapPost("/retention/run", async (HttpContext http, bool? dryRun, RetentionService retention) =>
        {
            var report = await retention.RunAsync(await ManagementApi.CallerAsync(http), dryRun ?? false, http.RequestAborted);
            return Results.Ok(new RetentionReportView(report.DryRun, report.Repositories, report.Removed, report.Skipped));
        }).WithSummary("Run retention now and list what it removed and skipped; with dryRun=true only list what it would remove (admin)");

        api.MapGet("/tags", async (HttpContext http, string? repository, RepositoryManagement repositories, RetentionService retention) =>
        {
            var name = await repositories.AuthorizeAsync(await ManagementApi.CallerAsync(http), repository ?? "", RepositoryAccess.Pull, http.RequestAborted);
            var tags = await retention.TagTimesAsync(name, http.RequestAborted);
            return Results.Ok(new TagTimesList(name.Value, tags.Select(t => new TagTimesView(t.Tag, t.Digest.ToString(), t.PushedAt, t.TagPulledAt, t.ManifestPulledAt)).ToList()));
        }).WithSummary("A repository's tags with their push and last-pull times (anyone who may pull it)");
    }

    private static RetentionPolicyView View(RetentionPolicy p) => new(
        p.Id, p.Namespace.Value, p.KeepLast, p.Order == RetentionOrder.Pulled ? "pull" : "push", p.KeepTags.Select(t => t.Value).ToList(),
        p.UntaggedAfter is { } d ? Duration(d) : null, p.CreatedBy, p.CreatedAt);

    /// <summary>The largest whole unit Durations parses back: <c>30d</c>, <c>12h</c>, <c>90m</c>, <c>45s</c>.</summary>
    internal static string Duration(TimeSpan d)
    {
        long seconds = (long)d.TotalSeconds;
        return seconds % 86400 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 86400}d")
            : seconds % 3600 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 3600}h")
            : seconds % 60 == 0 ? string.Create(CultureInfo.InvariantCulture, $"{seconds / 60}m")
            : string.Create(CultureInfo.InvariantCulture, $"{seconds}s");
    }
}
