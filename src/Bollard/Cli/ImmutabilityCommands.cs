using System.CommandLine;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard immutability add|list|remove</c>: tags nobody may move or delete (admins).</summary>
internal static class ImmutabilityCommands
{
    public static Command Create() => BollardCli.Group("immutability", "Make tags immutable: nobody (admins included) may move or delete them (admins)",
        Add(), List(), Remove());

    private static Command Add()
    {
        var ns = new Argument<string>("NAMESPACE") { Description = "Namespace pattern of the repositories, e.g. 'prod/**' or '**'" };
        var tag = new Argument<string>("TAG") { Description = "Tag pattern ('*' matches anything), e.g. 'v*' or 'release-*'" };
        return BollardCli.Leaf("add", "Add an immutability rule", async ctx =>
        {
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Post, "/api/v1/immutability",
                ManagementClient.Json(new ImmutabilityRuleRequest(ctx.Parse.GetValue(ns), ctx.Parse.GetValue(tag)), ImmutabilityJson.Default.ImmutabilityRuleRequest),
                ctx.Cancellation).ConfigureAwait(false);
            var rule = client.Parse(body, ImmutabilityJson.Default.ImmutabilityRuleView);
            ctx.Print(body, () => Console.Out.WriteLine($"Added rule {rule.Id}: tags {rule.Tag} in {rule.Namespace} are immutable."));
            return 0;
        }, ns, tag);
    }

    private static Command List() => BollardCli.Leaf("list", "List immutability rules", async ctx =>
    {
        using var client = ctx.Client();
        string body = await client.SendAsync(HttpMethod.Get, "/api/v1/immutability", null, ctx.Cancellation).ConfigureAwait(false);
        var rules = client.Parse(body, ImmutabilityJson.Default.ListImmutabilityRuleView);
        ctx.Print(body, () => Output.Table(["ID", "NAMESPACE", "TAG", "CREATED", "CREATED BY"],
            rules.Select(r => new[] { r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Namespace, r.Tag, Output.Time(r.CreatedAt), r.CreatedBy }),
            "No immutability rules."));
        return 0;
    });

    private static Command Remove()
    {
        var id = new Argument<string>("ID") { Description = "The rule's id (see 'bollard immutability list')" };
        return BollardCli.Leaf("remove", "Remove an immutability rule: its tags may be moved and deleted again", async ctx =>
        {
            long ruleId = BollardCli.CheckId(ctx.Parse.GetValue(id), "ID");
            using var client = ctx.Client();
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/immutability/{ruleId}", null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Removed immutability rule {ruleId}.");
            return 0;
        }, id);
    }
}
