using System.CommandLine;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard namespace public|private|list-public</c>: anonymous pull.</summary>
internal static class NamespaceCommands
{
    public static Command Create() => BollardCli.Group("namespace", "Open namespace patterns to anonymous pull, or close them",
        SetPublic("public", true, "Open a namespace pattern to anonymous pull (admins)"),
        SetPublic("private", false, "Close a namespace pattern to anonymous pull again (admins)"),
        ListPublic());

    private static Command SetPublic(string name, bool isPublic, string description)
    {
        var pattern = new Argument<string>("PATTERN") { Description = "Namespace pattern, e.g. 'public/**'" };
        return BollardCli.Leaf(name, description, async ctx =>
        {
            string p = ctx.Parse.GetValue(pattern)!;
            using var client = ctx.Client();
            await client.SendAsync(HttpMethod.Put, "/api/v1/namespaces/public",
                ManagementClient.Json(new PublicNamespaceRequest(p, isPublic), ManagementJson.Default.PublicNamespaceRequest), ctx.Cancellation).ConfigureAwait(false);
            ctx.Done(isPublic ? $"Namespace pattern {p} is public: anyone may pull from it." : $"Namespace pattern {p} is no longer public.");
            return 0;
        }, pattern);
    }

    private static Command ListPublic() => BollardCli.Leaf("list-public", "List the namespace patterns open to anonymous pull", async ctx =>
    {
        using var client = ctx.Client(anonymous: true);
        string body = await client.SendAsync(HttpMethod.Get, "/api/v1/namespaces/public", null, ctx.Cancellation).ConfigureAwait(false);
        var list = client.Parse(body, ManagementJson.Default.PublicNamespaces);
        ctx.Print(body, () => Output.Table(["PUBLIC NAMESPACE"], list.Namespaces.Select(n => new[] { n }), "No public namespaces."));
        return 0;
    });
}
