using System.CommandLine;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard robot create|list|delete</c>.</summary>
internal static class RobotCommands
{
    private const string Prefix = "robot$";

    public static Command Create() => BollardCli.Group("robot", "Manage robot accounts for CI systems (admins)",
        CreateRobot(), ListRobots(), DeleteRobot());

    private static Command CreateRobot()
    {
        var name = new Argument<string>("NAME") { Description = "Robot name (its login is robot$NAME)" };
        var roles = new Option<string[]>("--role") { Description = "Role on the --namespace of the same position: reader, developer, maintainer or admin (repeatable)", HelpName = "ROLE" };
        var namespaces = new Option<string[]>("--namespace") { Description = "Namespace pattern for the --role of the same position, e.g. 'apps/**' (repeatable)", HelpName = "PATTERN" };
        var expires = new Option<string?>("--expires") { Description = "Expiry, e.g. 90d, 12h, 2w (default: never)", HelpName = "DURATION" };
        var description = new Option<string?>("--description") { Description = "What the robot is for", HelpName = "TEXT" };
        return BollardCli.Leaf("create", "Create a robot account; its secret is printed once", async ctx =>
        {
            var p = ctx.Parse;
            string[] r = p.GetValue(roles) ?? [], n = p.GetValue(namespaces) ?? [];
            if (r.Length != n.Length)
                throw CliException.Usage($"give --role and --namespace in pairs (got {r.Length} --role and {n.Length} --namespace)");
            var bindings = r.Zip(n, (role, pattern) => new BindingRequest(BollardCli.CheckRole(role), pattern)).ToList();
            string? expiresIn = BollardCli.CheckDuration(p.GetValue(expires));
            using var client = ctx.Client();
            string body = await client.SendAsync(HttpMethod.Post, "/api/v1/robots",
                ManagementClient.Json(new CreateRobotRequest(p.GetValue(name)!, p.GetValue(description), expiresIn, bindings), ManagementJson.Default.CreateRobotRequest),
                ctx.Cancellation).ConfigureAwait(false);
            var robot = client.Parse(body, ManagementJson.Default.RobotCreated);
            ctx.Print(body, () =>
            {
                var o = Console.Out;
                o.WriteLine($"Created robot account {robot.Name} (expires {Output.Time(robot.ExpiresAt, "never")}).");
                foreach (var b in bindings) o.WriteLine($"  {b.Role} on {b.Namespace}");
                o.WriteLine();
                o.WriteLine($"Username: {robot.Name}");
                o.WriteLine($"Secret:   {robot.Secret}");
                o.WriteLine();
                o.WriteLine("The secret is shown only this once: store it now (e.g. in your CI system's secret store).");
                o.WriteLine("Log in with (the secret on standard input):");
                o.WriteLine($"  docker login {ServerUrl.DockerHost(client.Server)} --username '{robot.Name}' --password-stdin");
            });
            return 0;
        }, name, roles, namespaces, expires, description);
    }

    private static Command ListRobots() => BollardCli.Leaf("list", "List robot accounts", async ctx =>
    {
        using var client = ctx.Client();
        string body = await client.SendAsync(HttpMethod.Get, "/api/v1/robots", null, ctx.Cancellation).ConfigureAwait(false);
        var robots = client.Parse(body, ManagementJson.Default.ListRobotView);
        // What each robot may do is what people ask first; the bindings come from their own list.
        List<BindingView> bindings = ctx.Json ? [] : client.Parse(
            await client.SendAsync(HttpMethod.Get, "/api/v1/bindings", null, ctx.Cancellation).ConfigureAwait(false), ManagementJson.Default.ListBindingView);
        string BindingsOf(string robot) =>
            string.Join(", ", bindings.Where(b => b.Kind == "robot" && b.Principal == robot).Select(b => $"{b.Role} on {b.Namespace}")) is { Length: > 0 } list ? list : "none";
        ctx.Print(body, () => Output.Table(["NAME", "EXPIRES", "BINDINGS", "CREATED", "CREATED BY", "DESCRIPTION"],
            robots.Select(r => new[]
            {
                r.Name, r.Expired ? $"EXPIRED {Output.Time(r.ExpiresAt)}" : Output.Time(r.ExpiresAt, "never"),
                BindingsOf(r.Name), Output.Time(r.CreatedAt), r.CreatedBy, r.Description,
            }), "No robot accounts."));
        return 0;
    });

    private static Command DeleteRobot()
    {
        var name = new Argument<string>("NAME") { Description = "The robot (NAME or robot$NAME)" };
        return BollardCli.Leaf("delete", "Delete a robot account; its tokens stop working at once", async ctx =>
        {
            using var client = ctx.Client();
            string robot = ctx.Parse.GetValue(name)!;
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/robots/{Uri.EscapeDataString(robot)}", null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Deleted robot account {(robot.StartsWith(Prefix, StringComparison.Ordinal) ? robot : Prefix + robot)}.");
            return 0;
        }, name);
    }
}
