using System.CommandLine;
using System.Globalization;
using System.Text;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard audit</c>: the audit log, newest first.</summary>
internal static class AuditCommand
{
    public static Command Create()
    {
        var principal = new Option<string?>("--principal") { Description = "Only events of this user or robot$NAME", HelpName = "NAME" };
        var action = new Option<string?>("--action") { Description = "Only this action, e.g. login, push, pull, delete, user.create, robot.create", HelpName = "ACTION" };
        var repository = new Option<string?>("--repository") { Description = "Only events on this repository", HelpName = "NAME" };
        var outcome = new Option<string?>("--outcome") { Description = "Only this outcome: " + string.Join(", ", Bollard.Core.Auth.IdentityService.AuditOutcomes), HelpName = "OUTCOME" };
        var since = new Option<string?>("--since") { Description = "Only events since an ISO 8601 time (2025-06-01T12:00:00Z) or a duration ago (1h, 7d)", HelpName = "TIME" };
        var until = new Option<string?>("--until") { Description = "Only events before an ISO 8601 time or a duration ago", HelpName = "TIME" };
        var before = new Option<long?>("--before") { Description = "Only events with an id below this one (to page on)", HelpName = "ID" };
        var limit = new Option<int>("--limit") { Description = "At most this many events (1 to 1000)", DefaultValueFactory = _ => 100, HelpName = "N" };
        return BollardCli.Leaf("audit", "Show the audit log, newest first (admins: all events; others: their own)", async ctx =>
        {
            var p = ctx.Parse;
            int n = p.GetValue(limit);
            if (n is < 1 or > 1000) throw CliException.Usage($"--limit {n} is not between 1 and 1000");
            if (p.GetValue(outcome) is { Length: > 0 } o && !Bollard.Core.Auth.IdentityService.AuditOutcomes.Contains(o))
                throw CliException.Usage($"--outcome '{o}' is not one of {string.Join(", ", Bollard.Core.Auth.IdentityService.AuditOutcomes)}");
            var query = new StringBuilder("/api/v1/audit?limit=").Append(n.ToString(CultureInfo.InvariantCulture));
            void Add(string key, string? value)
            {
                if (!string.IsNullOrEmpty(value)) query.Append('&').Append(key).Append('=').Append(Uri.EscapeDataString(value));
            }
            Add("principal", p.GetValue(principal));
            Add("action", p.GetValue(action));
            Add("repository", p.GetValue(repository));
            Add("outcome", p.GetValue(outcome));
            Add("since", Time(p.GetValue(since), "--since"));
            Add("until", Time(p.GetValue(until), "--until"));
            Add("before", p.GetValue(before)?.ToString(CultureInfo.InvariantCulture));

            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Get, query.ToString(), null, ctx.Cancellation).ConfigureAwait(false);
            var page = client.Parse(body, ManagementJson.Default.AuditPage);
            ctx.Print(body, () =>
            {
                Output.Table(["ID", "TIME", "PRINCIPAL", "ACTION", "OUTCOME", "REPOSITORY", "REFERENCE", "CLIENT", "DETAIL"],
                    page.Events.Select(e => new[]
                    {
                        e.Id.ToString(CultureInfo.InvariantCulture), Output.Time(e.Time), e.Principal, e.Action, e.Outcome, e.Repository, e.Reference, e.Client, e.Detail,
                    }), "No audit events.");
                if (page.NextBefore is { } next)
                    Console.Error.WriteLine($"(more events: add --before {next.ToString(CultureInfo.InvariantCulture)})");
            });
            return 0;
        }, principal, action, repository, outcome, since, until, before, limit);
    }

    /// <summary>An ISO 8601 time, or a duration ago (<c>1h</c>: an hour ago), as ISO 8601 UTC.</summary>
    private static string? Time(string? text, string option)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (Durations.TryParse(text, out var ago)) return (DateTimeOffset.UtcNow - ago).ToString("O", CultureInfo.InvariantCulture);
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            return t.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
        throw CliException.Usage($"{option} '{text}' is neither an ISO 8601 time (2025-06-01T12:00:00Z) nor a duration like 1h or 7d");
    }
}
