using Bollard.Core.Auth;
using Bollard.Core.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Bollard.Server.Management;

/// <summary><c>GET /api/v1/audit</c>: the audit log, newest first.</summary>
internal static class AuditEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/audit", async (HttpContext http, IdentityService ids, IAuditLog log) =>
        {
            var q = http.Request.Query;
            var query = new AuditQuery
            {
                Principal = ManagementParse.Optional(q["principal"]), Action = ManagementParse.Optional(q["action"]),
                Repository = ManagementParse.Optional(q["repository"]), Outcome = ManagementParse.Optional(q["outcome"]),
                Since = ManagementParse.Time(q["since"], "since"), Until = ManagementParse.Time(q["until"], "until"),
                BeforeId = ManagementParse.Optional(q["before"]) is { } b ? ManagementParse.Id(b) : null,
                Limit = ManagementParse.Optional(q["limit"]) is { } l ? (int)Math.Min(ManagementParse.Id(l), 1000) : 100,
            };
            var events = await ids.QueryAuditAsync(await ManagementApi.CallerAsync(http), query, log, http.RequestAborted);
            var views = events.Select(e => new AuditEventView(e.Id, e.Time, e.Principal, e.ClientAddress, e.Action, e.Repository, e.Reference, e.Outcome, e.Detail, e.Count)).ToList();
            return Results.Ok(new AuditPage(views, views.Count == query.Limit ? views[^1].Id : null));
        }).WithSummary("Query the audit log, newest first; page with ?before=nextBefore (admin: all; others: their own)");
    }
}
