using System.CommandLine;
using Bollard.Server.Management;

namespace Bollard.Cli;

/// <summary><c>bollard user create|list|delete|passwd</c>.</summary>
internal static class UserCommands
{
    public static Command Create() => BollardCli.Group("user", "Manage users (admins; 'passwd' also for yourself)",
        CreateUser(), ListUsers(), DeleteUser(), Passwd());

    private static Command CreateUser()
    {
        var name = new Argument<string>("NAME") { Description = "User name: a-z, 0-9, '.', '_', '-'" };
        var admin = new Option<bool>("--admin") { Description = "Make the user a registry admin" };
        var stdin = new Option<bool>("--password-stdin") { Description = "Read the new user's password from standard input (else asked twice)" };
        return BollardCli.Leaf("create", "Create a user", async ctx =>
        {
            using var client = ctx.Client();
            string user = ctx.Parse.GetValue(name)!;
            string password = Terminal.ReadSecrets(ctx.Parse.GetValue(stdin), true, $"Password for {user}: ")[0];
            string body = await client.SendAsync(HttpMethod.Post, "/api/v1/users",
                ManagementClient.Json(new CreateUserRequest(user, password, ctx.Parse.GetValue(admin)), ManagementJson.Default.CreateUserRequest), ctx.Cancellation).ConfigureAwait(false);
            var created = client.Parse(body, ManagementJson.Default.UserView);
            ctx.Print(body, () => Console.Out.WriteLine($"Created user {created.Name}{(created.Admin ? " (registry admin)" : "")}."));
            return 0;
        }, name, admin, stdin);
    }

    private static Command ListUsers() => BollardCli.Leaf("list", "List users", async ctx =>
    {
        using var client = ctx.Client();
        string body = await client.SendAsync(HttpMethod.Get, "/api/v1/users", null, ctx.Cancellation).ConfigureAwait(false);
        var users = client.Parse(body, ManagementJson.Default.ListUserView);
        ctx.Print(body, () => Output.Table(["NAME", "ADMIN", "CREATED"],
            users.Select(u => new[] { u.Name, u.Admin ? "yes" : "no", Output.Time(u.CreatedAt) }), "No users."));
        return 0;
    });

    private static Command DeleteUser()
    {
        var name = new Argument<string>("NAME") { Description = "The user to delete, with their tokens and role bindings" };
        return BollardCli.Leaf("delete", "Delete a user with their personal access tokens and role bindings", async ctx =>
        {
            using var client = ctx.Client();
            string user = ctx.Parse.GetValue(name)!;
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/users/{Uri.EscapeDataString(user)}", null, ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Deleted user {user}.");
            return 0;
        }, name);
    }

    private static Command Passwd()
    {
        var name = new Argument<string?>("NAME") { Description = "The user (default: yourself)", Arity = ArgumentArity.ZeroOrOne };
        var stdin = new Option<bool>("--password-stdin")
        {
            Description = "Read the new password from standard input; for yourself, the first line is the current password and the second the new one",
        };
        return BollardCli.Leaf("passwd", "Change a password: your own (giving the current one) or, as an admin, anyone's", async ctx =>
        {
            using var client = ctx.Client();
            string me = ctx.CredentialsFor(client.Server)!.Username;
            string user = ctx.Parse.GetValue(name) is { Length: > 0 } n ? n : me;
            bool self = user == me;
            var secrets = self
                ? Terminal.ReadSecrets(ctx.Parse.GetValue(stdin), true, "Current password: ", "New password: ")
                : Terminal.ReadSecrets(ctx.Parse.GetValue(stdin), true, $"New password for {user}: ");
            var request = self ? new UpdateUserRequest(secrets[1], secrets[0], null) : new UpdateUserRequest(secrets[0], null, null);
            await client.SendAsync(new HttpMethod("PATCH"), $"/api/v1/users/{Uri.EscapeDataString(user)}",
                ManagementClient.Json(request, ManagementJson.Default.UpdateUserRequest), ctx.Cancellation).ConfigureAwait(false);
            ctx.Done($"Changed the password of {user}.");
            return 0;
        }, name, stdin);
    }
}
