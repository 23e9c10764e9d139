using System.CommandLine;
using System.Globalization;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard binding add|list|remove</c>: roles on namespace patterns.</summary>
internal static class BindingCommands
{
    public static Command Create() => BollardCli.Group("binding", "Manage role bindings: a role for a user or robot on a namespace pattern",
        AddBinding(), ListBindings(), RemoveBinding());

    private static Command AddBinding()
    {
        var principal = new Argument<string>("PRINCIPAL") { Description = "A user name or robot$NAME" };
        var role = new Option<string>("--role") { Description = "reader, developer, maintainer or admin", Required = true, HelpName = "ROLE" };
        var pattern = new Option<string>("--namespace") { Description = "Namespace pattern, e.g. 'team-a/**'", Required = true, HelpName = "PATTERN" };
        return BollardCli.Leaf("add", "Give a user or robot a role on a namespace pattern", async ctx =>
        {
            var p = ctx.Parse;
            var request = new CreateBindingRequest(p.GetValue(principal)!, BollardCli.CheckRole(p.GetValue(role)), p.GetValue(pattern)!);
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Post, "/api/v1/bindings",
                ManagementClient.Json(request, ManagementJson.Default.CreateBindingRequest), ctx.Cancellation).ConfigureAwait(false);
            var b = client.Parse(body, ManagementJson.Default.BindingView);
            ctx.Print(body, () => Console.Out.WriteLine($"Bound {b.Role} on {b.Namespace} to {b.Principal} (binding {b.Id})."));
            return 0;
        }, principal, role, pattern);
    }

    private static Command ListBindings() => BollardCli.Leaf("list", "List role bindings (admins: all; others: their own)", async ctx =>
    {
        using var client = ctx.Client();
        string body = await client.SendAsync(HttpMethod.Get, "/api/v1/bindings", null, ctx.Cancellation).ConfigureAwait(false);
        var bindings = client.Parse(body, ManagementJson.Default.ListBindingView);
        ctx.Print(body, () => Output.Table(["ID", "PRINCIPAL", "KIND", "ROLE", "NAMESPACE", "CREATED"],
            bindings.Select(b => new[] { b.Id.ToString(CultureInfo.InvariantCulture), b.Principal, b.Kind, b.Role, b.Namespace, Output.Time(b.CreatedAt) }),
            "No role bindings."));
        return 0;
    });

    private static Command RemoveBinding()
    {
        var id = new Argument<string>("ID") { Description = "The binding's id (see 'bollard binding list')" };
        return BollardCli.Leaf("remove", "Remove a role binding", async ctx =>
        {
            long bindingId = BollardCli.CheckId(ctx.Parse.GetValue(id), "binding id");
            using var client = ctx.Client();
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/bindings/{bindingId.ToString(CultureInfo.InvariantCulture)}", null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Removed role binding {bindingId}.");
            return 0;
        }, id);
    }
}
