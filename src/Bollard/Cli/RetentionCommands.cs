using System.CommandLine;
using System.Globalization;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard retention add|list|remove|run</c>: which tags and untagged manifests are kept (admins).</summary>
internal static class RetentionCommands
{
    public static Command Create() => BollardCli.Group("retention", "Retention policies: keep the last N tags, always keep some, drop untagged manifests after a while (admins)",
        Add(), List(), Remove(), Run());

    private static Command Add()
    {
        var ns = new Argument<string>("NAMESPACE") { Description = "Namespace pattern of the repositories, e.g. 'apps/**'" };
        var keepLast = new Option<int?>("--keep-last") { Description = "Keep the N most recent tags (by --order); the others are removed", HelpName = "N" };
        var order = new Option<string?>("--order") { Description = "push (default): by push time; pull: by last pull time", HelpName = "push|pull" };
        var keep = new Option<string[]>("--keep") { Description = "Tag pattern always kept, e.g. 'latest' or 'release-*' (repeatable)", HelpName = "PATTERN" };
        var untagged = new Option<string?>("--untagged-after") { Description = "GC deletes manifests untagged this long, e.g. 30d", HelpName = "DURATION" };
        return BollardCli.Leaf("add", "Add a retention policy", async ctx =>
        {
            var p = ctx.Parse;
            string? o = p.GetValue(order);
            if (o is not null and not "push" and not "pull") throw CliException.Usage($"--order '{o}' is not push or pull");
            string? after = BollardCli.CheckDuration(p.GetValue(untagged), "--untagged-after");
            if (p.GetValue(keepLast) is null && after is null) throw CliException.Usage("give --keep-last, --untagged-after or both");
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Post, "/api/v1/retention",
                ManagementClient.Json(new RetentionPolicyRequest(p.GetValue(ns), p.GetValue(keepLast), o, p.GetValue(keep) ?? [], after), RetentionJson.Default.RetentionPolicyRequest),
                ctx.Cancellation).ConfigureAwait(false);
            var policy = client.Parse(body, RetentionJson.Default.RetentionPolicyView);
            ctx.Print(body, () => Console.Out.WriteLine($"Added retention policy {policy.Id} for {policy.Namespace}: {Describe(policy)}."));
            return 0;
        }, ns, keepLast, order, keep, untagged);
    }

    private static string Describe(RetentionPolicyView p)
    {
        var parts = new List<string>();
        if (p.KeepLast is { } n) parts.Add($"keep the last {n} tags by {p.Order}");
        if (p.KeepTags.Count > 0) parts.Add("always keep " + string.Join(", ", p.KeepTags));
        if (p.UntaggedAfter is { } d) parts.Add($"untagged manifests go after {d}");
        return string.Join("; ", parts);
    }

    private static Command List() => BollardCli.Leaf("list", "List retention policies", async ctx =>
    {
        using var client = ctx.Client();
        string body = await client.SendAsync(HttpMethod.Get, "/api/v1/retention", null, ctx.Cancellation).ConfigureAwait(false);
        var policies = client.Parse(body, RetentionJson.Default.ListRetentionPolicyView);
        ctx.Print(body, () => Output.Table(["ID", "NAMESPACE", "KEEP LAST", "ORDER", "ALWAYS KEEP", "UNTAGGED AFTER", "CREATED BY"],
            policies.Select(p => new[]
            {
                p.Id.ToString(CultureInfo.InvariantCulture), p.Namespace, p.KeepLast?.ToString(CultureInfo.InvariantCulture) ?? "-", p.Order,
                p.KeepTags.Count > 0 ? string.Join(",", p.KeepTags) : "-", p.UntaggedAfter ?? "-", p.CreatedBy,
            }), "No retention policies."));
        return 0;
    });

    private static Command Remove()
    {
        var id = new Argument<string>("ID") { Description = "The policy's id (see 'bollard retention list')" };
        return BollardCli.Leaf("remove", "Remove a retention policy", async ctx =>
        {
            long policyId = BollardCli.CheckId(ctx.Parse.GetValue(id), "ID");
            using var client = ctx.Client();
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/retention/{policyId}", null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Removed retention policy {policyId}.");
            return 0;
        }, id);
    }

    private static Command Run()
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list what a run would remove now" };
        return BollardCli.Leaf("run", "Run retention now; prints every tag removed (or, with --dry-run, that would be) and every protected tag skipped", async ctx =>
        {
            bool dry = ctx.Parse.GetValue(dryRun);
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Post, $"/api/v1/retention/run?dryRun={(dry ? "true" : "false")}", null, ctx.Cancellation).ConfigureAwait(false);
            var report = client.Parse(body, RetentionJson.Default.RetentionReportView);
            ctx.Print(body, () =>
            {
                var rows = report.Removed.Select(i => new[] { dry ? "would remove" : "removed", $"{i.Repository}:{i.Tag}", i.Digest, i.Reason })
                    .Concat(report.Skipped.Select(i => new[] { "skipped", $"{i.Repository}:{i.Tag}", i.Digest, i.Reason }));
                Output.Table(["ACTION", "TAG", "DIGEST", "REASON"], rows, "Nothing to remove.");
                Console.Out.WriteLine($"{(dry ? "Dry run: would remove" : "Removed")} {report.Removed.Count} tags, skipped {report.Skipped.Count} protected tags, in {report.Repositories} repositories.");
            });
            return 0;
        }, dryRun);
    }
}
